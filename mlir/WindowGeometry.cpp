//===- WindowGeometry.cpp - Exporter-style windows for geometry mutations -===//

#include "mlir/WindowGeometry.h"
#include "mlir/InputSizeSupport.h"
#include "mlir/Mutations.h"

#include "mlir/PlanLowering.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"

namespace goodhart {
namespace {

/// A slice of `source` from the origin with `size`: an existing one (an
/// exporter slices once for every window that needs it) or a new one just
/// before `user`.
mlir::Value trimSlice(mlir::Value source, llvm::ArrayRef<int64_t> size,
                      mlir::Operation *user, llvm::StringRef name) {
  for (mlir::Operation *other : source.getUsers()) {
    auto slice = llvm::dyn_cast<mlir::tosa::SliceOp>(other);
    if (!slice || slice.getInput1() != source ||
        shapeOf(slice.getResult()) != size ||
        slice->getBlock() != user->getBlock())
      continue;
    auto start = constShapeValues(slice.getStart());
    if (!start || llvm::any_of(*start, [](int64_t s) { return s != 0; }) ||
        !constShapeValues(slice.getSize()))
      continue;
    // A slice further down (the shortcut's, when the main path now needs
    // it first) moves up, with its shape constants.
    if (!slice->isBeforeInBlock(user)) {
      for (mlir::Value shape : {slice.getStart(), slice.getSize()})
        if (!shape.getDefiningOp()->isBeforeInBlock(user))
          shape.getDefiningOp()->moveBefore(user);
      slice->moveBefore(user);
    }
    return slice.getResult();
  }
  mlir::OpBuilder builder(user);
  auto type = mlir::RankedTensorType::get(
      size,
      llvm::cast<mlir::RankedTensorType>(source.getType()).getElementType());
  llvm::SmallVector<int64_t> zeros(size.size(), 0);
  mlir::Value start = makeShape(builder, zeros);
  mlir::Value sizeShape = makeShape(builder, size);
  return mlir::tosa::SliceOp::create(
      builder, mlir::NameLoc::get(builder.getStringAttr(name)), type, source,
      start, sizeShape);
}

void eraseIfUnused(mlir::Operation *op) {
  if (!op || !op->use_empty())
    return;
  llvm::SmallVector<mlir::Operation *> operands;
  for (mlir::Value v : op->getOperands())
    if (mlir::Operation *def = v.getDefiningOp())
      operands.push_back(def);
  op->erase();
  for (mlir::Operation *def : operands)
    if (llvm::isa<mlir::tosa::ConstShapeOp>(def) && def->use_empty())
      def->erase();
}

} // namespace

mlir::Operation *findNamedLayer(mlir::func::FuncOp func, llvm::StringRef name) {
  for (auto &[op, layerName] : assignLayerNames(func))
    if (layerName == name)
      return op;
  return nullptr;
}

std::array<int64_t, 3> exporterPadding(int64_t in, int64_t kernel,
                                       int64_t stride, int64_t before) {
  int64_t out = (in + 2 * before - kernel) / stride + 1;
  int64_t after = (out - 1) * stride + kernel - in - before;
  if (after >= 0)
    return {before, after, 0};
  return {before, 0, -after};
}

mlir::Value untrimmedInput(mlir::Value input) {
  auto slice = input.getDefiningOp<mlir::tosa::SliceOp>();
  if (!slice)
    return input;
  auto in = shapeOf(slice.getInput1()), out = shapeOf(slice.getResult());
  auto start = constShapeValues(slice.getStart());
  if (in.size() != 4 || out.size() != 4 || !start ||
      llvm::any_of(*start, [](int64_t s) { return s != 0; }) ||
      in[0] != out[0] || in[3] != out[3])
    return input;
  return slice.getInput1();
}

mlir::LogicalResult setConvWindow(mlir::Operation *conv, int64_t kh, int64_t kw,
                                  int64_t stride, int64_t beforeH,
                                  int64_t beforeW, llvm::StringRef trimName) {
  if (!llvm::isa<mlir::tosa::Conv2DOp, mlir::tosa::DepthwiseConv2DOp>(conv))
    return conv->emitOpError() << "is not a convolution: no window to set";
  mlir::OpOperand &inputOperand = conv->getOpOperand(0);
  mlir::Value oldInput = inputOperand.get();
  mlir::Value source = untrimmedInput(oldInput);
  auto in = shapeOf(source);
  auto h = exporterPadding(in[1], kh, stride, beforeH);
  auto w = exporterPadding(in[2], kw, stride, beforeW);
  if (in[1] - h[2] + h[0] + h[1] < kh || in[2] - w[2] + w[0] + w[1] < kw)
    return conv->emitOpError()
           << "a " << kh << "x" << kw << " window with stride " << stride
           << " does not fit its " << in[1] << "x" << in[2] << " input";
  mlir::Value input = source;
  if (h[2] || w[2]) {
    llvm::SmallVector<int64_t> size(in);
    size[1] -= h[2];
    size[2] -= w[2];
    input = trimSlice(source, size, conv, trimName);
  }
  inputOperand.set(input);
  if (oldInput != input)
    eraseIfUnused(oldInput.getDefiningOp<mlir::tosa::SliceOp>());

  mlir::Builder builder(conv->getContext());
  auto pad = builder.getDenseI64ArrayAttr({h[0], h[1], w[0], w[1]});
  auto strides = builder.getDenseI64ArrayAttr({stride, stride});
  if (auto c = llvm::dyn_cast<mlir::tosa::Conv2DOp>(conv)) {
    c.setPadAttr(pad);
    c.setStrideAttr(strides);
  } else {
    auto d = llvm::cast<mlir::tosa::DepthwiseConv2DOp>(conv);
    d.setPadAttr(pad);
    d.setStrideAttr(strides);
  }
  return refineResultTypes(conv);
}

mlir::Value makeShape(mlir::OpBuilder &builder,
                      llvm::ArrayRef<int64_t> values) {
  auto n = static_cast<int64_t>(values.size());
  auto attr = mlir::DenseIntElementsAttr::get(
      mlir::RankedTensorType::get({n}, builder.getIndexType()), values);
  return mlir::tosa::ConstShapeOp::create(
      builder, builder.getUnknownLoc(),
      mlir::tosa::shapeType::get(builder.getContext(), n), attr);
}

mlir::LogicalResult retypeConvWeight(mlir::Operation *conv, mlir::Value weight,
                                     mlir::RankedTensorType newType,
                                     llvm::StringRef layerName) {
  if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(weight)) {
    arg.setType(newType);
    return mlir::success();
  }
  auto c = weight.getDefiningOp<mlir::tosa::ConstOp>();
  if (!c)
    return conv->emitOpError() << "is layer '" << layerName
                               << "': its weights are computed, not an "
                                  "argument or a tosa.const";
  replaceByFirstValueSplat(c, newType);
  return mlir::success();
}

void replaceByFirstValueSplat(mlir::tosa::ConstOp c,
                              mlir::RankedTensorType newType) {
  auto values = llvm::cast<mlir::ElementsAttr>(c.getValues());
  mlir::OpBuilder builder(c);
  mlir::Attribute first = values.getNumElements() > 0
                              ? *values.getValues<mlir::Attribute>().begin()
                              : builder.getZeroAttr(newType.getElementType());
  auto replacement =
      mlir::tosa::ConstOp::create(builder, c.getLoc(), newType,
                                  mlir::DenseElementsAttr::get(newType, first));
  c.getResult().replaceAllUsesWith(replacement.getResult());
  c.erase();
}

} // namespace goodhart
