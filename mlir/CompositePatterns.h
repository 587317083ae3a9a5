//===- CompositePatterns.h - Softmax, norms, GELU, SiLU, attention -*- C++ -*-//
//
// TOSA has no softmax, layer norm, RMS norm, GELU, SiLU or attention op:
// exporters write them as elementwise and reduce ops (torch-mlir's TOSA
// legalizations, our zoo builders). This file recognizes those decompositions
// so the plan lowering can emit one fused layer where backends have a fused
// primitive, and tag the member layers with the pattern where they do not.
//
// A match only absorbs ops whose results are used inside the match, except
// its root, so fusing never drops a value somebody else reads.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_MLIR_COMPOSITEPATTERNS_H
#define GOODHART_MLIR_COMPOSITEPATTERNS_H

#include "runners/common/Plan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace goodhart {

/// One recognized composite.
struct CompositeMatch {
  /// softmax, layer_norm, rms_norm, gelu_erf, gelu_tanh, silu, attention or
  /// grouped_conv.
  std::string pattern;
  /// The plan layer the composite fuses into (attention has none: no
  /// backend goodhart drives has a fused primitive, so it is only tagged).
  LayerKind kind = LayerKind::kEltwise;
  nlohmann::json attrs = nlohmann::json::object();
  /// The op whose result is the composite's result.
  mlir::Operation *root = nullptr;
  /// Data operands of the fused layer, in the plan kind's order.
  llvm::SmallVector<mlir::Value, 3> inputs;
  /// Every compute op of the composite, root included.
  llvm::SmallVector<mlir::Operation *, 12> ops;
  /// Whether the composite can become one layer (false for attention).
  bool fusible = true;
  /// The op whose layer name, location and operand forms the fused layer
  /// keeps (a post-op fusion's convolution or matmul); null: the layer is
  /// named after the root, or after the pattern.
  mlir::Operation *anchor = nullptr;
  /// Per input, the shape the plan states when it is not the value's own
  /// (a grouped convolution written with one weight per group: the first
  /// group's weight stands for all of them); empty: the value's shape.
  llvm::SmallVector<std::vector<int64_t>, 3> inputShapes;
};

/// The patterns fused into one layer by default: those the oneDNN 2.6 runner
/// has a primitive for (softmax, layer_normalization, eltwise gelu/swish,
/// grouped convolution). RMS norm and attention are recognized and tagged,
/// not fused.
std::set<std::string> defaultFusedPatterns();

/// Every composite of `func`, each op in at most one fusible match.
/// Attention matches overlap the softmax they contain.
std::vector<CompositeMatch> findComposites(mlir::func::FuncOp func);

/// A grouped convolution as exporters write it (GroupedConvPattern.cpp):
/// G tosa.slice of one input along channels, contiguous and covering it,
/// G tosa.conv2d of equal shapes and attributes (weights and biases sliced
/// from one tensor each, or one weight per group), and a tosa.concat of
/// their results along channels, in the slices' order: pattern
/// "grouped_conv", one conv2d layer with attrs.groups = G rooted at the
/// concat, weights [OC, KH, KW, IC/G] as the plan states grouped weights.
std::optional<CompositeMatch> matchGroupedConv(mlir::Operation *concat);

/// The post-op fusions (PostOpPatterns.cpp): what oneDNN-based frameworks
/// (IPEX, torch.compile, ONNX Runtime) run as one primitive with post-ops.
/// Off by default, so plans keep one layer per op; LoweringOptions::fuse
/// turns them on by name:
///   conv_post_ops: conv2d or depthwise conv -> [add of a tensor of the
///     result's shape] -> [relu, clamp, sigmoid, tanh]... as one conv2d
///     layer whose attrs carry "post_ops" (runners/common/Plan.h, PostOp);
///   linear: a batch-1 matmul by a constant [1,K,N] -> [add of a per-column
///     constant: the bias] -> [sum] -> [eltwise]... as one inner_product;
///   matmul_post_ops: any other matmul -> [sum, eltwise, binary op with a
///     broadcast operand: a scale, a mask]... as one matmul with post-ops,
///     through the ops attention only tags.
/// A fused GELU or SiLU composite reading the chain's value (and holding
/// all its uses) is one eltwise post-op of any of them.
std::set<std::string> postOpPatterns();

/// The post-op fusions of `func` whose pattern is in `enabled`. A chain
/// continues through values with one use only and stops at ops in
/// `excluded` (those of other composites).
std::vector<CompositeMatch>
findPostOpFusions(mlir::func::FuncOp func, const std::set<std::string> &enabled,
                  const llvm::SmallPtrSetImpl<mlir::Operation *> &excluded);

} // namespace goodhart

#endif // GOODHART_MLIR_COMPOSITEPATTERNS_H
