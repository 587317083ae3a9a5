//===- CudnnOps.h - Layer builders behind buildExecutor ---------*- C++ -*-===//
//
// Internal to runners/cudnn: CudnnLayers.cpp dispatches on the layer kind
// to these builders. CudnnTensorOps.cpp uses cuDNN's descriptor API
// (pooling, softmax, reduction), which cuDNN 9 still ships
// in its ops library; CudnnGemm.cpp runs matmuls and inner products on
// cuBLASLt; CudaCopies.cpp moves and converts data without cuDNN;
// CudnnPostOps.cpp applies a layer's post-ops after it; the
// graph-API builders live in CudnnLayers.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_CUDNN_CUDNNOPS_H
#define GOODHART_RUNNERS_CUDNN_CUDNNOPS_H

#include "runners/cudnn/CudnnFusion.h"
#include "runners/cudnn/CudnnGraph.h"
#include "runners/cudnn/CudnnLayers.h"

#include <optional>

namespace goodhart::cuda {

using Pointers = std::vector<void *>;
using ExecutorOr = StatusOr<std::unique_ptr<LayerExecutor>>;

/// Owns one cudnnTensorDescriptor_t (the descriptor API).
class TensorDescriptor {
public:
  static StatusOr<std::shared_ptr<TensorDescriptor>>
  create(cudnnDataType_t type, const DimsStrides &view);
  ~TensorDescriptor();
  cudnnTensorDescriptor_t get() const { return desc; }

private:
  TensorDescriptor() = default;
  cudnnTensorDescriptor_t desc = nullptr;
};
using TensorDescriptorPtr = std::shared_ptr<TensorDescriptor>;

/// A descriptor of `t`'s elements through `view`.
StatusOr<TensorDescriptorPtr> describe(const TensorDesc &t,
                                       const DimsStrides &view);
/// The plan tensor's N, C, H, W view in `layout`.
StatusOr<TensorDescriptorPtr> describeNchw(const TensorDesc &t,
                                           DeviceLayout layout);

ExecutorOr buildPool(const CudaContext &ctx, const Plan &plan,
                     const Layer &layer, const Pointers &ptr,
                     const BuildOptions &options);
/// Softmax along one axis (cudnnSoftmaxForward, channel mode, accurate).
ExecutorOr buildSoftmax(const CudaContext &ctx, const Plan &plan,
                        const Layer &layer, const Pointers &ptr,
                        const BuildOptions &options);
/// Reduction along one axis, kept as size 1 (cudnnReduceTensor).
ExecutorOr buildReduce(const CudaContext &ctx, const Plan &plan,
                       const Layer &layer, const Pointers &ptr,
                       const BuildOptions &options);
/// Transpose, slice, concat and cast as strided copies (CudaCopies.cpp:
/// cudaMemcpy3DAsync or goodhart's strided copy kernel; concat is one copy
/// per input into its place in the output).
ExecutorOr buildCopy(const CudaContext &ctx, const Plan &plan,
                     const Layer &layer, const Pointers &ptr,
                     const BuildOptions &options);

/// y = x broadcast to y's shape (goodhart's copy kernel): where cuDNN
/// cannot broadcast an operand, it is materialized into the output first.
ExecutorOr buildBroadcast(const CudaContext &ctx, const TensorDesc &x,
                          const void *xPtr, const TensorDesc &y, void *yPtr,
                          const BuildOptions &options);

/// Batched matmul [B,M,K] x [B,K,N] on cuBLASLt.
ExecutorOr buildMatMul(const CudaContext &ctx, const Plan &plan,
                       const Layer &layer, const Pointers &ptr,
                       const BuildOptions &options);
/// Inner product [..., M, K] x [K, N] (+ bias [N]) on cuBLASLt.
ExecutorOr buildInnerProduct(const CudaContext &ctx, const Plan &plan,
                             const Layer &layer, const Pointers &ptr,
                             const BuildOptions &options);

/// The cuDNN pointwise mode of an eltwise op ("relu", "gelu_erf", ...;
/// "clamp" is RELU_FWD with clipping) or a binary op ("add", ...).
std::optional<cudnnPointwiseMode_t> unaryPointwiseMode(const std::string &op);
std::optional<cudnnPointwiseMode_t> binaryPointwiseMode(const std::string &op);

/// " [strict f32]" or " [tf32 allowed]" for f32 layers, "" for others.
std::string mathTag(const Plan &plan, const Layer &layer,
                    const BuildOptions &options);
/// A device workspace of at least one byte for `graph`.
StatusOr<std::shared_ptr<DeviceBuffer>> workspaceFor(const CudnnGraph &graph);

/// A layer's primary executor followed by in-place pointwise steps on its
/// output (a bias, post-ops), run in order and timed together.
class SequenceExecutor final : public LayerExecutor {
public:
  explicit SequenceExecutor(std::unique_ptr<LayerExecutor> first)
      : first(std::move(first)) {}
  Status run() override;
  std::unique_ptr<LayerExecutor> first;
  std::vector<std::unique_ptr<CudnnGraph>> then;      // graphs, or null where
  std::vector<std::unique_ptr<LayerExecutor>> legacy; // this runs the step
  std::vector<std::string> engines;                   // of the steps
  std::vector<std::shared_ptr<DeviceBuffer>> buffers; // workspaces
};

/// The descriptor-API call that does what a pointwise graph would (for
/// graphs cuDNN has no engine for: NCHW-stored tensors).
struct LegacyPointwise {
  enum Call { kAddTensor, kOpTensor, kActivation } call = kOpTensor;
  cudnnOpTensorOp_t op = CUDNN_OP_TENSOR_ADD;
  cudnnActivationMode_t activation = CUDNN_ACTIVATION_RELU;
  double alpha2 = 1; // cudnnOpTensor's scale of its second operand
  double coef = 0;   // clipped ReLU's ceiling, swish's beta
  std::string name;
};
/// The call for `mode` (binary ops in place become cudnnAddTensor when
/// they add); nullopt where the descriptor API has none (GELU, exp, ...,
/// a clamp whose floor is not 0).
std::optional<LegacyPointwise> legacyPointwise(cudnnPointwiseMode_t mode,
                                               bool inPlace, bool clip,
                                               double lower, double upper);
/// The 4-d views the descriptor API gets of pointwise `operands` stored in
/// `layout`: N, C, H, W up to rank 4; above it, mergedPointwiseViews.
StatusOr<std::vector<DimsStrides>>
legacyPointwiseViews(const std::vector<const TensorDesc *> &operands,
                     DeviceLayout layout);
/// y = MODE(x) or y = x MODE b (b broadcast) on the descriptor API; x and
/// y may be the same memory. Operands of different element types are
/// unsupported.
ExecutorOr buildLegacyPointwise(const CudaContext &ctx,
                                cudnnPointwiseMode_t mode, const TensorDesc &x,
                                const void *xPtr, const TensorDesc *b,
                                const void *bPtr, const TensorDesc &y,
                                void *yPtr, const BuildOptions &o, bool clip,
                                double lower, double upper);

/// Appends `op` on `layer`'s output to `seq`.
Status appendInPlace(const CudaContext &ctx, SequenceExecutor &seq,
                     const Plan &plan, const Layer &layer, const Pointers &ptr,
                     const BuildOptions &options, const InPlaceOp &op);

/// `primary` followed by `layer`'s post-ops (sum, eltwise, binary) from
/// `firstPostOp` on (those before it are fused into `primary`), each an
/// in-place pointwise graph; `primary` itself when there are none.
/// kUnsupported names a post-op cuDNN has no pointwise mode for.
ExecutorOr withPostOps(const CudaContext &ctx, const Plan &plan,
                       const Layer &layer, const Pointers &ptr,
                       const BuildOptions &options,
                       std::unique_ptr<LayerExecutor> primary,
                       size_t firstPostOp = 0);

/// Graph fusion (BuildOptions::fuseGraph) of a conv2d layer with its bias
/// and post-ops: one cuDNN graph; where cuDNN has no engine for it, the
/// eager sequence, whose implementation string says why.
ExecutorOr buildFusedConv(const CudaContext &ctx, const Plan &plan,
                          const Layer &layer, const Pointers &ptr,
                          const BuildOptions &options);
/// Graph fusion of an inner_product or matmul layer (gemmFusion): what
/// cuBLASLt takes in its epilogue, the rest as in-place kernels after it;
/// where cuBLASLt has no algorithm for that epilogue, the eager sequence.
ExecutorOr buildFusedGemm(const CudaContext &ctx, const Plan &plan,
                          const Layer &layer, const Pointers &ptr,
                          const BuildOptions &options);

} // namespace goodhart::cuda

#endif // GOODHART_RUNNERS_CUDNN_CUDNNOPS_H
