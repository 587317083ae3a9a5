//===- HeadMutation.cpp - Change the number of attention heads ------------===//
//
// set_heads(SCOPE, H') re-splits every attention layer (SCOPE "*", or those
// whose head splits are named "SCOPE.*") into H' heads of D' = hidden / H',
// keeping hidden = H x D and every weight. In TOSA a head split is a reshape
// [.., hidden] -> [.., H, D] followed by a transpose (torch-mlir's form,
// mlir/zoo/TransformerLayers.cpp); the attention then flattens heads into
// the batch of its matmuls ([B*H, S, D]), scales the scores by 1/sqrt(D),
// takes a softmax and merges the heads back ([.., H*D]).
//
// Each dimension of each value gets a label: the product of atoms H, D and
// constants, in row-major order. A selected split labels its input's last
// dimension [H, D]; reshapes redistribute atoms in order (a reshape that
// would cut an H or D atom is refused), transposes permute labels, matmuls
// and elementwise ops pass them on, reductions drop the reduced one. The
// rewrite sets every reshape's shape to its labels' new sizes, resizes splat
// constants broadcast against a head dimension, rewrites the attention scale
// 1/sqrt(D) (or sqrt(D)) to the new D, and re-infers everything else.
// Rotary embeddings (Llama) follow: rotate_half's slices cut D into halves
// (an atom D/2, so D must stay even), its concat joins them back, and the
// cos/sin tables, model inputs broadcast against D, are resized with it. An
// op set_heads does not know, or a model input carrying the head count or
// another head dimension, refuses the mutation with an error naming it.
//
//===----------------------------------------------------------------------===//

#include "mlir/DimensionAnalysis.h"
#include "mlir/ModelLoader.h"
#include "mlir/Mutations.h"
#include "mlir/PlanLowering.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <deque>
#include <map>

