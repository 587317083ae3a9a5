//===- WindowGeometry.h - Windows for geometry mutations -------*- C++ -*-===//
//
// What the layer-geometry mutations (move_stride, set_kernel) share: finding
// a layer by name, giving a convolution a new kernel extent or stride with the
// padding an exporter would write (TOSA 1.0 requires the padded extent to
// divide by the stride: the bottom/right padding is trimmed, and the input is
// sliced when trimming is not enough, as mlir/zoo/TosaModelBuilder does), and
// re-inferring one op's result types while the function is mid-change.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_MLIR_WINDOWGEOMETRY_H
#define GOODHART_MLIR_WINDOWGEOMETRY_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Support/LLVM.h"

#include <array>
#include <cstdint>
#include <string>

namespace goodhart {

/// The compute op of `func` whose layer name (assignLayerNames) is `name`.
mlir::Operation *findNamedLayer(mlir::func::FuncOp func, llvm::StringRef name);

/// Exporter padding of a window along one dimension: the output a framework
/// computes with symmetric padding `before`, then {before, after, rows to
/// slice off the end of the input} so that TOSA's extent divides exactly.
std::array<int64_t, 3> exporterPadding(int64_t in, int64_t kernel,
                                       int64_t stride, int64_t before);

/// `input` without the exporter's trim: the source of a tosa.slice that
/// starts at zero and only shortens dimensions 1 and 2 (H, W), else `input`.
mlir::Value untrimmedInput(mlir::Value input);

/// A tosa.const_shape of `values` at the builder's point.
mlir::Value makeShape(mlir::OpBuilder &builder, llvm::ArrayRef<int64_t> values);

/// Gives `weight` (an operand of `conv`, the layer `layerName`) the type
/// Replaces tosa.const `c` by a splat of its first value (zero when it has
/// none) of `newType`: runners fill weights with seeded data, so only the
/// shape matters to goodhart.
void replaceByFirstValueSplat(mlir::tosa::ConstOp c,
                              mlir::RankedTensorType newType);

/// `newType`: a weight argument is retyped, a tosa.const is replaced by a
/// splat of its first value (runners fill weights with seeded data); a
/// computed weight is an error on `conv`.
mlir::LogicalResult retypeConvWeight(mlir::Operation *conv, mlir::Value weight,
                                     mlir::RankedTensorType newType,
                                     llvm::StringRef layerName);

/// Gives `conv` (tosa.conv2d or tosa.depthwise_conv2d, whose weights already
/// have the kernel extents `kh` x `kw`) stride `stride` and exporter padding
/// with `beforeH`/`beforeW` rows/cols before, computed on its untrimmed
/// input; slices the input when needed (reusing an identical slice, else a
/// new one named `trimName`), drops a trim slice nothing uses any more, and
/// re-infers `conv`'s result type.
mlir::LogicalResult setConvWindow(mlir::Operation *conv, int64_t kh, int64_t kw,
                                  int64_t stride, int64_t beforeH,
                                  int64_t beforeW, llvm::StringRef trimName);

} // namespace goodhart

#endif // GOODHART_MLIR_WINDOWGEOMETRY_H
