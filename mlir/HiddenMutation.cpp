//===- HiddenMutation.cpp - Change a transformer's hidden size ------------===//
//
// set_hidden(*, N) changes the residual stream width (d_model) of a
// transformer. That width is one tied dimension class (DimensionAnalysis)
// that reaches the model's token input and its outputs: set_channels
// refuses such a class, set_hidden resizes it on purpose
// (resizeTiedDimension: arguments, weights, biases and norm parameters on
// the residual width, the projections' input features, the FFN's input and
// output features). Three things are not shapes and follow by hand:
//  - the mean constants 1/hidden that layer and RMS norms multiply a
//    reduce_sum over the residual width by become 1/N;
//  - the head count is kept and the head dimension becomes N / heads
//    (setHeadDim: the Q/K/V/O projections' attention width, the scale
//    1/sqrt(head_dim), Llama's rotary tables), so N must divide by heads;
//  - the FFN width does not change (set_channels on the FFN matmuls does).
// The result equals `goodhart zoo export MODEL --hidden N`.
//
//===----------------------------------------------------------------------===//

#include "mlir/DimensionAnalysis.h"
#include "mlir/Mutations.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"

#include <cmath>
#include <string>

namespace goodhart {
namespace {

/// The model's first returned value and its last dimension, the residual
/// width of a transformer; nullopt when it is not a [.., hidden] tensor.
std::optional<DimRef> residualOutput(mlir::func::FuncOp func) {
  if (func.isExternal())
    return std::nullopt;
  auto ret =
      llvm::cast<mlir::func::ReturnOp>(func.getBody().front().getTerminator());
  if (ret.getNumOperands() == 0)
    return std::nullopt;
  mlir::Value out = ret.getOperand(0);
  auto type = llvm::dyn_cast<mlir::RankedTensorType>(out.getType());
  if (!type || type.getRank() < 2 || !type.hasStaticShape())
    return std::nullopt;
  return DimRef{out, static_cast<unsigned>(type.getRank() - 1)};
}

/// A [1, .., 1] float splat constant's value, or nullopt.
std::optional<double> scalarSplat(mlir::Value v) {
  auto c = v.getDefiningOp<mlir::tosa::ConstOp>();
  if (!c)
    return std::nullopt;
  auto dense = llvm::dyn_cast<mlir::DenseFPElementsAttr>(c.getValues());
  if (!dense || !dense.isSplat() || dense.getNumElements() != 1)
    return std::nullopt;
  return dense.getSplatValue<llvm::APFloat>().convertToDouble();
}

/// The operands holding 1/hidden that multiply a reduce_sum over the
/// residual width: the means of layer and RMS norms.
llvm::SmallVector<mlir::OpOperand *>
meanScales(mlir::func::FuncOp func, DimRef residual, int64_t hidden) {
  DimensionAnalysis analysis(func);
  llvm::SmallVector<mlir::OpOperand *> scales;
  double inverse = 1.0 / static_cast<double>(hidden);
  for (auto sum : func.getBody().getOps<mlir::tosa::ReduceSumOp>()) {
    if (!analysis.tied({sum.getInput(), static_cast<unsigned>(sum.getAxis())},
                       residual))
      continue;
    for (mlir::Operation *user : sum->getUsers()) {
      auto mul = llvm::dyn_cast<mlir::tosa::MulOp>(user);
      if (!mul)
        continue;
      for (mlir::OpOperand *operand :
           {&mul.getInput1Mutable(), &mul.getInput2Mutable()})
        if (std::optional<double> x = scalarSplat(operand->get());
            x && std::abs(*x - inverse) <= 1e-6 * inverse)
          scales.push_back(operand);
    }
  }
  return scales;
}

/// Points `operand` at a new splat constant of its type holding `value`.
void setScalar(mlir::OpOperand *operand, double value) {
  auto c = operand->get().getDefiningOp<mlir::tosa::ConstOp>();
  auto type = llvm::cast<mlir::RankedTensorType>(c.getType());
  mlir::OpBuilder builder(operand->getOwner());
  auto replacement = mlir::tosa::ConstOp::create(
      builder, c.getLoc(), type,
      mlir::DenseElementsAttr::get(
          type, builder.getFloatAttr(type.getElementType(), value)));
  operand->set(replacement.getResult());
  if (c->use_empty())
    c.erase();
}

} // namespace

std::optional<HiddenSite> findHiddenSite(mlir::func::FuncOp func) {
  std::optional<DimRef> residual = residualOutput(func);
  if (!residual)
    return std::nullopt;
  std::optional<HeadSite> heads = findHeadSite(func);
  if (!heads)
    return std::nullopt;
  auto type = llvm::cast<mlir::RankedTensorType>(residual->value.getType());
  HiddenSite site{type.getDimSize(residual->dim), heads->heads, {}};
  // Try each value on a copy, its refusals silenced: FLOPs grow about with
  // the square of the hidden size, so one or two heads more or less stay
  // near the +-10% the equivalence check allows, 64 may leave it.
  int64_t h = site.hidden, step = site.heads;
  llvm::SmallVector<int64_t> values = {h - 64,   h - 2 * step, h - step,
                                       h + step, h + 2 * step, h + 64};
  llvm::sort(values);
  mlir::ScopedDiagnosticHandler silence(
      func.getContext(), [](mlir::Diagnostic &) { return mlir::success(); });
  for (int64_t v : values) {
    if (v < 1 || v == h || v % step != 0 ||
        llvm::is_contained(site.candidates, v))
      continue;
    mlir::OwningOpRef<mlir::func::FuncOp> copy(func.clone());
    if (mlir::succeeded(setHidden(*copy, v)))
      site.candidates.push_back(v);
  }
  return site;
}

mlir::LogicalResult setHidden(mlir::func::FuncOp func, int64_t hidden) {
  std::string what = "set_hidden(*, " + std::to_string(hidden) + ")";
  std::optional<DimRef> residual = residualOutput(func);
  if (!residual)
    return func.emitError()
           << what << ": the model returns no [.., hidden] tensor";
  std::optional<HeadSite> heads = findHeadSite(func);
  if (!heads)
    return func.emitError() << what
                            << ": no attention whose heads set_head_dim can "
                               "follow (a reshape [.., hidden] -> [.., H, D] "
                               "then a transpose)";
  int64_t from = llvm::cast<mlir::RankedTensorType>(residual->value.getType())
                     .getDimSize(residual->dim);
  if (hidden < 1 || hidden % heads->heads != 0)
    return func.emitError()
           << what << ": the hidden size must be a positive multiple of the "
           << heads->heads << " attention heads (heads are kept, the head "
           << "dimension becomes hidden / heads)";
  if (hidden == from)
    return func.emitError()
           << what << ": the model's hidden size already is " << hidden;

  llvm::SmallVector<mlir::OpOperand *> scales =
      meanScales(func, *residual, from);
  if (mlir::failed(resizeTiedDimension(func, residual->value, residual->dim,
                                       hidden, what)))
    return mlir::failure();
  for (mlir::OpOperand *operand : scales)
    setScalar(operand, 1.0 / static_cast<double>(hidden));

  // The attention width follows through the head dimension (BERT's and
  // Llama's attention is hidden wide; another model's becomes so).
  int64_t headDim = hidden / heads->heads;
  if (heads->headDim != headDim && mlir::failed(setHeadDim(func, "*", headDim)))
    return func.emitError()
           << what << ": the head dimension cannot become " << headDim;
  return mlir::verify(func);
}

} // namespace goodhart