namespace goodhart {
namespace {

enum class AtomKind { kConst, kHeads, kHeadDim, kHalfHeadDim };
struct Atom {
  AtomKind kind;
  int64_t size; // the reference's size
};
using Label = llvm::SmallVector<Atom, 2>;
using Labels = llvm::SmallVector<Label, 4>;

bool isHead(const Label &label) {
  return llvm::any_of(label,
                      [](const Atom &a) { return a.kind != AtomKind::kConst; });
}
bool anyHead(const Labels &labels) { return llvm::any_of(labels, isHead); }

/// A label that is exactly one atom of `kind`.
bool isAtom(const Label &label, AtomKind kind) {
  return label.size() == 1 && label.front().kind == kind;
}

llvm::ArrayRef<int64_t> shapeOf(mlir::Value v) {
  auto t = llvm::dyn_cast<mlir::RankedTensorType>(v.getType());
  return t ? t.getShape() : llvm::ArrayRef<int64_t>();
}

Labels constantLabels(llvm::ArrayRef<int64_t> shape) {
  Labels labels;
  for (int64_t size : shape) {
    Label label;
    if (size != 1)
      label.push_back({AtomKind::kConst, size});
    labels.push_back(label);
  }
  return labels;
}

/// A head split: a reshape [.., hidden] -> [.., H, D] (leading dimensions
/// kept) with a transpose among its users that moves H and keeps D last.
bool isHeadSplit(mlir::tosa::ReshapeOp reshape) {
  auto in = shapeOf(reshape.getInput1()), out = shapeOf(reshape.getResult());
  size_t r = out.size();
  if (in.empty() || r != in.size() + 1 || in.drop_back() != out.drop_back(2) ||
      out[r - 2] * out[r - 1] != in.back() || out[r - 2] < 2 || out[r - 1] < 2)
    return false;
  for (mlir::Operation *user : reshape->getUsers())
    if (auto t = llvm::dyn_cast<mlir::tosa::TransposeOp>(user)) {
      auto perms = t.getPerms();
      if (perms.back() == static_cast<int32_t>(r - 1) &&
          perms[r - 2] != static_cast<int32_t>(r - 2))
        return true;
    }
  return false;
}

/// The head splits of `func` in program order with their layer names.
llvm::SmallVector<std::pair<mlir::tosa::ReshapeOp, std::string>>
headSplits(mlir::func::FuncOp func) {
  llvm::DenseMap<mlir::Operation *, std::string> names = assignLayerNames(func);
  llvm::SmallVector<std::pair<mlir::tosa::ReshapeOp, std::string>> splits;
  for (auto reshape : func.getBody().getOps<mlir::tosa::ReshapeOp>())
    if (isHeadSplit(reshape))
      splits.push_back({reshape, names.lookup(reshape)});
  return splits;
}

bool inScope(llvm::StringRef name, llvm::StringRef scope) {
  return scope == "*" || name.starts_with((scope + ".").str());
}

/// The new head geometry.
struct Geometry {
  int64_t heads, headDim;
  int64_t size(const Atom &a) const {
    switch (a.kind) {
    case AtomKind::kConst:
      return a.size;
    case AtomKind::kHeads:
      return heads;
    case AtomKind::kHeadDim:
      return headDim;
    case AtomKind::kHalfHeadDim:
      return headDim / 2;
    }
    return a.size;
  }
  int64_t size(const Label &label) const {
    int64_t n = 1;
    for (const Atom &a : label)
      n *= size(a);
    return n;
  }
  llvm::SmallVector<int64_t> shape(const Labels &labels) const {
    llvm::SmallVector<int64_t> s;
    for (const Label &l : labels)
      s.push_back(size(l));
    return s;
  }
};

/// Labels of a reshape's result: the input's atoms, in order, dealt out to
/// dimensions of `out`'s sizes; a constant may be split, H and D may not.
std::optional<Labels> redistribute(const Labels &in,
                                   llvm::ArrayRef<int64_t> out) {
  std::deque<Atom> atoms;
  for (const Label &label : in)
    for (const Atom &a : label)
      if (a.size != 1 || a.kind != AtomKind::kConst)
        atoms.push_back(a);
  Labels labels;
  for (int64_t size : out) {
    Label label;
    int64_t p = 1;
    while (p < size) {
      if (atoms.empty())
        return std::nullopt;
      Atom &a = atoms.front();
      if (size % (p * a.size) == 0) {
        label.push_back(a);
        p *= a.size;
        atoms.pop_front();
      } else if (a.kind == AtomKind::kConst && size % p == 0 &&
                 a.size % (size / p) == 0) {
        label.push_back({AtomKind::kConst, size / p});
        a.size /= size / p;
        p = size;
      } else {
        return std::nullopt;
      }
    }
    if (p != size)
      return std::nullopt;
    labels.push_back(label);
  }
  if (!atoms.empty())
    return std::nullopt;
  return labels;
}

/// A constant operand replaced by a new splat: resized, or a new value.
struct ConstRewrite {
  mlir::OpOperand *operand;
  llvm::SmallVector<int64_t> shape;
  std::optional<double> value;
};

struct HeadPlan {
  llvm::MapVector<mlir::Operation *, llvm::SmallVector<int64_t>> reshapes;
  /// Slices of a head dimension (rotate_half): new start and size.
  llvm::MapVector<mlir::Operation *, std::pair<llvm::SmallVector<int64_t>,
                                               llvm::SmallVector<int64_t>>>
      slices;
  llvm::SmallVector<ConstRewrite> consts;
  /// Weight arguments resized (set_head_dim): argument -> dim -> size.
  std::map<unsigned, std::map<unsigned, int64_t>> args;
  /// Model inputs resized with the head dimension (rotary cos/sin tables).
  std::map<unsigned, std::map<unsigned, int64_t>> inputs;
  int scales = 0;
};

/// The weight argument `v` is, or null.
mlir::BlockArgument weightArgument(mlir::Value v) {
  auto arg = llvm::dyn_cast<mlir::BlockArgument>(v);
  if (!arg)
    return nullptr;
  auto func = llvm::dyn_cast<mlir::func::FuncOp>(arg.getOwner()->getParentOp());
  return func && func.getArgAttr(arg.getArgNumber(), kWeightArgAttr) ? arg
                                                                     : nullptr;
}

std::optional<double> splatValue(mlir::tosa::ConstOp c) {
  auto dense = llvm::dyn_cast<mlir::DenseFPElementsAttr>(c.getValues());
  if (!dense || !dense.isSplat())
    return std::nullopt;
  return dense.getSplatValue<llvm::APFloat>().convertToDouble();
}

bool near(double a, double b) { return std::abs(a - b) <= 1e-3 * std::abs(b); }

/// The entries of a tosa.const_shape operand, or nullopt when computed.
std::optional<llvm::SmallVector<int64_t>> constShape(mlir::Value v) {
  auto shapeOp = v.getDefiningOp<mlir::tosa::ConstShapeOp>();
  if (!shapeOp)
    return std::nullopt;
  llvm::SmallVector<int64_t> values;
  for (const llvm::APInt &x :
       llvm::cast<mlir::DenseIntElementsAttr>(shapeOp.getValues())
           .getValues<llvm::APInt>())
    values.push_back(x.getSExtValue());
  return values;
}

/// Gives `operand` (a reshape's shape, a slice's start or size) a new
/// tosa.const_shape holding `values`.
void setConstShape(mlir::OpOperand &operand, llvm::ArrayRef<int64_t> values) {
  mlir::OpBuilder builder(operand.getOwner());
  auto n = static_cast<int64_t>(values.size());
  auto attr = mlir::DenseIntElementsAttr::get(
      mlir::RankedTensorType::get({n}, builder.getIndexType()), values);
  mlir::Value old = operand.get();
  operand.set(mlir::tosa::ConstShapeOp::create(builder, old.getLoc(),
                                               old.getType(), attr));
  if (old.use_empty())
    old.getDefiningOp()->erase();
}

/// Labels of a slice's result when it keeps head dimensions whole or cuts
/// D into the halves rotate_half takes; records the new start and size.
mlir::FailureOr<Labels> sliceLabels(mlir::tosa::SliceOp slice, const Labels &in,
                                    Geometry from, Geometry to, HeadPlan &plan,
                                    llvm::StringRef &why) {
  auto inShape = shapeOf(slice.getInput1()), out = shapeOf(slice.getResult());
  std::optional<llvm::SmallVector<int64_t>> start =
      constShape(slice.getStart());
  std::optional<llvm::SmallVector<int64_t>> size = constShape(slice.getSize());
  if (!start || !size) {
    why = "slices a head dimension with a computed start or size";
    return mlir::failure();
  }
  Labels result;
  llvm::SmallVector<int64_t> newStart(*start), newSize(*size);
  for (size_t d = 0; d < in.size(); ++d) {
    const Label &l = in[d];
    if (!isHead(l)) {
      result.push_back(constantLabels({out[d]}).front());
    } else if (out[d] == inShape[d] && (*start)[d] == 0) {
      result.push_back(l);
      newSize[d] = to.size(l);
    } else if (isAtom(l, AtomKind::kHeadDim) && 2 * out[d] == from.headDim &&
               ((*start)[d] == 0 || (*start)[d] == out[d])) {
      if (to.headDim % 2 != 0) {
        why = "cuts the head dimension in halves (rotate_half): the new head "
              "dimension must be even";
        return mlir::failure();
      }
      result.push_back({{AtomKind::kHalfHeadDim, out[d]}});
      newStart[d] = (*start)[d] == 0 ? 0 : to.headDim / 2;
      newSize[d] = to.headDim / 2;
    } else {
      why = "slices a head dimension other than into the halves of "
            "rotate_half; set_heads cannot follow it";
      return mlir::failure();
    }
  }
  if (newStart != *start || newSize != *size)
    plan.slices[slice] = {newStart, newSize};
  return result;
}

/// Labels of a concat's result: head dimensions off the axis pass on; on
/// the axis, rotate_half's two halves of D join back into D.
mlir::FailureOr<Labels> concatLabels(mlir::tosa::ConcatOp concat,
                                     llvm::ArrayRef<Labels> in,
                                     llvm::StringRef &why) {
  auto axis = static_cast<size_t>(concat.getAxis());
  Labels result = in.front();
  bool halves = in.size() == 2 && llvm::all_of(in, [&](const Labels &l) {
                  return isAtom(l[axis], AtomKind::kHalfHeadDim);
                });
  if (halves) {
    result[axis] = {{AtomKind::kHeadDim, 2 * in.front()[axis].front().size}};
  } else if (llvm::any_of(in,
                          [&](const Labels &l) { return isHead(l[axis]); })) {
    why = "concatenates along a head dimension other than rotate_half's "
          "halves; set_heads cannot follow it";
    return mlir::failure();
  } else {
    result[axis] = constantLabels({shapeOf(concat.getResult())[axis]}).front();
  }
  for (size_t d = 0; d < result.size(); ++d)
    for (const Labels &l : in)
      if (d != axis && isHead(l[d]))
        result[d] = l[d];
  return result;
}

/// Plans re-splitting the attention of the selected `splits` from
/// `from` into `to`; emits (when `emit`) on the op that cannot follow.
mlir::FailureOr<HeadPlan>
planHeads(mlir::func::FuncOp func,
          const llvm::DenseSet<mlir::Operation *> &splits, Geometry from,
          Geometry to, bool emit) {
  HeadPlan plan;
  llvm::DenseMap<mlir::Value, Labels> labels;
  auto labelsOf = [&](mlir::Value v) -> Labels {
    auto it = labels.find(v);
    return it != labels.end() ? it->second : constantLabels(shapeOf(v));
  };
  auto fail = [&](mlir::Operation *op, llvm::StringRef why) {
    if (emit)
      op->emitOpError() << why;
    return mlir::failure();
  };

  for (mlir::Operation &op : func.getBody().getOps()) {
    bool carries = llvm::any_of(op.getOperands(), [&](mlir::Value v) {
      return labels.count(v) && anyHead(labels.lookup(v));
    });
    if (llvm::isa<mlir::func::ReturnOp>(op)) {
      for (mlir::Value v : op.getOperands())
        if (to.shape(labelsOf(v)) != llvm::to_vector(shapeOf(v)))
          return fail(&op, "returns a value whose shape follows the head "
                           "geometry: set_heads would change the model's "
                           "outputs");
      continue;
    }
    if (op.getNumResults() != 1 || shapeOf(op.getResult(0)).empty())
      continue;
    mlir::Value out = op.getResult(0);
    auto outShape = shapeOf(out);
    std::optional<Labels> result;
    if (auto r = llvm::dyn_cast<mlir::tosa::ReshapeOp>(op)) {
      Labels in = labelsOf(r.getInput1());
      if (splits.contains(&op))
        in.back() = {{AtomKind::kHeads, from.heads},
                     {AtomKind::kHeadDim, from.headDim}};
      result = redistribute(in, outShape);
      if (!result && anyHead(in))
        return fail(&op, "cuts a head dimension apart; set_heads cannot "
                         "follow it");
      if (result && anyHead(*result) &&
          to.shape(*result) != llvm::to_vector(outShape))
        plan.reshapes[&op] = to.shape(*result);
    } else if (auto s = llvm::dyn_cast<mlir::tosa::SliceOp>(op); s && carries) {
      llvm::StringRef why;
      mlir::FailureOr<Labels> sliced =
          sliceLabels(s, labelsOf(s.getInput1()), from, to, plan, why);
      if (mlir::failed(sliced))
        return fail(&op, why);
      result = std::move(*sliced);
    } else if (auto c = llvm::dyn_cast<mlir::tosa::ConcatOp>(op);
               c && carries) {
      llvm::SmallVector<Labels> in;
      for (mlir::Value v : c.getOperands())
        in.push_back(labelsOf(v));
      llvm::StringRef why;
      mlir::FailureOr<Labels> joined = concatLabels(c, in, why);
      if (mlir::failed(joined))
        return fail(&op, why);
      result = std::move(*joined);
    } else if (auto t = llvm::dyn_cast<mlir::tosa::TransposeOp>(op)) {
      Labels in = labelsOf(t.getInput1());
      result.emplace();
      for (int32_t p : t.getPerms())
        result->push_back(in[p]);
    } else if (auto m = llvm::dyn_cast<mlir::tosa::MatMulOp>(op)) {
      Labels a = labelsOf(m.getA()), b = labelsOf(m.getB());
      if (to.size(a[2]) != to.size(b[1])) {
        // The output projection of a narrower or wider attention.
        mlir::BlockArgument w = weightArgument(m.getB());
        if (!w || isHead(b[1]))
          return fail(&op, "would multiply mismatched head dimensions");
        plan.args[w.getArgNumber()][1] = to.size(a[2]);
      }
      result = Labels{a[0], a[1], b[2]};
    } else if (llvm::isa<mlir::tosa::ReduceSumOp, mlir::tosa::ReduceMaxOp,
                         mlir::tosa::ReduceMinOp, mlir::tosa::ReduceProductOp>(
                   op)) {
      result = labelsOf(op.getOperand(0));
      (*result)[op.getAttrOfType<mlir::IntegerAttr>("axis").getInt()] = {};
    } else if (llvm::isa<
                   mlir::tosa::AddOp, mlir::tosa::SubOp, mlir::tosa::MulOp,
                   mlir::tosa::MaximumOp, mlir::tosa::MinimumOp,
                   mlir::tosa::PowOp, mlir::tosa::ExpOp, mlir::tosa::LogOp,
                   mlir::tosa::ReciprocalOp, mlir::tosa::RsqrtOp,
                   mlir::tosa::ClampOp, mlir::tosa::CastOp, mlir::tosa::TanhOp,
                   mlir::tosa::SigmoidOp, mlir::tosa::ErfOp, mlir::tosa::AbsOp,
                   mlir::tosa::NegateOp, mlir::tosa::SelectOp>(op)) {
      llvm::SmallVector<mlir::OpOperand *> data;
      for (mlir::OpOperand &operand : op.getOpOperands())
        if (shapeOf(operand.get()).size() == outShape.size())
          data.push_back(&operand);
      result = constantLabels(outShape);
      for (size_t d = 0; d < outShape.size(); ++d)
        for (mlir::OpOperand *operand : data) {
          Label l = labelsOf(operand->get())[d];
          if (shapeOf(operand->get())[d] == outShape[d] && isHead(l)) {
            (*result)[d] = l;
            break;
          }
        }
      bool region =
          anyHead(*result) && llvm::none_of(*result, [](const Label &l) {
            return llvm::any_of(l,
                                [](const Atom &a) {
                                  return a.kind == AtomKind::kHeads;
                                }) &&
                   llvm::any_of(l, [](const Atom &a) {
                     return a.kind == AtomKind::kHeadDim;
                   });
          });
      llvm::SmallVector<int64_t> newShape = to.shape(*result);
      for (mlir::OpOperand *operand : data) {
        mlir::Value v = operand->get();
        Labels l = labelsOf(v);
        auto c = v.getDefiningOp<mlir::tosa::ConstOp>();
        llvm::SmallVector<int64_t> want(shapeOf(v));
        for (size_t d = 0; d < want.size(); ++d)
          if (want[d] != 1 && to.size(l[d]) != newShape[d])
            want[d] = newShape[d];
        std::optional<double> value;
        if (c && region && llvm::isa<mlir::tosa::MulOp>(op) &&
            llvm::all_of(shapeOf(v), [](int64_t s) { return s == 1; }))
          if (std::optional<double> x = splatValue(c)) {
            double oldD = static_cast<double>(from.headDim);
            double newD = static_cast<double>(to.headDim);
            if (near(*x, 1 / std::sqrt(oldD)))
              value = 1 / std::sqrt(newD);
            else if (near(*x, std::sqrt(oldD)))
              value = std::sqrt(newD);
          }
        if (want == llvm::to_vector(shapeOf(v)) && !value)
          continue;
        if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(v);
            arg && !weightArgument(arg)) {
          // A table broadcast against D (rotary cos/sin) follows D.
          bool headDimOnly = true;
          for (size_t d = 0; d < want.size(); ++d)
            if (want[d] != shapeOf(v)[d])
              headDimOnly &= isAtom((*result)[d], AtomKind::kHeadDim) ||
                             isAtom((*result)[d], AtomKind::kHalfHeadDim);
          if (headDimOnly) {
            for (size_t d = 0; d < want.size(); ++d)
              if (want[d] != shapeOf(v)[d])
                plan.inputs[arg.getArgNumber()][d] = want[d];
            continue;
          }
        }
        if (!c || (want != llvm::to_vector(shapeOf(v)) && !splatValue(c))) {
          if (emit) {
            auto diag = op.emitOpError()
                        << "has an operand with a head dimension set_heads "
                           "cannot resize";
            if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(v))
              diag << " (function argument #" << arg.getArgNumber()
                   << ", a model input)";
          }
          return mlir::failure();
        }
        plan.consts.push_back({operand, want, value});
        plan.scales += value.has_value();
      }
    } else if (llvm::isa<mlir::tosa::ConstOp, mlir::tosa::ConstShapeOp>(op)) {
      continue;
    } else if (carries) {
      return fail(&op, "carries an attention head dimension and set_heads "
                       "does not know how it follows a new head count");
    }
    if (result && anyHead(*result))
      labels[out] = std::move(*result);
  }
  return plan;
}

