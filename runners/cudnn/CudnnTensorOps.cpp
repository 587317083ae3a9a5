//===- CudnnTensorOps.cpp - Pooling, softmax and reduction on cuDNN -------===//
//
// Layers cuDNN 9 runs through its descriptor API: pooling, softmax and
// reductions. Every tensor is an Nd descriptor of rank >= 4 with the
// device strides of CudnnLayout, so the same code serves both layouts.
//
//===----------------------------------------------------------------------===//

#include "runners/cudnn/CudnnOps.h"

#include "runners/cudnn/CudaCheck.h"
#include "runners/cudnn/CudnnGraph.h"

#include <map>

namespace goodhart::cuda {

StatusOr<TensorDescriptorPtr>
TensorDescriptor::create(cudnnDataType_t type, const DimsStrides &view) {
  if (!fitsInt32(view))
    return unsupported("a dimension or stride exceeds cuDNN's int range");
  auto d = std::shared_ptr<TensorDescriptor>(new TensorDescriptor());
  GOODHART_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d->desc));
  std::vector<int> dims(view.dims.begin(), view.dims.end());
  std::vector<int> strides(view.strides.begin(), view.strides.end());
  GOODHART_CUDNN_CHECK(cudnnSetTensorNdDescriptor(d->desc, type,
                                                  static_cast<int>(dims.size()),
                                                  dims.data(), strides.data()));
  return d;
}

TensorDescriptor::~TensorDescriptor() {
  if (desc)
    cudnnDestroyTensorDescriptor(desc);
}

StatusOr<TensorDescriptorPtr> describe(const TensorDesc &t,
                                       const DimsStrides &view) {
  auto type = toCudnnType(t.dtype);
  if (!type)
    return unsupported(std::string(dtypeName(t.dtype)) + " tensors");
  return TensorDescriptor::create(*type, view);
}

StatusOr<TensorDescriptorPtr> describeNchw(const TensorDesc &t,
                                           DeviceLayout layout) {
  auto view = nchwView(t.shape, deviceStrides(t.shape, layout));
  if (!view)
    return view.status();
  return describe(t, *view);
}

namespace {

class PoolExecutor final : public LayerExecutor {
public:
  ~PoolExecutor() override {
    if (pool)
      cudnnDestroyPoolingDescriptor(pool);
  }
  Status run() override {
    float alpha = 1, beta = 0;
    GOODHART_CUDNN_CHECK(cudnnPoolingForward(handle, pool, &alpha, xd->get(), x,
                                             &beta, yd->get(), y));
    return Status::ok();
  }
  cudnnHandle_t handle = nullptr;
  cudnnPoolingDescriptor_t pool = nullptr;
  TensorDescriptorPtr xd, yd;
  void *x = nullptr, *y = nullptr;
};

class SoftmaxExecutor final : public LayerExecutor {
public:
  Status run() override {
    float alpha = 1, beta = 0;
    GOODHART_CUDNN_CHECK(cudnnSoftmaxForward(
        handle, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &alpha,
        xd->get(), x, &beta, yd->get(), y));
    return Status::ok();
  }
  cudnnHandle_t handle = nullptr;
  TensorDescriptorPtr xd, yd;
  void *x = nullptr, *y = nullptr;
};

class ReduceExecutor final : public LayerExecutor {
public:
  ~ReduceExecutor() override {
    if (reduce)
      cudnnDestroyReduceTensorDescriptor(reduce);
  }
  Status run() override {
    float alpha = 1, beta = 0;
    GOODHART_CUDNN_CHECK(cudnnReduceTensor(handle, reduce, nullptr, 0,
                                           ws->data(), ws->size(), &alpha,
                                           xd->get(), x, &beta, yd->get(), y));
    return Status::ok();
  }
  cudnnHandle_t handle = nullptr;
  cudnnReduceTensorDescriptor_t reduce = nullptr;
  TensorDescriptorPtr xd, yd;
  std::shared_ptr<DeviceBuffer> ws;
  void *x = nullptr, *y = nullptr;
};

} // namespace

