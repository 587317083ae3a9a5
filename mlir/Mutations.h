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
#include <optional>
#include <string>
#include <vector>

namespace goodhart {

class Rng;

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

/// The activations set_activation can write, in the fixed order of
/// MutationSpec::namedValues("set_activation"): relu, relu6, silu, gelu_erf,
/// gelu_tanh. All are one cost class (pointwise, one fused layer).
const std::vector<std::string> &activationKinds();

/// An activation that can be swapped: a ReLU or ReLU6 clamp, a sigmoid or
/// tanh on its own, or the root of a recognized SiLU or GELU composite.
struct ActivationSite {
  std::string layerName;
  std::string activation; // relu, relu6, sigmoid, tanh, silu, gelu_erf, ...
};

/// Every swappable activation of `func`, in program order.
std::vector<ActivationSite> findActivationSites(mlir::func::FuncOp func);

/// Replaces the activation named `layerName` with `activation` (one of
/// activationKinds()), written the way exporters decompose it; the new
/// root keeps the old root's location, so the layer keeps its name.
mlir::LogicalResult setActivation(mlir::func::FuncOp func,
                                  llvm::StringRef layerName,
                                  llvm::StringRef activation);

/// Sets the floating-point element type to `dtype` (f32, bf16 or f16) for
/// the whole function (`layerName` "*": arguments, constants, every result)
/// or for one layer: its weight arguments and constants are retyped, other
/// float operands get a tosa.cast in front, and a tosa.cast after it takes
/// the result back to its old type. Accumulator types (acc_type) stay f32,
/// as TOSA 1.0 requires for bf16 and allows for f16. Fails on a fused
/// composite's member and on a layer that already has the type.
mlir::LogicalResult setElementType(mlir::func::FuncOp func,
                                   llvm::StringRef layerName,
                                   llvm::StringRef dtype);

/// Makes an identity variant of `func`, the control group of a campaign:
/// renames the function (a name drawn from `rng`), gives every layer op a
/// name location with its current layer name (so names survive the
/// reordering), and reorders independent ops in a random topological order
/// drawn from `rng`. Types, shapes and the plan's layers (up to order) do
/// not change.
mlir::LogicalResult makeIdentityVariant(mlir::func::FuncOp func, Rng &rng);

/// Scales the output channels of every channel site of `stage` (layers
/// named "stage.*", or all with "*") to round(c * percent / 100), each
/// tied class once. Errors name the stage when it has no site.
mlir::LogicalResult scaleWidths(mlir::func::FuncOp func, llvm::StringRef stage,
                                int64_t percent);

/// A block whose convolutions feed each other in a chain (layers
/// "BLOCK.conv1", "BLOCK.conv2", ... joined by single-use pointwise ops),
/// exactly one of them strided: where a ResNet v1 or v1.5 bottleneck puts
/// its down-sampling stride.
struct StrideSite {
  std::string block;              // "layer2.0"
  std::vector<std::string> convs; // the chain's layer names, in order
  int64_t position = 0;           // 1-based index of the strided one
  int64_t stride = 0;
};

/// Every block whose stride can move, in program order.
std::vector<StrideSite> findStrideSites(mlir::func::FuncOp func);

/// Moves `block`'s stride to its `position`-th convolution (1: ResNet v1's
/// 1x1 conv1, 2: v1.5's 3x3 conv2), padding every convolution in between
/// the way exporters do (trimmed, or its input sliced, so the padded
/// extent divides by the stride). The block's output shape must not change.
mlir::LogicalResult moveStride(mlir::func::FuncOp func, llvm::StringRef block,
                               int64_t position);

/// A convolution whose kernel set_kernel can change: its kernel extent and
/// output channels, and how the change's FLOPs are compensated: through its
/// own output channels, or (when those are tied to a residual) through the
/// input channels of `producer`.
struct KernelSite {
  std::string layerName;
  int64_t kernel = 0;
  /// Output channels of the compensating layer (this one, or `producer`).
  int64_t channels = 0;
  /// "" when its own output channels compensate; else the layer whose
  /// output channels (this conv's input channels) do.
  std::string producer;
};

/// Every square, undilated tosa.conv2d whose kernel can change with a
/// channel compensation, in program order.
std::vector<KernelSite> findKernelSites(mlir::func::FuncOp func);

/// Gives conv2d `layerName` a `kernel` x `kernel` window, padded so its
/// spatial output does not change ((K-1)/2 before; exporter trimming when
/// strided), and compensates its FLOPs: its output channels become
/// round(c * k^2 / K^2) (consumers follow, setOutputChannels), or when those
/// are tied to a residual its producer's output channels (its input
/// channels) do. Fails naming the layer when neither is possible.
mlir::LogicalResult setKernel(mlir::func::FuncOp func,
                              llvm::StringRef layerName, int64_t kernel);

/// A dense convolution set_groups can split: a tosa.conv2d with a kernel
/// larger than 1x1, not grouped yet, with a width that can compensate.
struct GroupSite {
  std::string layerName;
  int64_t inChannels = 0, outChannels = 0;
  /// Group counts in {2, 4, 8, 16, 32} dividing both channel counts with
  /// at least 4 channels per group.
  std::vector<int64_t> candidates;
};

/// Every convolution set_groups can split, in program order.
std::vector<GroupSite> findGroupSites(mlir::func::FuncOp func);

/// Whether `op` belongs to a grouped convolution (GroupedConvPattern): it is
/// the concat of one, or one of its member convolutions. Members are no
/// sites of their own: a mutation of one group alone breaks the grouping.
bool isInGroupedConv(mlir::Operation *op);

/// Splits conv2d `layerName` into `groups` groups, written as exporters
/// write a grouped convolution in TOSA 1.0: channel slices of the input, one
/// conv2d per group ("LAYER.g0", ...) and a concat along channels that keeps
/// the layer's name; the plan lowering fuses them into one conv2d layer
/// with groups = G (GroupedConvPattern.cpp). The FLOPs lost are given back
/// as width (ResNeXt): the input channels (through their one producer) and
/// the output channels scale by one factor that keeps the FLOPs of every
/// layer they touch, rounded to multiples of G (GroupMutation.cpp). Fails
/// naming the layer when G does not divide its channels, it is grouped
/// already, or no width is free to compensate.
mlir::LogicalResult setGroups(mlir::func::FuncOp func,
                              llvm::StringRef layerName, int64_t groups);

/// The attention head geometry of a model: the head splits (reshapes
/// [.., hidden] -> [.., H, D] followed by a transpose) and their H and D.
struct HeadSite {
  std::vector<std::string> splits; // layer names of the head-split reshapes
  int64_t heads = 0, headDim = 0;
  /// Head counts setHeads accepts in [heads/4, 4 heads], sorted, without
  /// `heads`: divisors of hidden whose rewrite plans without error.
  std::vector<int64_t> candidates;
};

/// The heads of `func`'s attention layers when they all agree and some
/// other head count can be set; nullopt otherwise (no attention, layers
/// with different head counts, a head dimension that reaches the model's
/// inputs or ops set_heads does not follow). Llama's rotary embedding
/// follows: its cos/sin inputs are resized with the head dimension.
std::optional<HeadSite> findHeadSite(mlir::func::FuncOp func);

/// Sets the number of attention heads of every attention layer (`scope`
/// "*") or of those whose head splits are named "SCOPE.*" to `heads`,
/// keeping hidden = heads x head_dim: head_dim becomes hidden / heads. The
/// splits, transposes, batched matmuls, softmax and merge reshapes follow,
/// and the attention scale 1/sqrt(head_dim) is rewritten; weights do not
/// change. Fails when `heads` does not divide hidden.
mlir::LogicalResult setHeads(mlir::func::FuncOp func, llvm::StringRef scope,
                             int64_t heads);

/// Sets the head dimension of the selected attention layers (as setHeads)
/// to `headDim`, keeping the head count: the attention width H x D changes,
/// so the query/key/value projections' output features (weights, biases)
/// and the output projection's input features follow, and the residual
/// width does not. Fails when the width reaches a model input or output.
mlir::LogicalResult setHeadDim(mlir::func::FuncOp func, llvm::StringRef scope,
                               int64_t headDim);

/// Sets the hidden size (the residual stream width, d_model) of a
/// transformer to `hidden`: the token input's and the outputs' last
/// dimension and everything tied to it (norm parameters, the projections'
/// input features, the FFN's input and output features, biases), the mean
/// constants 1/hidden of layer and RMS norms, and the attention through
/// setHeadDim: the head count is kept, the head dimension becomes
/// hidden / heads (the attention scale and rotary tables follow). Fails
/// when the head count does not divide `hidden` (HiddenMutation.cpp).
mlir::LogicalResult setHidden(mlir::func::FuncOp func, int64_t hidden);

/// The hidden size setHidden changes (the last dimension of the model's
/// first output) with the attention's head count, and the candidates
/// set_hidden's site offers: hidden -+ heads, -+ 2 heads and -+ 64 (sorted)
/// where setHidden succeeds (a multiple of heads; Llama: an even head
/// dimension). Nullopt for a model without attention or whose output is
/// not a [.., hidden] token tensor.
struct HiddenSite {
  int64_t hidden = 0, heads = 0;
  std::vector<int64_t> candidates;
};
std::optional<HiddenSite> findHiddenSite(mlir::func::FuncOp func);

/// Input sizes (mlir/InputSizeSupport.h): set_spatial, set_seq, set_batch
/// resize the model's data input and let every op follow, with exporter
/// padding for strided windows and the layer count unchanged.

/// Height (== width) of the NHWC image input (the first non-weight rank-4
/// argument of a model with convolutions or pools); nullopt when there is
/// none or it is not square.
std::optional<int64_t> modelSpatialSize(mlir::func::FuncOp func);

/// Sets the image input's height and width to `size`; windows get the
/// padding their rule (PyTorch symmetric or TensorFlow SAME) gives at the
/// new size, global average pools the new kernel (SpatialMutation.cpp).
mlir::LogicalResult setSpatialSize(mlir::func::FuncOp func, int64_t size);

/// Dimension 1 of the [batch, sequence, hidden] token input (the first
/// non-weight rank-3 argument); nullopt when there is none.
std::optional<int64_t> modelSequenceLength(mlir::func::FuncOp func);

/// Sets the sequence length to `length`: reshapes, attention scores, masks
/// and position tables follow (SequenceMutation.cpp).
mlir::LogicalResult setSequenceLength(mlir::func::FuncOp func, int64_t length);

/// The batch: dimension 0 of the image input or of a [B, S, H] token
/// input with B > 1; 1 for a [1, tokens, hidden] token input (the batch is
/// folded into the tokens). Nullopt when the model has neither.
std::optional<int64_t> modelBatchSize(mlir::func::FuncOp func);

/// Sets the batch to `batch`, following it through ops with known
/// semantics; weights and constants never carry it (BatchMutation.cpp).
mlir::LogicalResult setBatchSize(mlir::func::FuncOp func, int64_t batch);

/// Sets dimension `dim` of `value` and every dimension tied to it
/// (DimensionAnalysis, carried through flattening reshapes) to `size`,
/// function arguments and results included, and re-infers; errors name
/// `what` (ChannelMutation.cpp).
mlir::LogicalResult resizeTiedDimension(mlir::func::FuncOp func,
                                        mlir::Value value, unsigned dim,
                                        int64_t size, llvm::StringRef what);

/// Re-infers the result type of every op in `func` from its operands, in
/// order, and updates the function's result types.
mlir::LogicalResult refineShapes(mlir::func::FuncOp func);

/// Re-infers the result types of one op from its operands (ops without
/// shape inference are left alone); fails, with an error on the op, when
/// inference fails or gives a dynamic shape.
mlir::LogicalResult refineResultTypes(mlir::Operation *op);

} // namespace goodhart

#endif // GOODHART_MLIR_MUTATIONS_H