/// The selected splits and their common geometry, or an error.
mlir::FailureOr<std::pair<llvm::DenseSet<mlir::Operation *>, Geometry>>
selectSplits(mlir::func::FuncOp func, llvm::StringRef scope, bool emit) {
  llvm::DenseSet<mlir::Operation *> selected;
  std::optional<Geometry> geometry;
  for (auto &[reshape, name] : headSplits(func)) {
    if (!inScope(name, scope))
      continue;
    auto out = shapeOf(reshape.getResult());
    Geometry g{out[out.size() - 2], out.back()};
    if (geometry &&
        (g.heads != geometry->heads || g.headDim != geometry->headDim)) {
      if (emit)
        reshape.emitOpError()
            << "is head split '" << name << "' with " << g.heads << " heads of "
            << g.headDim << ", but another selected one has " << geometry->heads
            << " of " << geometry->headDim << "; name one attention layer";
      return mlir::failure();
    }
    geometry = g;
    selected.insert(reshape);
  }
  if (!geometry) {
    if (emit)
      func.emitError() << "set_heads: no attention head split (a reshape "
                          "[.., hidden] -> [.., H, D] then a transpose) "
                       << (scope == "*" ? "in the model"
                                        : "named '" + scope.str() + ".*'");
    return mlir::failure();
  }
  return std::make_pair(std::move(selected), *geometry);
}