ExecutorOr buildPool(const CudaContext &ctx, const Plan &plan,
                     const Layer &layer, const Pointers &ptr,
                     const BuildOptions &options) {
  auto k = layer.getInts("kernel", 2), s = layer.getInts("stride", 2),
       pad = layer.getInts("pad", 4);
  if (!k || !s || !pad)
    return invalidInput(layer.describe() + ": bad pooling attributes");
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  const TensorDesc &dst = plan.tensor(layer.outputs[0]);
  auto exec = std::make_unique<PoolExecutor>();
  exec->handle = ctx.cudnn;
  exec->x = ptr[src.id];
  exec->y = ptr[dst.id];
  auto xd = describeNchw(src, options.layout),
       yd = describeNchw(dst, options.layout);
  if (!xd)
    return xd.status();
  if (!yd)
    return yd.status();
  exec->xd = *xd;
  exec->yd = *yd;
  GOODHART_CUDNN_CHECK(cudnnCreatePoolingDescriptor(&exec->pool));
  bool isMax = layer.attrs.value("algorithm", "") == "max";
  // cuDNN pads symmetrically; the trimmed bottom/right padding of TOSA
  // gives the same output when the output sizes agree (checked below).
  GOODHART_CUDNN_CHECK(cudnnSetPooling2dDescriptor(
      exec->pool,
      isMax ? CUDNN_POOLING_MAX : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING,
      CUDNN_PROPAGATE_NAN, (*k)[0], (*k)[1], (*pad)[0], (*pad)[2], (*s)[0],
      (*s)[1]));
  int n, c, h, w;
  GOODHART_CUDNN_CHECK(cudnnGetPooling2dForwardOutputDim(
      exec->pool, exec->xd->get(), &n, &c, &h, &w));
  if (h != dst.shape[1] || w != dst.shape[2])
    return unsupported(layer.describe() +
                       ": cuDNN pooling pads symmetrically and gives " +
                       std::to_string(h) + "x" + std::to_string(w));
  exec->impl = isMax ? "cudnnPoolingForward max" : "cudnnPoolingForward avg";
  return std::unique_ptr<LayerExecutor>(std::move(exec));
}

ExecutorOr buildSoftmax(const CudaContext &ctx, const Plan &plan,
                        const Layer &layer, const Pointers &ptr,
                        const BuildOptions &options) {
  auto axis = layer.getInt("axis");
  if (!axis)
    return axis.status();
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  const TensorDesc &dst = plan.tensor(layer.outputs[0]);
  auto xv =
      softmaxView(src.shape, deviceStrides(src.shape, options.layout), *axis);
  auto yv =
      softmaxView(dst.shape, deviceStrides(dst.shape, options.layout), *axis);
  if (!xv)
    return xv.status().withContext(layer.describe());
  if (!yv)
    return yv.status().withContext(layer.describe());
  auto xd = describe(src, *xv), yd = describe(dst, *yv);
  if (!xd)
    return xd.status();
  if (!yd)
    return yd.status();
  auto exec = std::make_unique<SoftmaxExecutor>();
  exec->handle = ctx.cudnn;
  exec->xd = *xd;
  exec->yd = *yd;
  exec->x = ptr[src.id];
  exec->y = ptr[dst.id];
  exec->impl = "cudnnSoftmaxForward accurate channel";
  return std::unique_ptr<LayerExecutor>(std::move(exec));
}

ExecutorOr buildReduce(const CudaContext &ctx, const Plan &plan,
                       const Layer &layer, const Pointers &ptr,
                       const BuildOptions &options) {
  static const std::map<std::string, cudnnReduceTensorOp_t> kOps = {
      {"sum", CUDNN_REDUCE_TENSOR_ADD},
      {"prod", CUDNN_REDUCE_TENSOR_MUL},
      {"min", CUDNN_REDUCE_TENSOR_MIN},
      {"max", CUDNN_REDUCE_TENSOR_MAX},
      {"mean", CUDNN_REDUCE_TENSOR_AVG}};
  const std::string op = layer.attrs.value("op", "");
  auto it = kOps.find(op);
  if (it == kOps.end())
    return unsupported(layer.describe() + ": no cuDNN reduction for '" + op +
                       "'");
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  const TensorDesc &dst = plan.tensor(layer.outputs[0]);
  if (src.shape.size() > 8)
    return unsupported(layer.describe() + ": rank above 8");
  auto xd = describe(
      src, paddedView(src.shape, deviceStrides(src.shape, options.layout), 4));
  auto yd = describe(
      dst, paddedView(dst.shape, deviceStrides(dst.shape, options.layout), 4));
  if (!xd)
    return xd.status();
  if (!yd)
    return yd.status();
  auto exec = std::make_unique<ReduceExecutor>();
  exec->handle = ctx.cudnn;
  exec->xd = *xd;
  exec->yd = *yd;
  exec->x = ptr[src.id];
  exec->y = ptr[dst.id];
  GOODHART_CUDNN_CHECK(cudnnCreateReduceTensorDescriptor(&exec->reduce));
  GOODHART_CUDNN_CHECK(cudnnSetReduceTensorDescriptor(
      exec->reduce, it->second, CUDNN_DATA_FLOAT, CUDNN_PROPAGATE_NAN,
      CUDNN_REDUCE_TENSOR_NO_INDICES, CUDNN_32BIT_INDICES));
  size_t workspace = 0;
  GOODHART_CUDNN_CHECK(cudnnGetReductionWorkspaceSize(
      ctx.cudnn, exec->reduce, exec->xd->get(), exec->yd->get(), &workspace));
  auto ws = DeviceBuffer::allocate(std::max<size_t>(workspace, 1));
  if (!ws)
    return ws.status();
  exec->ws = *ws;
  exec->impl = "cudnnReduceTensor " + op;
  return std::unique_ptr<LayerExecutor>(std::move(exec));
}

} // namespace goodhart::cuda
