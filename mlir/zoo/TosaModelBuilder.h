//===- TosaModelBuilder.h - Writing reference models in C++ -----*- C++ -*-===//
//
// A small layer-level builder over MLIR's OpBuilder for the model zoo: each
// call appends TOSA 1.0 ops for one layer, named with a name location, and
// adds weights as function arguments marked goodhart.weight. Strided
// windows get exporter-style padding: when the padded extent does not divide
// by the stride, the bottom/right padding is trimmed, and when that is not
// enough the input is sliced (as torch-mlir does).
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_MLIR_ZOO_TOSAMODELBUILDER_H
#define GOODHART_MLIR_ZOO_TOSAMODELBUILDER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/SmallVector.h"

#include <array>
#include <string>

namespace goodhart {

/// The element type named by a zoo dtype option: f32, bf16 or f16.
mlir::Type zooElementType(mlir::MLIRContext *context, llvm::StringRef dtype);

class TosaModelBuilder {
public:
  /// Starts function `name` in `module` with one input of `inputShape`.
  TosaModelBuilder(mlir::ModuleOp module, llvm::StringRef name,
                   llvm::ArrayRef<int64_t> inputShape, mlir::Type elementType);

  mlir::Value input() const { return inputValue; }

  /// conv2d with a k x k kernel, `oc` outputs and bias (batch-norm folded).
  mlir::Value conv(mlir::Value x, int64_t oc, int64_t k, int64_t stride,
                   const std::string &name);
  /// Depthwise 3x3-style convolution (channel multiplier 1) with bias.
  mlir::Value depthwise(mlir::Value x, int64_t k, int64_t stride,
                        const std::string &name);
  /// ReLU (clamp to [0, max]) or ReLU6.
  mlir::Value relu(mlir::Value x, const std::string &name, bool six = false);
  mlir::Value add(mlir::Value a, mlir::Value b, const std::string &name);
  mlir::Value maxPool(mlir::Value x, int64_t k, int64_t stride,
                      const std::string &name);
  /// Average over the whole spatial extent: [N,H,W,C] -> [N,1,1,C].
  mlir::Value globalAvgPool(mlir::Value x, const std::string &name);
  /// [N,1,1,C] -> [1,N,C] -> matmul with [1,C,classes] -> + bias.
  mlir::Value classifier(mlir::Value x, int64_t classes,
                         const std::string &name);

  // Transformer layers (TransformerLayers.cpp), written the way torch-mlir
  // decomposes them, since TOSA has no softmax, norm or GELU op. Activations
  // are [1, tokens, features]; linear weights are [1, in, out].

  /// A function input besides the first (attention mask, rotary tables).
  mlir::Value addInput(llvm::ArrayRef<int64_t> shape);
  /// x W (+ b): the exporter's linear layer.
  mlir::Value linear(mlir::Value x, int64_t out, bool bias,
                     const std::string &name);
  mlir::Value matmul(mlir::Value a, mlir::Value b, const std::string &name);
  mlir::Value mul(mlir::Value a, mlir::Value b, const std::string &name);
  mlir::Value sub(mlir::Value a, mlir::Value b, const std::string &name);
  mlir::Value reshape(mlir::Value x, llvm::ArrayRef<int64_t> shape,
                      const std::string &name);
  mlir::Value transpose(mlir::Value x, llvm::ArrayRef<int32_t> perm,
                        const std::string &name);
  /// A splat constant of `rank` ones-shaped dims, for broadcasting.
  mlir::Value scalar(double value, int64_t rank, const std::string &name);
  /// Sum along `axis` times 1/extent.
  mlir::Value mean(mlir::Value x, int64_t axis, const std::string &name);
  /// Softmax along the last axis: exp(x - max) * reciprocal(sum).
  mlir::Value softmax(mlir::Value x, const std::string &name);
  /// (x - mean) * rsqrt(var + eps) * gamma + beta over the last axis.
  mlir::Value layerNorm(mlir::Value x, double eps, const std::string &name);
  /// x * rsqrt(mean(x^2) + eps) * gamma over the last axis.
  mlir::Value rmsNorm(mlir::Value x, double eps, const std::string &name);
  /// 0.5 * x * (1 + erf(x / sqrt(2))).
  mlir::Value geluErf(mlir::Value x, const std::string &name);
  /// x * sigmoid(x).
  mlir::Value silu(mlir::Value x, const std::string &name);
  /// Rotary position embedding of [B, heads, S, D] with cos/sin [1,1,S,D]:
  /// x * cos + concat(-x2, x1) * sin.
  mlir::Value rotary(mlir::Value x, mlir::Value cos, mlir::Value sin,
                     const std::string &name);

  /// [1, B*S, heads*D] -> [B, heads, S, D].
  mlir::Value splitHeads(mlir::Value x, int64_t batch, int64_t heads,
                         const std::string &name);
  /// softmax(Q K^T / sqrt(D) [+ mask]) V for [B, heads, S, D] operands, as
  /// batched [B*heads, ...] matmuls; returns [1, B*S, heads*D]. `mask`
  /// (may be null) is [1, S, S], added to the scores.
  mlir::Value attention(mlir::Value q, mlir::Value k, mlir::Value v,
                        mlir::Value mask, const std::string &name);

  /// Returns `result` and fixes the function type. Verifies the module.
  mlir::LogicalResult finish(mlir::Value result);

private:
  mlir::Value weight(llvm::ArrayRef<int64_t> shape);
  /// The rank-1 zero shift of tosa.mul.
  mlir::Value mulShift();
  mlir::Value reduce(mlir::Value x, int64_t axis, bool max,
                     const std::string &name);
  mlir::TypeAttr accumulatorType();
  mlir::Location named(const std::string &name);
  mlir::RankedTensorType tensor(llvm::ArrayRef<int64_t> shape);
  llvm::ArrayRef<int64_t> shapeOf(mlir::Value v);
  mlir::Value shapeConst(llvm::ArrayRef<int64_t> values);
  /// Exporter-style padding for a strided window along one dimension:
  /// {before, after, rows to slice off the end of the input}.
  std::array<int64_t, 3> windowPadding(int64_t in, int64_t k, int64_t stride,
                                       int64_t before);
  /// Slices `x` so a window with `trimH`/`trimW` fewer rows/cols divides.
  mlir::Value trim(mlir::Value x, int64_t trimH, int64_t trimW,
                   const std::string &name);
  /// A k x k window with `stride` over `x`, padded the framework way:
  /// the (possibly sliced) input, TOSA padding and the output size.
  struct Window {
    mlir::Value input;
    std::array<int64_t, 4> pad; // top, bottom, left, right
    int64_t outH, outW;
  };
  Window window(mlir::Value x, int64_t k, int64_t stride,
                const std::string &name);

  mlir::OpBuilder builder;
  mlir::func::FuncOp func;
  mlir::Block *body;
  mlir::Type elementType;
  mlir::Value inputValue, zeroPoint;
  int weights = 0;
  llvm::SmallVector<unsigned> inputArgs = {0};
};

} // namespace goodhart

#endif // GOODHART_MLIR_ZOO_TOSAMODELBUILDER_H