void applyConstRewrite(const ConstRewrite &rewrite) {
  mlir::Value v = rewrite.operand->get();
  auto c = v.getDefiningOp<mlir::tosa::ConstOp>();
  auto oldType = llvm::cast<mlir::RankedTensorType>(c.getType());
  auto type = mlir::RankedTensorType::get(
      rewrite.shape, oldType.getElementType(), oldType.getEncoding());
  mlir::OpBuilder builder(rewrite.operand->getOwner());
  mlir::Attribute element =
      rewrite.value
          ? builder.getFloatAttr(oldType.getElementType(), *rewrite.value)
          : *llvm::cast<mlir::ElementsAttr>(c.getValues())
                 .getValues<mlir::Attribute>()
                 .begin();
  auto replacement = mlir::tosa::ConstOp::create(
      builder, c.getLoc(), type, mlir::DenseElementsAttr::get(type, element));
  rewrite.operand->set(replacement.getResult());
  if (c->use_empty())
    c.erase();
}

/// Plans resizing the attention width (the projections' output features
/// before each selected head split) to `width`: weight arguments and
/// constants of the split input's class. Fails on a model input, a reshape
/// or slice of the width, or a returned value in that class.
mlir::LogicalResult
planProjections(mlir::func::FuncOp func,
                const llvm::DenseSet<mlir::Operation *> &splits, int64_t width,
                HeadPlan &plan) {
  DimensionAnalysis analysis(func);
  llvm::DenseSet<mlir::Operation *> constsDone;
  for (mlir::Operation &op : func.getBody().getOps()) {
    if (!splits.contains(&op))
      continue;
    mlir::Value in = llvm::cast<mlir::tosa::ReshapeOp>(op).getInput1();
    auto dim = static_cast<unsigned>(shapeOf(in).size() - 1);
    for (const DimRef &ref : analysis.classOf({in, dim})) {
      for (mlir::Operation *user : ref.value.getUsers())
        if (llvm::isa<mlir::func::ReturnOp>(user))
          return op.emitOpError()
                 << "splits an attention width the model returns";
      if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(ref.value)) {
        if (!weightArgument(arg))
          return op.emitOpError()
                 << "splits an attention width that model input #"
                 << arg.getArgNumber() << " carries";
        plan.args[arg.getArgNumber()][ref.dim] = width;
        continue;
      }
      mlir::Operation *def = ref.value.getDefiningOp();
      if (auto c = llvm::dyn_cast<mlir::tosa::ConstOp>(def)) {
        if (!constsDone.insert(c).second)
          continue;
        for (mlir::OpOperand &use : c->getUses()) {
          llvm::SmallVector<int64_t> shape(shapeOf(c.getResult()));
          shape[ref.dim] = width;
          plan.consts.push_back({&use, shape, std::nullopt});
        }
      } else if (llvm::isa<mlir::tosa::ReshapeOp, mlir::tosa::SliceOp>(def)) {
        return def->emitOpError()
               << "reshapes the attention width before its head split; "
                  "set_head_dim does not follow it";
      }
    }
  }
  return mlir::success();
}

