//===- CompositePatterns.cpp - Softmax, norms, GELU, SiLU, attention ------===//
//
// Matchers walk use-def chains backwards from a root (softmax, norms) or
// forward from an anchor op that only the composite has (erf, tanh,
// sigmoid). Commuted operands and the usual spellings of a square (x*x,
// pow(x, 2)) and a mean (reduce_sum times 1/N) are accepted.
//
//===----------------------------------------------------------------------===//

#include "mlir/CompositePatterns.h"

#include "mlir/ModelLoader.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/SmallPtrSet.h"

#include <cmath>
#include <optional>

namespace goodhart {
namespace {

using namespace mlir::tosa;

/// The value of a splat floating-point tosa.const, if `v` is one.
std::optional<double> splatValue(mlir::Value v) {
  auto c = v.getDefiningOp<ConstOp>();
  if (!c)
    return std::nullopt;
  auto dense = llvm::dyn_cast<mlir::DenseElementsAttr>(c.getValues());
  if (!dense || !dense.isSplat() ||
      !llvm::isa<mlir::FloatType>(dense.getElementType()))
    return std::nullopt;
  return dense.getSplatValue<llvm::APFloat>().convertToDouble();
}

// 1%: constants rounded to bf16 (8 significant bits) still match.
bool near(std::optional<double> v, double expected, double relTol = 1e-2) {
  return v && std::abs(*v - expected) <= relTol * std::abs(expected);
}

llvm::ArrayRef<int64_t> shapeOf(mlir::Value v) {
  return llvm::cast<mlir::RankedTensorType>(v.getType()).getShape();
}

/// A weight: an argument or a constant, broadcast along all but the last
/// axis (the per-channel scale or shift of a norm).
bool isChannelParam(mlir::Value v, int64_t channels) {
  if (!llvm::isa<mlir::BlockArgument>(v) && !v.getDefiningOp<ConstOp>())
    return false;
  auto shape = shapeOf(v);
  if (shape.empty() || shape.back() != channels)
    return false;
  for (int64_t d : shape.drop_back())
    if (d != 1)
      return false;
  return true;
}

/// The two operands of a binary op of type `Op`, if `v` is its result.
template <typename Op>
std::optional<std::pair<mlir::Value, mlir::Value>> operandsOf(mlir::Value v) {
  auto op = v.getDefiningOp<Op>();
  if (!op)
    return std::nullopt;
  return std::make_pair(op->getOperand(0), op->getOperand(1));
}

/// Collects the ops of a match as it is built.
struct Builder {
  CompositeMatch match;
  void add(mlir::Value v) { match.ops.push_back(v.getDefiningOp()); }
};

/// `v` = reduce_sum(x, axis) * (1/N): sets x and returns true.
bool matchMean(mlir::Value v, mlir::Value &x, uint32_t &axis, Builder &b) {
  auto mul = operandsOf<MulOp>(v);
  if (!mul)
    return false;
  for (auto [sum, k] : {*mul, std::make_pair(mul->second, mul->first)}) {
    auto reduce = sum.getDefiningOp<ReduceSumOp>();
    if (!reduce)
      continue;
    uint32_t a = reduce.getAxis();
    int64_t n = shapeOf(reduce.getInput())[a];
    if (!near(splatValue(k), 1.0 / static_cast<double>(n)))
      continue;
    b.add(v);
    b.add(sum);
    x = reduce.getInput();
    axis = a;
    return true;
  }
  return false;
}

/// `v` = c * c or pow(c, 2): returns c.
std::optional<mlir::Value> matchSquare(mlir::Value v, Builder &b) {
  if (auto mul = operandsOf<MulOp>(v); mul && mul->first == mul->second) {
    b.add(v);
    return mul->first;
  }
  if (auto pow = operandsOf<PowOp>(v);
      pow && near(splatValue(pow->second), 2)) {
    b.add(v);
    return pow->first;
  }
  return std::nullopt;
}

/// `n` = a * rsqrt(mean(square(c)) + eps): layer norm when a == c ==
/// x - mean(x), RMS norm when a == c == x. Fills pattern, x and epsilon.
bool matchNormCore(mlir::Value n, Builder &b, mlir::Value &x) {
  auto mul = operandsOf<MulOp>(n);
  if (!mul)
    return false;
  for (auto [a, r] : {*mul, std::make_pair(mul->second, mul->first)}) {
    Builder t = b;
    auto rsqrt = r.getDefiningOp<RsqrtOp>();
    if (!rsqrt)
      continue;
    auto add = operandsOf<AddOp>(rsqrt->getOperand(0));
    if (!add)
      continue;
    for (auto [var, eps] : {*add, std::make_pair(add->second, add->first)}) {
      std::optional<double> epsilon = splatValue(eps);
      Builder u = t;
      mlir::Value sq;
      uint32_t axis = 0;
      if (!epsilon || !matchMean(var, sq, axis, u))
        continue;
      std::optional<mlir::Value> c = matchSquare(sq, u);
      if (!c || *c != a || axis + 1 != shapeOf(a).size())
        continue;
      u.add(n);
      u.add(r);
      u.add(rsqrt->getOperand(0));
      mlir::Value centered = a;
      if (auto sub = operandsOf<SubOp>(centered)) {
        mlir::Value src;
        uint32_t meanAxis = 0;
        Builder w = u;
        if (matchMean(sub->second, src, meanAxis, w) && src == sub->first &&
            meanAxis == axis) {
          w.add(centered);
          w.match.pattern = "layer_norm";
          w.match.attrs = {{"op", "layer_norm"}, {"epsilon", *epsilon}};
          x = src;
          b = w;
          return true;
        }
      }
      u.match.pattern = "rms_norm";
      u.match.attrs = {{"op", "rms_norm"}, {"epsilon", *epsilon}};
      x = a;
      b = u;
      return true;
    }
  }
  return false;
}

/// A norm rooted at `root`, with scale and shift when the root applies them.
std::optional<CompositeMatch> matchNorm(mlir::Operation *root) {
  mlir::Value y = root->getResult(0);
  int64_t channels = shapeOf(y).empty() ? 0 : shapeOf(y).back();
  auto tryScaled = [&](mlir::Value v, Builder &b, mlir::Value &x,
                       mlir::Value &scale) {
    if (auto mul = operandsOf<MulOp>(v))
      for (auto [n, s] : {*mul, std::make_pair(mul->second, mul->first)}) {
        Builder t = b;
        if (isChannelParam(s, channels) && matchNormCore(n, t, x)) {
          t.add(v);
          scale = s;
          b = t;
          return true;
        }
      }
    return false;
  };
  Builder b;
  mlir::Value x, scale, shift;
  if (auto add = operandsOf<AddOp>(y)) {
    for (auto [v, s] : {*add, std::make_pair(add->second, add->first)}) {
      Builder t;
      if (isChannelParam(s, channels) && tryScaled(v, t, x, scale)) {
        t.add(y);
        shift = s;
        b = t;
        break;
      }
    }
  }
  if (!shift && !tryScaled(y, b, x, scale) && !matchNormCore(y, b, x))
    return std::nullopt;
  b.match.kind = LayerKind::kNorm;
  b.match.inputs = {x};
  if (scale)
    b.match.inputs.push_back(scale);
  if (shift)
    b.match.inputs.push_back(shift);
  return b.match;
}

/// exp(x - reduce_max(x)) * reciprocal(reduce_sum(exp(...))), the max
/// subtraction optional.
std::optional<CompositeMatch> matchSoftmax(mlir::Operation *root) {
  auto mul = operandsOf<MulOp>(root->getResult(0));
  if (!mul)
    return std::nullopt;
  for (auto [e, r] : {*mul, std::make_pair(mul->second, mul->first)}) {
    auto exp = e.getDefiningOp<ExpOp>();
    auto recip = r.getDefiningOp<ReciprocalOp>();
    auto sum = recip ? recip->getOperand(0).getDefiningOp<ReduceSumOp>()
                     : ReduceSumOp();
    if (!exp || !sum || sum.getInput() != e)
      continue;
    Builder b;
    for (mlir::Value v : std::initializer_list<mlir::Value>{
             root->getResult(0), e, r, sum.getResult()})
      b.add(v);
    mlir::Value x = exp->getOperand(0);
    if (auto sub = operandsOf<SubOp>(x)) {
      auto max = sub->second.getDefiningOp<ReduceMaxOp>();
      if (max && max.getInput() == sub->first &&
          max.getAxis() == sum.getAxis()) {
        b.add(x);
        b.add(sub->second);
        x = sub->first;
      }
    }
    b.match.pattern = "softmax";
    b.match.kind = LayerKind::kSoftmax;
    b.match.attrs = {{"axis", static_cast<int64_t>(sum.getAxis())}};
    b.match.inputs = {x};
    return b.match;
  }
  return std::nullopt;
}

/// Flattens the product rooted at `v` into its factors, stopping at `stops`
/// and at values used more than once.
void productFactors(mlir::Value v, bool isRoot,
                    const llvm::SmallPtrSetImpl<void *> &stops,
                    llvm::SmallVectorImpl<mlir::Value> &factors,
                    llvm::SmallVectorImpl<mlir::Operation *> &ops) {
  auto mul = v.getDefiningOp<MulOp>();
  if (stops.contains(v.getAsOpaquePointer()) || !mul ||
      (!isRoot && !v.hasOneUse()) || ops.size() > 4) {
    factors.push_back(v);
    return;
  }
  ops.push_back(mul);
  productFactors(mul->getOperand(0), false, stops, factors, ops);
  productFactors(mul->getOperand(1), false, stops, factors, ops);
}

/// 0.5 * x * (1 + inner), for the value `one` = 1 + inner: the outermost
/// product of the three, searched among the users of `one`.
std::optional<CompositeMatch> matchHalfProduct(mlir::Value x, mlir::Value one,
                                               Builder b) {
  if (!one.hasOneUse())
    return std::nullopt;
  llvm::SmallPtrSet<void *, 2> stops = {x.getAsOpaquePointer(),
                                        one.getAsOpaquePointer()};
  mlir::Operation *candidate = *one.getUsers().begin();
  for (int step = 0; step < 3 && candidate && llvm::isa<MulOp>(candidate);
       ++step) {
    llvm::SmallVector<mlir::Value, 4> factors;
    llvm::SmallVector<mlir::Operation *, 4> ops;
    productFactors(candidate->getResult(0), true, stops, factors, ops);
    int hasX = 0, hasOne = 0, hasHalf = 0, other = 0;
    for (mlir::Value f : factors) {
      hasX += f == x;
      hasOne += f == one;
      hasHalf += near(splatValue(f), 0.5);
      other += f != x && f != one && !near(splatValue(f), 0.5);
    }
    if (hasX == 1 && hasOne == 1 && hasHalf == 1 && !other) {
      b.match.root = candidate;
      b.match.ops.append(ops.begin(), ops.end());
      b.match.kind = LayerKind::kEltwise;
      b.match.attrs = {{"op", b.match.pattern}};
      b.match.inputs = {x};
      return b.match;
    }
    mlir::Value result = candidate->getResult(0);
    candidate = result.hasOneUse() ? *result.getUsers().begin() : nullptr;
  }
  return std::nullopt;
}

/// `one` = 1 + v for the user of v, if there is one.
std::optional<mlir::Value> onePlus(mlir::Value v) {
  if (!v.hasOneUse())
    return std::nullopt;
  auto add = llvm::dyn_cast<AddOp>(*v.getUsers().begin());
  if (!add)
    return std::nullopt;
  mlir::Value other =
      add->getOperand(0) == v ? add->getOperand(1) : add->getOperand(0);
  if (!near(splatValue(other), 1.0))
    return std::nullopt;
  return add.getResult();
}

/// 0.5 * x * (1 + erf(x / sqrt(2))), anchored at the erf.
std::optional<CompositeMatch> matchGeluErf(ErfOp erf) {
  auto scaled = operandsOf<MulOp>(erf->getOperand(0));
  std::optional<mlir::Value> one = onePlus(erf.getResult());
  if (!scaled || !one)
    return std::nullopt;
  for (auto [x, k] : {*scaled, std::make_pair(scaled->second, scaled->first)}) {
    if (!near(splatValue(k), 1 / std::sqrt(2.0)))
      continue;
    Builder b;
    b.match.pattern = "gelu_erf";
    for (mlir::Value v : {erf->getOperand(0), mlir::Value(erf), *one})
      b.add(v);
    if (auto m = matchHalfProduct(x, *one, b))
      return m;
  }
  return std::nullopt;
}

/// x^3 as pow(x, 3), (x * x) * x or x * (x * x): returns x.
std::optional<mlir::Value> matchCube(mlir::Value v, Builder &b) {
  if (auto pow = operandsOf<PowOp>(v);
      pow && near(splatValue(pow->second), 3)) {
    b.add(v);
    return pow->first;
  }
  auto mul = operandsOf<MulOp>(v);
  if (!mul)
    return std::nullopt;
  for (auto [sq, x] : {*mul, std::make_pair(mul->second, mul->first)})
    if (auto inner = operandsOf<MulOp>(sq);
        inner && inner->first == x && inner->second == x) {
      b.add(v);
      b.add(sq);
      return x;
    }
  return std::nullopt;
}

/// 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))), anchored at
/// the tanh.
std::optional<CompositeMatch> matchGeluTanh(TanhOp tanh) {
  auto scaled = operandsOf<MulOp>(tanh->getOperand(0));
  std::optional<mlir::Value> one = onePlus(tanh.getResult());
  if (!scaled || !one)
    return std::nullopt;
  for (auto [sum, k] :
       {*scaled, std::make_pair(scaled->second, scaled->first)}) {
    auto add = operandsOf<AddOp>(sum);
    if (!near(splatValue(k), std::sqrt(2 / M_PI)) || !add)
      continue;
    for (auto [x, term] : {*add, std::make_pair(add->second, add->first)}) {
      auto cubeTerm = operandsOf<MulOp>(term);
      if (!cubeTerm)
        continue;
      for (auto [cube, c] :
           {*cubeTerm, std::make_pair(cubeTerm->second, cubeTerm->first)}) {
        Builder b;
        b.match.pattern = "gelu_tanh";
        std::optional<mlir::Value> base = matchCube(cube, b);
        if (!near(splatValue(c), 0.044715) || !base || *base != x)
          continue;
        for (mlir::Value v :
             {term, sum, tanh->getOperand(0), mlir::Value(tanh), *one})
          b.add(v);
        if (auto m = matchHalfProduct(x, *one, b))
          return m;
      }
    }
  }
  return std::nullopt;
}

/// x * sigmoid(x), anchored at the sigmoid.
std::optional<CompositeMatch> matchSilu(SigmoidOp sigmoid) {
  mlir::Value s = sigmoid.getResult();
  mlir::Value x = sigmoid->getOperand(0);
  if (!s.hasOneUse())
    return std::nullopt;
  auto mul = llvm::dyn_cast<MulOp>(*s.getUsers().begin());
  if (!mul || !((mul->getOperand(0) == x && mul->getOperand(1) == s) ||
                (mul->getOperand(1) == x && mul->getOperand(0) == s)))
    return std::nullopt;
  CompositeMatch m;
  m.pattern = "silu";
  m.kind = LayerKind::kEltwise;
  m.attrs = {{"op", "silu"}};
  m.root = mul;
  m.inputs = {x};
  m.ops = {sigmoid, mul};
  return m;
}

/// softmax(scale * Q K^T [+ mask]) V around a softmax match.
std::optional<CompositeMatch> matchAttention(const CompositeMatch &softmax) {
  mlir::Value p = softmax.root->getResult(0);
  if (!p.hasOneUse())
    return std::nullopt;
  auto pv = llvm::dyn_cast<MatMulOp>(*p.getUsers().begin());
  if (!pv || pv->getOperand(0) != p)
    return std::nullopt;
  CompositeMatch m;
  m.pattern = "attention";
  m.fusible = false;
  m.root = pv;
  m.ops.append(softmax.ops.begin(), softmax.ops.end());
  m.ops.push_back(pv);
  mlir::Value v = softmax.inputs.front();
  for (int step = 0; step < 2 && !v.getDefiningOp<MatMulOp>(); ++step) {
    auto add = operandsOf<AddOp>(v);
    auto mul = operandsOf<MulOp>(v);
    auto pair = add ? add : mul;
    if (!pair)
      return std::nullopt;
    m.ops.push_back(v.getDefiningOp());
    bool firstIsScores = pair->first.getDefiningOp<MatMulOp>() ||
                         pair->first.getDefiningOp<MulOp>();
    v = firstIsScores ? pair->first : pair->second;
  }
  auto qk = v.getDefiningOp<MatMulOp>();
  if (!qk)
    return std::nullopt;
  m.ops.push_back(qk);
  return m;
}

/// Whether every op of `m` but its root is used only inside `m`, and no op
/// of it already belongs to another match.
bool isSelfContained(const CompositeMatch &m,
                     const llvm::SmallPtrSetImpl<mlir::Operation *> &taken) {
  llvm::SmallPtrSet<mlir::Operation *, 16> inside(m.ops.begin(), m.ops.end());
  for (mlir::Operation *op : m.ops) {
    if (taken.contains(op))
      return false;
    if (op == m.root)
      continue;
    for (mlir::Operation *user : op->getUsers())
      if (!inside.contains(user))
        return false;
  }
  return true;
}

} // namespace

std::set<std::string> defaultFusedPatterns() {
  return {"softmax",   "layer_norm", "gelu_erf",
          "gelu_tanh", "silu",       "grouped_conv"};
}

std::vector<CompositeMatch> findComposites(mlir::func::FuncOp func) {
  std::vector<CompositeMatch> matches;
  llvm::SmallPtrSet<mlir::Operation *, 32> taken;
  auto accept = [&](std::optional<CompositeMatch> m, mlir::Operation *root) {
    if (!m)
      return false;
    if (!m->root)
      m->root = root;
    if (!isSelfContained(*m, taken))
      return false;
    taken.insert(m->ops.begin(), m->ops.end());
    matches.push_back(std::move(*m));
    return true;
  };
  // Roots latest first, so a norm's scale and shift are seen before the
  // core they wrap.
  llvm::SmallVector<mlir::Operation *> ops;
  for (mlir::Operation &op : func.getBody().getOps())
    ops.push_back(&op);
  for (mlir::Operation *op : llvm::reverse(ops)) {
    if (taken.contains(op) || op->getNumResults() != 1 ||
        !llvm::isa<AddOp, MulOp>(op))
      continue;
    if (!accept(matchNorm(op), op))
      accept(matchSoftmax(op), op);
  }
  for (mlir::Operation *op : ops) {
    if (auto erf = llvm::dyn_cast<ErfOp>(op))
      accept(matchGeluErf(erf), nullptr);
    else if (auto tanh = llvm::dyn_cast<TanhOp>(op))
      accept(matchGeluTanh(tanh), nullptr);
    else if (auto sigmoid = llvm::dyn_cast<SigmoidOp>(op))
      accept(matchSilu(sigmoid), nullptr);
    else if (llvm::isa<ConcatOp>(op))
      accept(matchGroupedConv(op), op);
  }
  size_t fusible = matches.size();
  for (size_t i = 0; i < fusible; ++i)
    if (matches[i].pattern == "softmax")
      if (auto attention = matchAttention(matches[i]))
        matches.push_back(std::move(*attention));
  // Program order of roots, for stable layer names.
  llvm::DenseMap<mlir::Operation *, size_t> position;
  for (auto [i, op] : llvm::enumerate(ops))
    position[op] = i;
  std::stable_sort(matches.begin(), matches.end(),
                   [&](const CompositeMatch &a, const CompositeMatch &b) {
                     return position[a.root] < position[b.root];
                   });
  return matches;
}

} // namespace goodhart
