//===- Mutations.h - Shape-changing mutations of TOSA models ----*- C++ -*-===//
//
// The mechanics of mutating a model: which tensor dimensions are tied
// together (a convolution's output channels, its consumers' input channels,
// the other operand of a residual add, ...), setting such a dimension class
// to a new size everywhere (function arguments, reshape shapes), and
// re-inferring every result type so the module verifies again.
// Strategies (which mutation, which value) live in generator/.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_MLIR_MUTATIONS_H
#define GOODHART_MLIR_MUTATIONS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <string>
#include <vector>

namespace goodhart {

/// A mutable compute op: its name (name location or kind_index, the same
/// name the plan lowering gives its layer) and its output channel count.
struct ChannelSite {
  std::string layerName;
  int64_t channels = 0;
  /// Names of all ops whose shapes change together with this one.
  std::vector<std::string> tiedLayers;
};

/// Convolutions (conv2d, depthwise) whose output channels can be changed.
std::vector<ChannelSite> findChannelSites(mlir::func::FuncOp func);

/// Sets the output channel count of the layer named `layerName` to
/// `channels`, updating every tied dimension, and re-infers and verifies.
/// Emits an error naming the op and fails when it cannot.
mlir::LogicalResult setOutputChannels(mlir::func::FuncOp func,
                                      llvm::StringRef layerName,
                                      int64_t channels);

/// Re-infers the result type of every op in `func` from its operands, in
/// order, and updates the function's result types.
mlir::LogicalResult refineShapes(mlir::func::FuncOp func);

} // namespace goodhart

#endif // GOODHART_MLIR_MUTATIONS_H
