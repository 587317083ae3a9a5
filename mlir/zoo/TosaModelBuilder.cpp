//===- TosaModelBuilder.cpp - Writing reference models in C++ -------------===//

#include "mlir/zoo/TosaModelBuilder.h"

#include "mlir/ModelLoader.h"
#include "mlir/WindowGeometry.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Verifier.h"

#include <limits>

namespace goodhart {

mlir::Type zooElementType(mlir::MLIRContext *context, llvm::StringRef dtype) {
  mlir::Builder b(context);
  if (dtype == "bf16")
    return b.getBF16Type();
  if (dtype == "f16")
    return b.getF16Type();
  return b.getF32Type();
}

TosaModelBuilder::TosaModelBuilder(mlir::ModuleOp module, llvm::StringRef name,
                                   llvm::ArrayRef<int64_t> inputShape,
                                   mlir::Type elementType)
    : builder(module.getContext()), elementType(elementType) {
  builder.setInsertionPointToEnd(module.getBody());
  func = mlir::func::FuncOp::create(
      builder, mlir::NameLoc::get(builder.getStringAttr(name)), name,
      builder.getFunctionType({}, {}));
  body = func.addEntryBlock();
  inputValue = body->addArgument(tensor(inputShape), func.getLoc());
  builder.setInsertionPointToStart(body);
}

mlir::Location TosaModelBuilder::named(const std::string &name) {
  return mlir::NameLoc::get(builder.getStringAttr(name));
}

mlir::RankedTensorType TosaModelBuilder::tensor(llvm::ArrayRef<int64_t> shape) {
  return mlir::RankedTensorType::get(shape, elementType);
}

llvm::ArrayRef<int64_t> TosaModelBuilder::shapeOf(mlir::Value v) {
  return llvm::cast<mlir::RankedTensorType>(v.getType()).getShape();
}

mlir::TypeAttr TosaModelBuilder::accumulatorType() {
  // TOSA 1.0 accumulates bf16 in f32; f16 may use either, and frameworks
  // accumulate in f32.
  return mlir::TypeAttr::get(builder.getF32Type());
}

mlir::Value TosaModelBuilder::weight(llvm::ArrayRef<int64_t> shape) {
  ++weights;
  return body->addArgument(tensor(shape), func.getLoc());
}

mlir::Value TosaModelBuilder::shapeConst(llvm::ArrayRef<int64_t> values) {
  return makeShape(builder, values);
}

std::array<int64_t, 3> TosaModelBuilder::windowPadding(int64_t in, int64_t k,
                                                       int64_t stride,
                                                       int64_t before) {
  // The output a framework computes with symmetric padding `before`...
  int64_t out = (in + 2 * before - k) / stride + 1;
  // ...and the padding after that makes TOSA's extent divide exactly.
  int64_t after = (out - 1) * stride + k - in - before;
  if (after >= 0)
    return {before, after, 0};
  return {before, 0, -after};
}

mlir::Value TosaModelBuilder::trim(mlir::Value x, int64_t trimH, int64_t trimW,
                                   const std::string &name) {
  if (!trimH && !trimW)
    return x;
  llvm::SmallVector<int64_t> size(shapeOf(x));
  size[1] -= trimH;
  size[2] -= trimW;
  return mlir::tosa::SliceOp::create(builder, named(name), tensor(size), x,
                                     shapeConst({0, 0, 0, 0}),
                                     shapeConst(size));
}

TosaModelBuilder::Window TosaModelBuilder::window(mlir::Value x, int64_t k,
                                                  int64_t stride,
                                                  const std::string &name) {
  auto in = shapeOf(x);
  auto h = windowPadding(in[1], k, stride, (k - 1) / 2);
  auto w = windowPadding(in[2], k, stride, (k - 1) / 2);
  Window win;
  win.input = trim(x, h[2], w[2], name + ".trim");
  in = shapeOf(win.input);
  win.pad = {h[0], h[1], w[0], w[1]};
  win.outH = (in[1] - 1 + h[0] + h[1] - (k - 1)) / stride + 1;
  win.outW = (in[2] - 1 + w[0] + w[1] - (k - 1)) / stride + 1;
  return win;
}

mlir::Value TosaModelBuilder::conv(mlir::Value x, int64_t oc, int64_t k,
                                   int64_t stride, const std::string &name) {
  Window win = window(x, k, stride, name);
  auto in = shapeOf(win.input);
  mlir::Value wt = weight({oc, k, k, in[3]});
  mlir::Value bias = weight({oc});
  return mlir::tosa::Conv2DOp::create(
      builder, named(name), tensor({in[0], win.outH, win.outW, oc}), win.input,
      wt, bias, builder.getDenseI64ArrayAttr(win.pad),
      builder.getDenseI64ArrayAttr({stride, stride}),
      builder.getDenseI64ArrayAttr({1, 1}), accumulatorType());
}

mlir::Value TosaModelBuilder::depthwise(mlir::Value x, int64_t k,
                                        int64_t stride,
                                        const std::string &name) {
  Window win = window(x, k, stride, name);
  auto in = shapeOf(win.input);
  mlir::Value wt = weight({k, k, in[3], 1});
  mlir::Value bias = weight({in[3]});
  return mlir::tosa::DepthwiseConv2DOp::create(
      builder, named(name), tensor({in[0], win.outH, win.outW, in[3]}),
      win.input, wt, bias, builder.getDenseI64ArrayAttr(win.pad),
      builder.getDenseI64ArrayAttr({stride, stride}),
      builder.getDenseI64ArrayAttr({1, 1}), accumulatorType());
}

mlir::Value TosaModelBuilder::relu(mlir::Value x, const std::string &name,
                                   bool six) {
  float hi = six ? 6.0f : std::numeric_limits<float>::max();
  return mlir::tosa::ClampOp::create(
      builder, named(name), x.getType(), x,
      builder.getFloatAttr(elementType, 0.0),
      builder.getFloatAttr(elementType, hi),
      mlir::tosa::NanPropagationModeAttr::get(
          builder.getContext(), mlir::tosa::NanPropagationMode::PROPAGATE));
}

mlir::Value TosaModelBuilder::add(mlir::Value a, mlir::Value b,
                                  const std::string &name) {
  return mlir::tosa::AddOp::create(builder, named(name), a.getType(), a, b);
}

mlir::Value TosaModelBuilder::maxPool(mlir::Value x, int64_t k, int64_t stride,
                                      const std::string &name) {
  Window win = window(x, k, stride, name);
  auto in = shapeOf(win.input);
  return mlir::tosa::MaxPool2dOp::create(
      builder, named(name), tensor({in[0], win.outH, win.outW, in[3]}),
      win.input, builder.getDenseI64ArrayAttr({k, k}),
      builder.getDenseI64ArrayAttr({stride, stride}),
      builder.getDenseI64ArrayAttr(win.pad));
}

mlir::Value TosaModelBuilder::globalAvgPool(mlir::Value x,
                                            const std::string &name) {
  auto in = shapeOf(x);
  return mlir::tosa::AvgPool2dOp::create(
      builder, named(name), tensor({in[0], 1, 1, in[3]}), x,
      builder.getDenseI64ArrayAttr({in[1], in[2]}),
      builder.getDenseI64ArrayAttr({1, 1}),
      builder.getDenseI64ArrayAttr({0, 0, 0, 0}), accumulatorType());
}

mlir::Value TosaModelBuilder::classifier(mlir::Value x, int64_t classes,
                                         const std::string &name) {
  auto in = shapeOf(x); // [N, 1, 1, C]
  int64_t n = in[0], c = in[3];
  mlir::Value flat = mlir::tosa::ReshapeOp::create(
      builder, named(name + ".flatten"), tensor({1, n, c}), x,
      shapeConst({1, n, c}));
  mlir::Value w = weight({1, c, classes});
  mlir::Value logits = mlir::tosa::MatMulOp::create(
      builder, named(name), tensor({1, n, classes}), flat, w);
  mlir::Value b = weight({1, 1, classes});
  mlir::Value biased = add(logits, b, name + ".bias");
  return mlir::tosa::ReshapeOp::create(builder, named(name + ".logits"),
                                       tensor({n, classes}), biased,
                                       shapeConst({n, classes}));
}

mlir::LogicalResult TosaModelBuilder::finish(mlir::Value result) {
  mlir::func::ReturnOp::create(builder, builder.getUnknownLoc(), result);
  func.setFunctionType(
      builder.getFunctionType(body->getArgumentTypes(), {result.getType()}));
  for (unsigned i = 0; i < body->getNumArguments(); ++i)
    if (!llvm::is_contained(inputArgs, i))
      func.setArgAttr(i, kWeightArgAttr, builder.getUnitAttr());
  return mlir::verify(func->getParentOp());
}

} // namespace goodhart
