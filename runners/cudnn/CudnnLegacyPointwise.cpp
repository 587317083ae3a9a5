//===- CudnnLegacyPointwise.cpp - Pointwise ops on the descriptor API -----===//
//
// cuDNN 9.19's runtime-fusion engines refuse pointwise graphs on tensors
// stored NCHW (seen on an H200: "heuristics found no engine" for a
// convolution's bias). A framework with NCHW tensors calls the descriptor
// API instead: cudnnAddTensor for a bias or a residual, cudnnOpTensor for
// other binary ops, cudnnActivationForward for activations, all of which
// may write in place. These run only where the graph has no engine; the
// implementation string says so. Above rank 4 the operands are the merged
// 4-d views the graph path uses (mergedPointwiseViews), packed in plan order,
// which these calls take whatever their strides.
//
//===----------------------------------------------------------------------===//

#include "runners/cudnn/CudnnOps.h"

#include "runners/cudnn/CudaCheck.h"

#include <algorithm>
#include <limits>

namespace goodhart::cuda {

std::optional<LegacyPointwise> legacyPointwise(cudnnPointwiseMode_t mode,
                                               bool inPlace, bool clip,
                                               double lower, double upper) {
  LegacyPointwise l;
  switch (mode) {
  case CUDNN_POINTWISE_ADD:
    l.call = inPlace ? LegacyPointwise::kAddTensor : LegacyPointwise::kOpTensor;
    l.op = CUDNN_OP_TENSOR_ADD;
    l.name = inPlace ? "cudnnAddTensor" : "cudnnOpTensor add";
    return l;
  case CUDNN_POINTWISE_SUB:
    // y = x + (-1) * b.
    l.call = LegacyPointwise::kOpTensor;
    l.op = CUDNN_OP_TENSOR_ADD;
    l.alpha2 = -1;
    l.name = "cudnnOpTensor add (b scaled by -1)";
    return l;
  case CUDNN_POINTWISE_MUL:
  case CUDNN_POINTWISE_MIN:
  case CUDNN_POINTWISE_MAX:
    l.call = LegacyPointwise::kOpTensor;
    l.op = mode == CUDNN_POINTWISE_MUL   ? CUDNN_OP_TENSOR_MUL
           : mode == CUDNN_POINTWISE_MIN ? CUDNN_OP_TENSOR_MIN
                                         : CUDNN_OP_TENSOR_MAX;
    l.name =
        std::string("cudnnOpTensor ") + (mode == CUDNN_POINTWISE_MUL   ? "mul"
                                         : mode == CUDNN_POINTWISE_MIN ? "min"
                                                                       : "max");
    return l;
  case CUDNN_POINTWISE_RELU_FWD:
    l.call = LegacyPointwise::kActivation;
    if (!clip) {
      l.activation = CUDNN_ACTIVATION_RELU;
      l.name = "cudnnActivationForward relu";
      return l;
    }
    // The legacy clipped ReLU clips below at 0 only; a ceiling beyond f32
    // (an open-ended clamp) is a plain ReLU.
    if (lower != 0 || upper <= 0)
      return std::nullopt;
    if (upper >= std::numeric_limits<float>::max()) {
      l.activation = CUDNN_ACTIVATION_RELU;
      l.name = "cudnnActivationForward relu";
      return l;
    }
    l.activation = CUDNN_ACTIVATION_CLIPPED_RELU;
    l.coef = upper;
    l.name = "cudnnActivationForward clipped_relu";
    return l;
  case CUDNN_POINTWISE_SIGMOID_FWD:
    l.call = LegacyPointwise::kActivation;
    l.activation = CUDNN_ACTIVATION_SIGMOID;
    l.name = "cudnnActivationForward sigmoid";
    return l;
  case CUDNN_POINTWISE_TANH_FWD:
    l.call = LegacyPointwise::kActivation;
    l.activation = CUDNN_ACTIVATION_TANH;
    l.name = "cudnnActivationForward tanh";
    return l;
  case CUDNN_POINTWISE_SWISH_FWD:
    l.call = LegacyPointwise::kActivation;
    l.activation = CUDNN_ACTIVATION_SWISH;
    l.coef = 1; // the swish beta: x * sigmoid(1 * x), SiLU
    l.name = "cudnnActivationForward swish";
    return l;
  default:
    return std::nullopt; // GELU, exp, log, ...: no descriptor-API call
  }
}

StatusOr<std::vector<DimsStrides>>
legacyPointwiseViews(const std::vector<const TensorDesc *> &operands,
                     DeviceLayout layout) {
  size_t rank = 0;
  std::vector<std::vector<int64_t>> shapes;
  for (const TensorDesc *t : operands) {
    rank = std::max(rank, t->shape.size());
    shapes.push_back(t->shape);
  }
  if (rank > 4)
    return mergedPointwiseViews(shapes);
  std::vector<DimsStrides> views;
  for (const TensorDesc *t : operands) {
    auto view = nchwView(t->shape, deviceStrides(t->shape, layout));
    if (!view)
      return view.status();
    views.push_back(*view);
  }
  return views;
}

namespace {

class LegacyPointwiseExecutor final : public LayerExecutor {
public:
  ~LegacyPointwiseExecutor() override {
    if (opDesc)
      cudnnDestroyOpTensorDescriptor(opDesc);
    if (actDesc)
      cudnnDestroyActivationDescriptor(actDesc);
  }
  Status run() override {
    const float one = 1, zero = 0, alpha2 = static_cast<float>(call.alpha2);
    switch (call.call) {
    case LegacyPointwise::kAddTensor: // y = b + y
      GOODHART_CUDNN_CHECK(
          cudnnAddTensor(handle, &one, bd->get(), b, &one, yd->get(), y));
      break;
    case LegacyPointwise::kOpTensor: // y = op(x, alpha2 * b)
      GOODHART_CUDNN_CHECK(cudnnOpTensor(handle, opDesc, &one, xd->get(), x,
                                         &alpha2, bd->get(), b, &zero,
                                         yd->get(), y));
      break;
    case LegacyPointwise::kActivation:
      GOODHART_CUDNN_CHECK(cudnnActivationForward(
          handle, actDesc, &one, xd->get(), x, &zero, yd->get(), y));
      break;
    }
    return Status::ok();
  }