/// Applies `plan` and re-infers; fails when the model's outputs would
/// change (arguments change only as planned: weights set_head_dim resizes).
mlir::LogicalResult applyHeadPlan(mlir::func::FuncOp func, const HeadPlan &plan,
                                  llvm::StringRef what) {
  auto results = func.getFunctionType().getResults();
  llvm::SmallVector<mlir::Type> before(results.begin(), results.end());
  for (const ConstRewrite &rewrite : plan.consts)
    applyConstRewrite(rewrite);
  for (const auto *resized : {&plan.args, &plan.inputs})
    for (auto &[index, dims] : *resized) {
      mlir::BlockArgument arg = func.getArgument(index);
      auto type = llvm::cast<mlir::RankedTensorType>(arg.getType());
      llvm::SmallVector<int64_t> shape(type.getShape());
      for (auto [dim, size] : dims)
        shape[dim] = size;
      arg.setType(mlir::RankedTensorType::get(shape, type.getElementType(),
                                              type.getEncoding()));
    }
  for (auto &[op, shape] : plan.reshapes)
    setConstShape(llvm::cast<mlir::tosa::ReshapeOp>(op).getShapeMutable(),
                  shape);
  for (auto &[op, startAndSize] : plan.slices) {
    auto slice = llvm::cast<mlir::tosa::SliceOp>(op);
    setConstShape(slice.getStartMutable(), startAndSize.first);
    setConstShape(slice.getSizeMutable(), startAndSize.second);
  }
  if (mlir::failed(refineShapes(func)))
    return func.emitError() << what << " left an invalid module";
  if (llvm::to_vector(func.getFunctionType().getResults()) != before)
    return func.emitError() << what << " would change the model's outputs";
  return mlir::success();
}

} // namespace

