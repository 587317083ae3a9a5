//===- TransformerLayers.cpp - Transformer layers of TosaModelBuilder -----===//
//
// The layers BERT and Llama need, decomposed into TOSA 1.0 ops the way
// torch-mlir legalizes them (softmax, layer norm, RMS norm, GELU and SiLU
// have no TOSA op), so the zoo exercises the same pattern recognition a
// user's exported model does. Each op gets a name location under the
// layer's name; the op that produces the layer's value gets the name itself.
//
//===----------------------------------------------------------------------===//

#include "mlir/zoo/TosaModelBuilder.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include <cmath>

namespace goodhart {

mlir::Value TosaModelBuilder::addInput(llvm::ArrayRef<int64_t> shape) {
  inputArgs.push_back(body->getNumArguments());
  return body->addArgument(tensor(shape), func.getLoc());
}

mlir::Value TosaModelBuilder::mulShift() {
  auto type = mlir::RankedTensorType::get({1}, builder.getI8Type());
  return mlir::tosa::ConstOp::create(
      builder, builder.getUnknownLoc(), type,
      mlir::DenseElementsAttr::get(type, builder.getI8IntegerAttr(0)));
}

mlir::Value TosaModelBuilder::scalar(double value, int64_t rank,
                                     const std::string &name) {
  auto type = tensor(llvm::SmallVector<int64_t>(rank, 1));
  return mlir::tosa::ConstOp::create(
      builder, named(name), type,
      mlir::DenseElementsAttr::get(type,
                                   builder.getFloatAttr(elementType, value)));
}

mlir::Value TosaModelBuilder::mul(mlir::Value a, mlir::Value b,
                                  const std::string &name) {
  // The result has the shape of the larger operand (equal ranks).
  auto sa = shapeOf(a), sb = shapeOf(b);
  llvm::SmallVector<int64_t> shape;
  for (size_t d = 0; d < sa.size(); ++d)
    shape.push_back(std::max(sa[d], sb[d]));
  return mlir::tosa::MulOp::create(builder, named(name), tensor(shape), a, b,
                                   mulShift());
}

mlir::Value TosaModelBuilder::sub(mlir::Value a, mlir::Value b,
                                  const std::string &name) {
  return mlir::tosa::SubOp::create(builder, named(name), a.getType(), a, b);
}

mlir::Value TosaModelBuilder::matmul(mlir::Value a, mlir::Value b,
                                     const std::string &name) {
  auto sa = shapeOf(a), sb = shapeOf(b);
  return mlir::tosa::MatMulOp::create(builder, named(name),
                                      tensor({sa[0], sa[1], sb[2]}), a, b);
}

mlir::Value TosaModelBuilder::linear(mlir::Value x, int64_t out, bool bias,
                                     const std::string &name) {
  auto in = shapeOf(x); // [1, T, K]
  mlir::Value w = weight({1, in[2], out});
  if (!bias)
    return matmul(x, w, name);
  mlir::Value y = matmul(x, w, name + ".matmul");
  return mlir::tosa::AddOp::create(builder, named(name), y.getType(), y,
                                   weight({1, 1, out}));
}

mlir::Value TosaModelBuilder::reshape(mlir::Value x,
                                      llvm::ArrayRef<int64_t> shape,
                                      const std::string &name) {
  return mlir::tosa::ReshapeOp::create(builder, named(name), tensor(shape), x,
                                       shapeConst(shape));
}

mlir::Value TosaModelBuilder::transpose(mlir::Value x,
                                        llvm::ArrayRef<int32_t> perm,
                                        const std::string &name) {
  auto in = shapeOf(x);
  llvm::SmallVector<int64_t> shape;
  for (int32_t p : perm)
    shape.push_back(in[p]);
  return mlir::tosa::TransposeOp::create(builder, named(name), tensor(shape), x,
                                         builder.getDenseI32ArrayAttr(perm));
}

mlir::Value TosaModelBuilder::reduce(mlir::Value x, int64_t axis, bool max,
                                     const std::string &name) {
  llvm::SmallVector<int64_t> shape(shapeOf(x));
  shape[axis] = 1;
  auto axisAttr = builder.getI32IntegerAttr(static_cast<int32_t>(axis));
  if (max)
    return mlir::tosa::ReduceMaxOp::create(builder, named(name), tensor(shape),
                                           x, axisAttr);
  return mlir::tosa::ReduceSumOp::create(builder, named(name), tensor(shape), x,
                                         axisAttr);
}

mlir::Value TosaModelBuilder::mean(mlir::Value x, int64_t axis,
                                   const std::string &name) {
  auto rank = static_cast<int64_t>(shapeOf(x).size());
  double inverse = 1.0 / static_cast<double>(shapeOf(x)[axis]);
  return mul(reduce(x, axis, false, name + ".sum"),
             scalar(inverse, rank, name + ".inv_n"), name);
}

mlir::Value TosaModelBuilder::softmax(mlir::Value x, const std::string &name) {
  int64_t axis = static_cast<int64_t>(shapeOf(x).size()) - 1;
  mlir::Value shifted =
      sub(x, reduce(x, axis, true, name + ".max"), name + ".shift");
  mlir::Value e = mlir::tosa::ExpOp::create(builder, named(name + ".exp"),
                                            x.getType(), shifted);
  mlir::Value sum = reduce(e, axis, false, name + ".sum");
  mlir::Value inv = mlir::tosa::ReciprocalOp::create(
      builder, named(name + ".reciprocal"), sum.getType(), sum);
  return mul(e, inv, name);
}

mlir::Value TosaModelBuilder::layerNorm(mlir::Value x, double eps,
                                        const std::string &name) {
  auto shape = shapeOf(x);
  int64_t axis = static_cast<int64_t>(shape.size()) - 1;
  int64_t rank = axis + 1;
  mlir::Value centered =
      sub(x, mean(x, axis, name + ".mean"), name + ".center");
  mlir::Value var =
      mean(mul(centered, centered, name + ".square"), axis, name + ".var");
  mlir::Value shifted =
      mlir::tosa::AddOp::create(builder, named(name + ".eps"), var.getType(),
                                var, scalar(eps, rank, name + ".epsilon"));
  mlir::Value inv = mlir::tosa::RsqrtOp::create(builder, named(name + ".rsqrt"),
                                                var.getType(), shifted);
  mlir::Value normed = mul(centered, inv, name + ".normalize");
  llvm::SmallVector<int64_t> param(rank, 1);
  param.back() = shape.back();
  mlir::Value scaled = mul(normed, weight(param), name + ".scale");
  return mlir::tosa::AddOp::create(builder, named(name), scaled.getType(),
                                   scaled, weight(param));
}

mlir::Value TosaModelBuilder::rmsNorm(mlir::Value x, double eps,
                                      const std::string &name) {
  auto shape = shapeOf(x);
  int64_t axis = static_cast<int64_t>(shape.size()) - 1;
  int64_t rank = axis + 1;
  mlir::Value ms = mean(mul(x, x, name + ".square"), axis, name + ".mean");
  mlir::Value shifted =
      mlir::tosa::AddOp::create(builder, named(name + ".eps"), ms.getType(), ms,
                                scalar(eps, rank, name + ".epsilon"));
  mlir::Value inv = mlir::tosa::RsqrtOp::create(builder, named(name + ".rsqrt"),
                                                ms.getType(), shifted);
  mlir::Value normed = mul(x, inv, name + ".normalize");
  llvm::SmallVector<int64_t> param(rank, 1);
  param.back() = shape.back();
  // Hugging Face's LlamaRMSNorm: weight * hidden_states.
  return mul(weight(param), normed, name);
}

mlir::Value TosaModelBuilder::geluErf(mlir::Value x, const std::string &name) {
  auto rank = static_cast<int64_t>(shapeOf(x).size());
  mlir::Value scaled = mul(
      x, scalar(1 / std::sqrt(2.0), rank, name + ".rsqrt2"), name + ".scale");
  mlir::Value erf = mlir::tosa::ErfOp::create(builder, named(name + ".erf"),
                                              x.getType(), scaled);
  mlir::Value one =
      mlir::tosa::AddOp::create(builder, named(name + ".one_plus"), x.getType(),
                                erf, scalar(1.0, rank, name + ".one"));
  mlir::Value half =
      mul(x, scalar(0.5, rank, name + ".half"), name + ".half_x");
  return mul(half, one, name);
}

mlir::Value TosaModelBuilder::silu(mlir::Value x, const std::string &name) {
  mlir::Value s = mlir::tosa::SigmoidOp::create(
      builder, named(name + ".sigmoid"), x.getType(), x);
  return mul(x, s, name);
}

mlir::Value TosaModelBuilder::rotary(mlir::Value x, mlir::Value cos,
                                     mlir::Value sin, const std::string &name) {
  llvm::SmallVector<int64_t> half(shapeOf(x));
  int64_t d = half[3] / 2;
  half[3] = d;
  mlir::Value x1 =
      mlir::tosa::SliceOp::create(builder, named(name + ".x1"), tensor(half), x,
                                  shapeConst({0, 0, 0, 0}), shapeConst(half));
  mlir::Value x2 =
      mlir::tosa::SliceOp::create(builder, named(name + ".x2"), tensor(half), x,
                                  shapeConst({0, 0, 0, d}), shapeConst(half));
  mlir::Value neg = mlir::tosa::NegateOp::create(builder, named(name + ".neg"),
                                                 x2.getType(), x2);
  mlir::Value rotated = mlir::tosa::ConcatOp::create(
      builder, named(name + ".rotate_half"), x.getType(),
      mlir::ValueRange{neg, x1}, builder.getI32IntegerAttr(3));
  mlir::Value a = mul(x, cos, name + ".cos");
  mlir::Value b = mul(rotated, sin, name + ".sin");
  return mlir::tosa::AddOp::create(builder, named(name), x.getType(), a, b);
}

mlir::Value TosaModelBuilder::splitHeads(mlir::Value x, int64_t batch,
                                         int64_t heads,
                                         const std::string &name) {
  auto in = shapeOf(x); // [1, B*S, heads*D]
  int64_t seq = in[1] / batch, d = in[2] / heads;
  mlir::Value y = reshape(x, {batch, seq, heads, d}, name + ".split");
  return transpose(y, {0, 2, 1, 3}, name + ".heads");
}

mlir::Value TosaModelBuilder::attention(mlir::Value q, mlir::Value k,
                                        mlir::Value v, mlir::Value mask,
                                        const std::string &name) {
  llvm::SmallVector<int64_t> shape(shapeOf(q)); // [B, heads, S, D]
  int64_t b = shape[0], heads = shape[1], seq = shape[2], d = shape[3];
  mlir::Value qf = reshape(q, {b * heads, seq, d}, name + ".query.flat");
  mlir::Value kt = transpose(k, {0, 1, 3, 2}, name + ".key.transpose");
  mlir::Value kf = reshape(kt, {b * heads, d, seq}, name + ".key.flat");
  mlir::Value vf = reshape(v, {b * heads, seq, d}, name + ".value.flat");
  mlir::Value scores = matmul(qf, kf, name + ".scores");
  scores = mul(scores, scalar(1 / std::sqrt(double(d)), 3, name + ".scale"),
               name + ".scaled");
  if (mask)
    scores = mlir::tosa::AddOp::create(builder, named(name + ".masked"),
                                       scores.getType(), scores, mask);
  mlir::Value p = softmax(scores, name + ".softmax");
  mlir::Value context = matmul(p, vf, name + ".context");
  mlir::Value y = reshape(context, {b, heads, seq, d}, name + ".split");
  y = transpose(y, {0, 2, 1, 3}, name + ".tokens");
  return reshape(y, {1, b * seq, heads * d}, name + ".merge");
}

} // namespace goodhart