  cudnnHandle_t handle = nullptr;
  LegacyPointwise call;
  TensorDescriptorPtr xd, bd, yd;
  const void *x = nullptr, *b = nullptr;
  void *y = nullptr;
  cudnnOpTensorDescriptor_t opDesc = nullptr;
  cudnnActivationDescriptor_t actDesc = nullptr;
};

} // namespace

ExecutorOr buildLegacyPointwise(const CudaContext &ctx,
                                cudnnPointwiseMode_t mode, const TensorDesc &x,
                                const void *xPtr, const TensorDesc *b,
                                const void *bPtr, const TensorDesc &y,
                                void *yPtr, const BuildOptions &o, bool clip,
                                double lower, double upper) {
  const bool inPlace = xPtr == yPtr;
  std::optional<LegacyPointwise> call =
      legacyPointwise(mode, inPlace && b, clip, lower, upper);
  if (!call)
    return unsupported("no descriptor-API call for this pointwise op");
  if ((call->call == LegacyPointwise::kActivation) == (b != nullptr))
    return invalidInput("a pointwise op with the wrong number of operands");
  // cudnnOpTensor and cudnnAddTensor take operands of one type, and
  // cudnnActivationForward an output of its input's.
  if ((b && b->dtype != x.dtype) || y.dtype != x.dtype)
    return unsupported(
        "the descriptor API's pointwise calls take one element "
        "type, not " +
        std::string(dtypeName(x.dtype)) + " with " +
        std::string(dtypeName(b && b->dtype != x.dtype ? b->dtype : y.dtype)));
  std::vector<const TensorDesc *> operands = {&x, &y};
  if (b)
    operands.push_back(b);
  auto views = legacyPointwiseViews(operands, o.layout);
  if (!views)
    return views.status();
  auto exec = std::make_unique<LegacyPointwiseExecutor>();
  exec->handle = ctx.cudnn;
  exec->call = *call;
  exec->x = xPtr;
  exec->b = bPtr;
  exec->y = yPtr;
  auto xd = describe(x, (*views)[0]), yd = describe(y, (*views)[1]);
  if (!xd)
    return xd.status();
  if (!yd)
    return yd.status();
  exec->xd = *xd;
  exec->yd = *yd;
  if (b) {
    auto bd = describe(*b, (*views)[2]);
    if (!bd)
      return bd.status();
    exec->bd = *bd;
  }
  if (call->call == LegacyPointwise::kOpTensor) {
    GOODHART_CUDNN_CHECK(cudnnCreateOpTensorDescriptor(&exec->opDesc));
    GOODHART_CUDNN_CHECK(cudnnSetOpTensorDescriptor(
        exec->opDesc, call->op, CUDNN_DATA_FLOAT, CUDNN_PROPAGATE_NAN));
  }
  if (call->call == LegacyPointwise::kActivation) {
    GOODHART_CUDNN_CHECK(cudnnCreateActivationDescriptor(&exec->actDesc));
    GOODHART_CUDNN_CHECK(cudnnSetActivationDescriptor(
        exec->actDesc, call->activation, CUDNN_PROPAGATE_NAN, call->coef));
    // Swish takes its beta apart from the descriptor's coefficient; set it
    // rather than rely on the default.
    if (call->activation == CUDNN_ACTIVATION_SWISH)
      GOODHART_CUDNN_CHECK(
          cudnnSetActivationDescriptorSwishBeta(exec->actDesc, call->coef));
  }
  exec->impl = call->name + " (descriptor API: no graph engine)";
  return std::unique_ptr<LayerExecutor>(std::move(exec));
}

} // namespace goodhart::cuda
