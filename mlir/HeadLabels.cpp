//===- HeadLabels.cpp - Which dimensions carry attention heads ------------===//

#include "mlir/HeadLabels.h"
#include "mlir/InputSizeSupport.h"

#include "mlir/ModelLoader.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include <cmath>
#include <deque>

namespace goodhart::heads {
namespace {

bool isHead(const Label &label) {
  return llvm::any_of(label,
                      [](const Atom &a) { return a.kind != AtomKind::kConst; });
}
bool anyHead(const Labels &labels) { return llvm::any_of(labels, isHead); }

/// A label that is exactly one atom of `kind`.
bool isAtom(const Label &label, AtomKind kind) {
  return label.size() == 1 && label.front().kind == kind;
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

std::optional<double> splatValue(mlir::tosa::ConstOp c) {
  auto dense = llvm::dyn_cast<mlir::DenseFPElementsAttr>(c.getValues());
  if (!dense || !dense.isSplat())
    return std::nullopt;
  return dense.getSplatValue<llvm::APFloat>().convertToDouble();
}

bool near(double a, double b) { return std::abs(a - b) <= 1e-3 * std::abs(b); }

/// Labels of a slice's result when it keeps head dimensions whole or cuts
/// D into the halves rotate_half takes; records the new start and size.
mlir::FailureOr<Labels> sliceLabels(mlir::tosa::SliceOp slice, const Labels &in,
                                    Geometry from, Geometry to, HeadPlan &plan,
                                    llvm::StringRef &why) {
  auto inShape = shapeOf(slice.getInput1()), out = shapeOf(slice.getResult());
  auto start = constShapeValues(slice.getStart());
  auto size = constShapeValues(slice.getSize());
  if (!start || !size) {
    why = "slices a head dimension with a computed start or size";
    return mlir::failure();
  }
  Labels result;
  llvm::SmallVector<int64_t> newStart(start->begin(), start->end()),
      newSize(size->begin(), size->end());
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

} // namespace

mlir::BlockArgument weightArgument(mlir::Value v) {
  auto arg = llvm::dyn_cast<mlir::BlockArgument>(v);
  if (!arg)
    return nullptr;
  auto func = llvm::dyn_cast<mlir::func::FuncOp>(arg.getOwner()->getParentOp());
  return func && func.getArgAttr(arg.getArgNumber(), kWeightArgAttr) ? arg
                                                                     : nullptr;
}

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

} // namespace goodhart::heads
