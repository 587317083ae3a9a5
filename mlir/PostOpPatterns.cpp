//===- PostOpPatterns.cpp - Convolutions and Linear layers with post-ops --===//
//
// A match starts at its anchor (a convolution, a matmul by a constant, or
// any other matmul) and follows the anchor's result forward while each
// value has exactly one user that a oneDNN post-op expresses: an add of a
// tensor of the same shape (sum), an activation (eltwise), and after a plain
// matmul a binary op with a broadcast operand (a scale, a mask). A GELU or
// SiLU composite (CompositePatterns.cpp) whose only input is the value and
// which holds every user of it is one eltwise post-op too. The last op
// absorbed is the root, where the fused layer is emitted: every operand of
// the chain is defined before it, and nothing outside the chain reads a
// value inside it.
//
//===----------------------------------------------------------------------===//

#include "mlir/CompositePatterns.h"

#include "mlir/ModelLoader.h"
#include "mlir/PlanLowering.h"
#include "runners/common/PostOps.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinTypes.h"

namespace goodhart {
namespace {

using namespace mlir::tosa;

/// Activations oneDNN 2.6 applies as eltwise post-ops that exporters put
/// after convolutions and Linear layers.
bool isPostOpActivation(const std::string &op) {
  return op == "relu" || op == "clamp" || op == "sigmoid" || op == "tanh";
}

bool isFloatTensor(mlir::Value v) {
  auto type = llvm::dyn_cast<mlir::RankedTensorType>(v.getType());
  return type && llvm::isa<mlir::FloatType>(type.getElementType());
}

/// A weight: an argument marked goodhart.weight, or constant data.
bool isConstantWeight(mlir::Value v, mlir::func::FuncOp func) {
  if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(v))
    return func.getArgAttr(arg.getArgNumber(), kWeightArgAttr) != nullptr;
  return v.getDefiningOp<ConstOp>() != nullptr;
}

/// The single user of `v`, if it has exactly one and it is not excluded.
mlir::Operation *
soleUser(mlir::Value v,
         const llvm::SmallPtrSetImpl<mlir::Operation *> &excluded) {
  if (!v.hasOneUse())
    return nullptr;
  mlir::Operation *user = *v.getUsers().begin();
  return excluded.contains(user) ? nullptr : user;
}

/// The operand of binary `op` that is not `v`, when `v` is exactly one of
/// its operands.
std::optional<mlir::Value> otherOperand(mlir::Operation *op, mlir::Value v) {
  mlir::Value a = op->getOperand(0), b = op->getOperand(1);
  if (a == v && b != v)
    return b;
  if (b == v && a != v)
    return a;
  return std::nullopt;
}

/// The fused eltwise composites (GELU, SiLU) a chain may absorb as one
/// eltwise post-op, by their input value.
using EltwiseComposites = llvm::DenseMap<mlir::Value, const CompositeMatch *>;

/// The composite of `composites` reading `v` when it holds every user of
/// `v` and keeps `v`'s type. Its ops are composite ops, so `excluded` holds
/// them; only the chain that reaches `v` can take it.
const CompositeMatch *absorbableComposite(mlir::Value v,
                                          const EltwiseComposites &composites) {
  const CompositeMatch *c = composites.lookup(v);
  if (!c || c->root->getResult(0).getType() != v.getType())
    return nullptr;
  llvm::SmallPtrSet<mlir::Operation *, 16> inside(c->ops.begin(), c->ops.end());
  for (mlir::Operation *user : v.getUsers())
    if (!inside.contains(user))
      return nullptr;
  return c;
}

/// A binary op oneDNN 2.6 applies as a binary post-op: `v` OP operand, the
/// operand broadcast to `v`'s shape (a scale, a mask); nullopt otherwise.
std::optional<std::pair<std::string, mlir::Value>>
binaryPostOp(mlir::Operation *user, mlir::Value v) {
  std::optional<OpLowering> lowering = classifyOp(user);
  if (!lowering || lowering->kind != LayerKind::kBinary)
    return std::nullopt;
  std::string op = lowering->attrs.value("op", "");
  if (!isBinaryPostOpName(op))
    return std::nullopt;
  std::optional<mlir::Value> other = otherOperand(user, v);
  // Only commutative ops take the result as their second operand.
  if (!other || (user->getOperand(0) != v && op != "add" && op != "mul" &&
                 op != "max" && op != "min"))
    return std::nullopt;
  auto type = llvm::dyn_cast<mlir::RankedTensorType>(other->getType());
  auto out = llvm::cast<mlir::RankedTensorType>(v.getType());
  if (!type || !type.hasStaticShape() || type.getRank() != out.getRank() ||
      type.getElementType() != out.getElementType())
    return std::nullopt;
  for (auto [d, o] : llvm::zip(type.getShape(), out.getShape()))
    if (d != 1 && d != o)
      return std::nullopt;
  return std::make_pair(op, *other);
}

/// Whether `other`, the first operand of a residual add whose second
/// operand is the chain at hand, may be the end of a chain itself: the
/// result of a convolution, a matmul, a grouped convolution's concat or an
/// activation, read by the add alone. The add's sum then belongs to that
/// chain, whichever of the two the function lists first: a model and its
/// identity variants (independent ops reordered) fuse the same way.
bool mayCarrySum(mlir::Value other) {
  mlir::Operation *def = other.getDefiningOp();
  if (!def || !other.hasOneUse())
    return false;
  if (llvm::isa<Conv2DOp, DepthwiseConv2DOp, MatMulOp, ConcatOp>(def))
    return true;
  std::optional<OpLowering> lowering = classifyOp(def);
  return lowering && lowering->kind == LayerKind::kEltwise &&
         isPostOpActivation(lowering->attrs.value("op", ""));
}

/// Extends `m` (anchor set, `v` its current result) with sum, eltwise and,
/// when `allowBinary`, binary post-ops; returns the number added.
int appendPostOps(CompositeMatch &m, mlir::Value v,
                  const llvm::SmallPtrSetImpl<mlir::Operation *> &excluded,
                  const EltwiseComposites &composites, bool allowBinary) {
  nlohmann::json postOps = nlohmann::json::array();
  bool hasSum = false;
  while (true) {
    if (const CompositeMatch *c = absorbableComposite(v, composites)) {
      postOps.push_back({{"kind", "eltwise"}, {"op", c->pattern}});
      m.ops.append(c->ops.begin(), c->ops.end());
      m.root = c->root;
      v = c->root->getResult(0);
      continue;
    }
    mlir::Operation *user = soleUser(v, excluded);
    if (!user || user->getNumResults() != 1 ||
        user->getResult(0).getType() != v.getType())
      break;
    std::optional<std::pair<std::string, mlir::Value>> binary;
    std::optional<mlir::Value> other = otherOperand(user, v);
    const bool sumAdd =
        llvm::isa<AddOp>(user) && other && other->getType() == v.getType();
    // Two chains meeting at an add: the first operand's takes it.
    if (sumAdd && user->getOperand(1) == v && mayCarrySum(*other))
      break;
    if (sumAdd && !hasSum) {
      postOps.push_back(
          {{"kind", "sum"}, {"input", static_cast<int64_t>(m.inputs.size())}});
      m.inputs.push_back(*other);
      hasSum = true;
    } else if (allowBinary && (binary = binaryPostOp(user, v))) {
      postOps.push_back({{"kind", "binary"},
                         {"op", binary->first},
                         {"input", static_cast<int64_t>(m.inputs.size())}});
      m.inputs.push_back(binary->second);
    } else {
      std::optional<OpLowering> lowering = classifyOp(user);
      if (!lowering || lowering->kind != LayerKind::kEltwise ||
          !isPostOpActivation(lowering->attrs.value("op", "")))
        break;
      nlohmann::json entry = lowering->attrs;
      entry["kind"] = "eltwise";
      postOps.push_back(std::move(entry));
    }
    m.ops.push_back(user);
    m.root = user;
    v = user->getResult(0);
  }
  const int added = static_cast<int>(postOps.size());
  if (added)
    m.attrs["post_ops"] = std::move(postOps);
  return added;
}

/// `op` as the one primitive of `kind` it lowers to, named `pattern`, with
/// the post-ops that follow its result (binary ones when `allowBinary`, as
/// oneDNN's matmul takes them); nullopt for a bare primitive, which stays
/// what it is.
std::optional<CompositeMatch>
matchPrimitivePostOps(mlir::Operation *op, llvm::StringRef pattern,
                      LayerKind kind, bool allowBinary,
                      const llvm::SmallPtrSetImpl<mlir::Operation *> &excluded,
                      const EltwiseComposites &composites) {
  std::optional<OpLowering> lowering = classifyOp(op);
  if (!lowering || !isFloatTensor(op->getResult(0)))
    return std::nullopt;
  CompositeMatch m;
  m.pattern = pattern.str();
  m.kind = kind;
  m.attrs = lowering->attrs;
  m.anchor = op;
  m.root = op;
  m.ops = {op};
  for (unsigned index : lowering->dataOperands)
    m.inputs.push_back(op->getOperand(index));
  if (appendPostOps(m, op->getResult(0), excluded, composites, allowBinary) ==
      0)
    return std::nullopt;
  return m;
}

/// A grouped convolution (a fused grouped_conv composite: slices, one
/// convolution per group, the concat) with the post-ops after its concat:
/// one conv2d layer with groups and post-ops, named after the concat.
std::optional<CompositeMatch> matchGroupedConvPostOps(
    const CompositeMatch &grouped,
    const llvm::SmallPtrSetImpl<mlir::Operation *> &excluded,
    const EltwiseComposites &composites) {
  if (!isFloatTensor(grouped.root->getResult(0)))
    return std::nullopt;
  CompositeMatch m = grouped;
  m.pattern = "conv_post_ops";
  m.anchor = grouped.root;
  if (appendPostOps(m, grouped.root->getResult(0), excluded, composites,
                    false) == 0)
    return std::nullopt;
  return m;
}

/// The bias of a Linear layer: a constant broadcast along all but the last
/// axis, which has `columns` elements.
bool isBias(mlir::Value v, int64_t columns, mlir::func::FuncOp func) {
  auto type = llvm::dyn_cast<mlir::RankedTensorType>(v.getType());
  if (!type || !isConstantWeight(v, func) || type.getRank() == 0 ||
      type.getShape().back() != columns)
    return false;
  for (int64_t d : type.getShape().drop_back())
    if (d != 1)
      return false;
  return true;
}

std::optional<CompositeMatch>
matchLinear(MatMulOp matmul, mlir::func::FuncOp func,
            const llvm::SmallPtrSetImpl<mlir::Operation *> &excluded,
            const EltwiseComposites &composites) {
  mlir::Value a = matmul->getOperand(0), b = matmul->getOperand(1);
  auto aType = llvm::cast<mlir::RankedTensorType>(a.getType());
  auto bType = llvm::cast<mlir::RankedTensorType>(b.getType());
  if (!isFloatTensor(matmul->getResult(0)) || !aType.hasStaticShape() ||
      !bType.hasStaticShape() || aType.getDimSize(0) != 1 ||
      bType.getDimSize(0) != 1 || !isConstantWeight(b, func))
    return std::nullopt;
  CompositeMatch m;
  m.pattern = "linear";
  m.kind = LayerKind::kInnerProduct;
  m.anchor = matmul;
  m.root = matmul;
  m.ops = {matmul};
  m.inputs = {a, b};
  mlir::Value v = matmul->getResult(0);
  if (mlir::Operation *user = soleUser(v, excluded);
      user && llvm::isa<AddOp>(user) &&
      user->getResult(0).getType() == v.getType()) {
    std::optional<mlir::Value> bias = otherOperand(user, v);
    if (bias && isBias(*bias, bType.getDimSize(2), func)) {
      m.inputs.push_back(*bias);
      m.ops.push_back(user);
      m.root = user;
      v = user->getResult(0);
    }
  }
  appendPostOps(m, v, excluded, composites, false);
  return m;
}

/// The fused GELU and SiLU composites of `func` (those `enabled` fuses), by
/// their input.
EltwiseComposites
eltwiseComposites(const std::vector<CompositeMatch> &composites,
                  const std::set<std::string> &enabled) {
  EltwiseComposites result;
  for (const CompositeMatch &c : composites)
    if (c.fusible && c.kind == LayerKind::kEltwise && c.inputs.size() == 1 &&
        enabled.count(c.pattern) &&
        (c.pattern == "gelu_erf" || c.pattern == "gelu_tanh" ||
         c.pattern == "silu"))
      result[c.inputs.front()] = &c;
  return result;
}

} // namespace

