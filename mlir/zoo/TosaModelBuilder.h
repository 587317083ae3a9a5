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

  /// Returns `result` and fixes the function type. Verifies the module.
  mlir::LogicalResult finish(mlir::Value result);

private:
  mlir::Value weight(llvm::ArrayRef<int64_t> shape);
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
};

} // namespace goodhart

#endif // GOODHART_MLIR_ZOO_TOSAMODELBUILDER_H