std::optional<HeadSite> findHeadSite(mlir::func::FuncOp func) {
  auto selected = selectSplits(func, "*", /*emit=*/false);
  if (mlir::failed(selected))
    return std::nullopt;
  auto &[splits, from] = *selected;
  HeadSite site;
  site.heads = from.heads;
  site.headDim = from.headDim;
  for (auto &[reshape, name] : headSplits(func))
    site.splits.push_back(name);
  int64_t hidden = from.heads * from.headDim;
  for (int64_t h = std::max<int64_t>(1, from.heads / 4); h <= 4 * from.heads;
       ++h)
    if (h != from.heads && hidden % h == 0 &&
        mlir::succeeded(
            planHeads(func, splits, from, {h, hidden / h}, /*emit=*/false)))
      site.candidates.push_back(h);
  if (site.candidates.empty())
    return std::nullopt;
  return site;
}

mlir::LogicalResult setHeads(mlir::func::FuncOp func, llvm::StringRef scope,
                             int64_t heads) {
  auto selected = selectSplits(func, scope, /*emit=*/true);
  if (mlir::failed(selected))
    return mlir::failure();
  auto &[splits, from] = *selected;
  int64_t hidden = from.heads * from.headDim;
  if (heads < 1 || hidden % heads != 0)
    return func.emitError()
           << "set_heads: " << heads << " heads do not divide the hidden size "
           << hidden << " (" << from.heads << " heads of " << from.headDim
           << ")";
  if (heads == from.heads)
    return func.emitError()
           << "set_heads: the attention already has " << heads << " heads";
  Geometry to{heads, hidden / heads};
  mlir::FailureOr<HeadPlan> plan =
      planHeads(func, splits, from, to, /*emit=*/true);
  if (mlir::failed(plan))
    return mlir::failure();
  if (!plan->args.empty())
    return func.emitError() << "set_heads: the attention width would change";
  std::string what =
      "set_heads(" + scope.str() + ", " + std::to_string(heads) + ")";
  return applyHeadPlan(func, *plan, what);
}

mlir::LogicalResult setHeadDim(mlir::func::FuncOp func, llvm::StringRef scope,
                               int64_t headDim) {
  auto selected = selectSplits(func, scope, /*emit=*/true);
  if (mlir::failed(selected))
    return mlir::failure();
  auto &[splits, from] = *selected;
  if (headDim < 1)
    return func.emitError() << "set_head_dim: a head dimension must be at "
                               "least 1, not "
                            << headDim;
  if (headDim == from.headDim)
    return func.emitError() << "set_head_dim: the attention's heads already "
                               "have "
                            << headDim << " dimensions";
  Geometry to{from.heads, headDim};
  mlir::FailureOr<HeadPlan> plan =
      planHeads(func, splits, from, to, /*emit=*/true);
  if (mlir::failed(plan) ||
      mlir::failed(planProjections(func, splits, from.heads * headDim, *plan)))
    return mlir::failure();
  std::string what =
      "set_head_dim(" + scope.str() + ", " + std::to_string(headDim) + ")";
  return applyHeadPlan(func, *plan, what);
}

} // namespace goodhart