std::set<std::string> postOpPatterns() {
  return {"conv_post_ops", "linear", "matmul_post_ops"};
}

std::vector<CompositeMatch>
findPostOpFusions(mlir::func::FuncOp func, const std::set<std::string> &enabled,
                  const llvm::SmallPtrSetImpl<mlir::Operation *> &excluded) {
  std::vector<CompositeMatch> matches;
  // Ops of earlier matches are excluded too: of two convolutions whose
  // results meet in a residual add, the first in program order takes it.
  llvm::SmallPtrSet<mlir::Operation *, 32> taken(excluded.begin(),
                                                 excluded.end());
  const bool convs = enabled.count("conv_post_ops");
  const bool linears = enabled.count("linear");
  const bool matmuls = enabled.count("matmul_post_ops");
  if (!convs && !linears && !matmuls)
    return matches;
  // The composites the plan lowering fuses: a chain takes a GELU or SiLU
  // whole (its ops are in `excluded` as every composite's are).
  const std::vector<CompositeMatch> composites = findComposites(func);
  const EltwiseComposites activations = eltwiseComposites(composites, enabled);
  // Ops a composite only tags (attention's scores, scale and mask) stay open
  // to a matmul's post-ops: the fused layer keeps the tag.
  llvm::SmallPtrSet<mlir::Operation *, 32> inFusible,
      open(taken.begin(), taken.end());
  // Grouped convolutions the lowering fuses, by their concat: a post-op
  // fusion takes one whole.
  llvm::DenseMap<mlir::Operation *, const CompositeMatch *> grouped;
  for (const CompositeMatch &c : composites) {
    if (c.fusible)
      inFusible.insert(c.ops.begin(), c.ops.end());
    if (c.fusible && c.pattern == "grouped_conv" &&
        enabled.count("grouped_conv"))
      grouped[c.root] = &c;
  }
  for (const CompositeMatch &c : composites)
    if (!c.fusible)
      for (mlir::Operation *op : c.ops)
        if (!inFusible.contains(op))
          open.erase(op);
  for (mlir::Operation &op : func.getBody().getOps()) {
    auto matmul = llvm::dyn_cast<MatMulOp>(op);
    std::optional<CompositeMatch> m;
    if (const CompositeMatch *g = grouped.lookup(&op); g && convs)
      m = matchGroupedConvPostOps(*g, taken, activations);
    else if (matmul ? open.contains(&op) : taken.contains(&op))
      continue;
    if (convs && llvm::isa<Conv2DOp, DepthwiseConv2DOp>(op))
      m = matchPrimitivePostOps(&op, "conv_post_ops", LayerKind::kConv2d, false,
                                taken, activations);
    if (matmul && linears && !taken.contains(&op))
      m = matchLinear(matmul, func, taken, activations);
    if (matmul && matmuls && !m)
      m = matchPrimitivePostOps(matmul, "matmul_post_ops", LayerKind::kMatMul,
                                true, open, activations);
    if (!m)
      continue;
    taken.insert(m->ops.begin(), m->ops.end());
    open.insert(m->ops.begin(), m->ops.end());
    matches.push_back(std::move(*m));
  }
  return matches;
}

} // namespace goodhart
