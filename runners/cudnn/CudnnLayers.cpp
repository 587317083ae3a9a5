//===- CudnnLayers.cpp - Plan layers on cuDNN and cuBLASLt ----------------===//
//
// Convolutions and pointwise ops through the cuDNN graph API (heuristics
// pick the engine, as frameworks do), matmuls through cuBLASLt (its
// heuristic picks the algorithm), pooling through cuDNN's pooling API. A
// convolution's bias is a second, pointwise graph, timed with it.
//
//===----------------------------------------------------------------------===//

#include "runners/cudnn/CudnnLayers.h"

#include "runners/cudnn/CudaCheck.h"
#include "runners/cudnn/CudnnGraph.h"

#include <map>

namespace goodhart::cuda {
namespace {

class GraphExecutor final : public LayerExecutor {
public:
  std::vector<std::unique_ptr<CudnnGraph>> graphs;
  std::vector<std::shared_ptr<DeviceBuffer>> buffers; // temporaries
  Status run() override {
    for (auto &g : graphs)
      GOODHART_RETURN_IF_ERROR(g->run());
    return Status::ok();
  }
};

StatusOr<std::shared_ptr<DeviceBuffer>> workspaceFor(const CudnnGraph &g) {
  return DeviceBuffer::allocate(std::max<size_t>(g.workspaceBytes(), 1));
}

StatusOr<std::unique_ptr<LayerExecutor>>
buildConv(const CudaContext &ctx, const Plan &plan, const Layer &layer,
          const std::vector<void *> &ptr) {
  auto stride = layer.getInts("stride", 2), pad = layer.getInts("pad", 4),
       dilation = layer.getInts("dilation", 2);
  if (!stride || !pad || !dilation)
    return invalidInput(layer.describe() + ": bad convolution attributes");
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  const TensorDesc &wei = plan.tensor(layer.inputs[1]);
  const TensorDesc &dst = plan.tensor(layer.outputs[0]);
  auto exec = std::make_unique<GraphExecutor>();
  const bool hasBias = layer.inputs.size() > 2;
  void *convOut = ptr[dst.id];
  if (hasBias) {
    auto tmp = DeviceBuffer::allocate(dst.sizeInBytes());
    if (!tmp)
      return tmp.status();
    exec->buffers.push_back(*tmp);
    convOut = (*tmp)->data();
  }
  auto conv = CudnnGraph::convolution(
      ctx.cudnn, graphTensor(src, 1), filterTensor(wei, 2), graphTensor(dst, 3),
      *stride, {(*pad)[0], (*pad)[2]}, {(*pad)[1], (*pad)[3]}, *dilation);
  if (!conv)
    return conv.status();
  auto ws = workspaceFor(**conv);
  if (!ws)
    return ws.status();
  exec->buffers.push_back(*ws);
  GOODHART_RETURN_IF_ERROR((*conv)->bind(
      {1, 2, 3}, {ptr[src.id], ptr[wei.id], convOut}, (*ws)->data()));
  exec->impl = "conv " + (*conv)->engine();
  exec->graphs.push_back(std::move(*conv));
  if (hasBias) {
    const TensorDesc &bias = plan.tensor(layer.inputs[2]);
    GraphTensor b;
    b.uid = 5;
    b.type = toCudnnType(bias.dtype).value_or(CUDNN_DATA_FLOAT);
    b.dims = {1, dst.shape[3], 1, 1};
    b.strides = {dst.shape[3], 1, 1, 1};
    if (bias.numElements() != dst.shape[3])
      return unsupported(layer.describe() + ": bias is not per channel");
    auto add =
        CudnnGraph::pointwise(ctx.cudnn, CUDNN_POINTWISE_ADD,
                              graphTensor(dst, 4), &b, graphTensor(dst, 6));
    if (!add)
      return add.status().withContext(layer.describe() + " (bias)");
    auto ws2 = workspaceFor(**add);
    if (!ws2)
      return ws2.status();
    exec->buffers.push_back(*ws2);
    GOODHART_RETURN_IF_ERROR((*add)->bind(
        {4, 5, 6}, {convOut, ptr[bias.id], ptr[dst.id]}, (*ws2)->data()));
    exec->impl += " + bias " + (*add)->engine();
    exec->graphs.push_back(std::move(*add));
  }
  return std::unique_ptr<LayerExecutor>(std::move(exec));
}

struct PointwiseOp {
  cudnnPointwiseMode_t mode;
  bool clip = false;
};

StatusOr<std::unique_ptr<LayerExecutor>>
buildPointwise(const CudaContext &ctx, const Plan &plan, const Layer &layer,
               const std::vector<void *> &ptr) {
  static const std::map<std::string, cudnnPointwiseMode_t> kUnary = {
      {"relu", CUDNN_POINTWISE_RELU_FWD},
      {"clamp", CUDNN_POINTWISE_RELU_FWD},
      {"sigmoid", CUDNN_POINTWISE_SIGMOID_FWD},
      {"tanh", CUDNN_POINTWISE_TANH_FWD},
      {"exp", CUDNN_POINTWISE_EXP},
      {"log", CUDNN_POINTWISE_LOG},
      {"erf", CUDNN_POINTWISE_ERF},
      {"abs", CUDNN_POINTWISE_ABS},
      {"neg", CUDNN_POINTWISE_NEG},
      {"rsqrt", CUDNN_POINTWISE_RSQRT},
      {"reciprocal", CUDNN_POINTWISE_RECIPROCAL},
      {"gelu_erf", CUDNN_POINTWISE_GELU_FWD},
      {"gelu_tanh", CUDNN_POINTWISE_GELU_APPROX_TANH_FWD},
      {"silu", CUDNN_POINTWISE_SWISH_FWD}};
  static const std::map<std::string, cudnnPointwiseMode_t> kBinary = {
      {"add", CUDNN_POINTWISE_ADD}, {"sub", CUDNN_POINTWISE_SUB},
      {"mul", CUDNN_POINTWISE_MUL}, {"div", CUDNN_POINTWISE_DIV},
      {"max", CUDNN_POINTWISE_MAX}, {"min", CUDNN_POINTWISE_MIN},
      {"pow", CUDNN_POINTWISE_POW}};
  const std::string op = layer.attrs.value("op", "");
  const bool binary = layer.kind == LayerKind::kBinary;
  const auto &table = binary ? kBinary : kUnary;
  auto it = table.find(op);
  if (it == table.end())
    return unsupported(layer.describe() + ": no cuDNN pointwise mode for '" +
                       op + "'");
  const TensorDesc &x = plan.tensor(layer.inputs[0]);
  const TensorDesc &y = plan.tensor(layer.outputs[0]);
  GraphTensor b;
  if (binary)
    b = graphTensor(plan.tensor(layer.inputs[1]), 2);
  double lo = 0, hi = 0;
  bool clip = op == "clamp";
  if (clip) {
    lo = layer.attrs.value("alpha", 0.0);
    hi = layer.attrs.value("beta", 0.0);
  }
  auto graph = CudnnGraph::pointwise(ctx.cudnn, it->second, graphTensor(x, 1),
                                     binary ? &b : nullptr, graphTensor(y, 3),
                                     lo, hi, clip);
  if (!graph)
    return graph.status().withContext(layer.describe());
  auto exec = std::make_unique<GraphExecutor>();
  auto ws = workspaceFor(**graph);
  if (!ws)
    return ws.status();
  exec->buffers.push_back(*ws);
  std::vector<int64_t> uids = {1, 3};
  std::vector<void *> ptrs = {ptr[x.id], ptr[y.id]};
  if (binary) {
    uids.push_back(2);
    ptrs.push_back(ptr[layer.inputs[1]]);
  }
  GOODHART_RETURN_IF_ERROR((*graph)->bind(uids, ptrs, (*ws)->data()));
  exec->impl = "pointwise " + (*graph)->engine();
  exec->graphs.push_back(std::move(*graph));
  return std::unique_ptr<LayerExecutor>(std::move(exec));
}

class PoolExecutor final : public LayerExecutor {
public:
  ~PoolExecutor() override {
    if (pool)
      cudnnDestroyPoolingDescriptor(pool);
    if (xd)
      cudnnDestroyTensorDescriptor(xd);
    if (yd)
      cudnnDestroyTensorDescriptor(yd);
  }
  Status run() override {
    float alpha = 1, beta = 0;
    GOODHART_CUDNN_CHECK(
        cudnnPoolingForward(handle, pool, &alpha, xd, x, &beta, yd, y));
    return Status::ok();
  }
  cudnnHandle_t handle = nullptr;
  cudnnPoolingDescriptor_t pool = nullptr;
  cudnnTensorDescriptor_t xd = nullptr, yd = nullptr;
  void *x = nullptr, *y = nullptr;
};

StatusOr<std::unique_ptr<LayerExecutor>>
buildPool(const CudaContext &ctx, const Plan &plan, const Layer &layer,
          const std::vector<void *> &ptr) {
  auto k = layer.getInts("kernel", 2), s = layer.getInts("stride", 2),
       pad = layer.getInts("pad", 4);
  if (!k || !s || !pad)
    return invalidInput(layer.describe() + ": bad pooling attributes");
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  const TensorDesc &dst = plan.tensor(layer.outputs[0]);
  auto type = toCudnnType(src.dtype);
  auto exec = std::make_unique<PoolExecutor>();
  exec->handle = ctx.cudnn;
  exec->x = ptr[src.id];
  exec->y = ptr[dst.id];
  GOODHART_CUDNN_CHECK(cudnnCreatePoolingDescriptor(&exec->pool));
  GOODHART_CUDNN_CHECK(cudnnCreateTensorDescriptor(&exec->xd));
  GOODHART_CUDNN_CHECK(cudnnCreateTensorDescriptor(&exec->yd));
  bool isMax = layer.attrs.value("algorithm", "") == "max";
  // cuDNN pads symmetrically; the trimmed bottom/right padding of TOSA
  // gives the same output when the output sizes agree (checked below).
  GOODHART_CUDNN_CHECK(cudnnSetPooling2dDescriptor(
      exec->pool,
      isMax ? CUDNN_POOLING_MAX : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING,
      CUDNN_PROPAGATE_NAN, (*k)[0], (*k)[1], (*pad)[0], (*pad)[2], (*s)[0],
      (*s)[1]));
  GOODHART_CUDNN_CHECK(cudnnSetTensor4dDescriptor(
      exec->xd, CUDNN_TENSOR_NHWC, *type, src.shape[0], src.shape[3],
      src.shape[1], src.shape[2]));
  GOODHART_CUDNN_CHECK(cudnnSetTensor4dDescriptor(
      exec->yd, CUDNN_TENSOR_NHWC, *type, dst.shape[0], dst.shape[3],
      dst.shape[1], dst.shape[2]));
  int n, c, h, w;
  GOODHART_CUDNN_CHECK(
      cudnnGetPooling2dForwardOutputDim(exec->pool, exec->xd, &n, &c, &h, &w));
  if (h != dst.shape[1] || w != dst.shape[2])
    return unsupported(layer.describe() +
                       ": cuDNN pooling pads symmetrically and gives " +
                       std::to_string(h) + "x" + std::to_string(w));
  exec->impl = isMax ? "cudnnPoolingForward max" : "cudnnPoolingForward avg";
  return std::unique_ptr<LayerExecutor>(std::move(exec));
}

class MatMulExecutor final : public LayerExecutor {
public:
  ~MatMulExecutor() override {
    for (cublasLtMatrixLayout_t l : {la, lb, lc})
      if (l)
        cublasLtMatrixLayoutDestroy(l);
    if (op)
      cublasLtMatmulDescDestroy(op);
  }
  Status run() override {
    float alpha = 1, beta = 0;
    GOODHART_CUBLAS_CHECK(cublasLtMatmul(lt, op, &alpha, a, la, b, lb, &beta, c,
                                         lc, c, lc, &algo, ws->data(),
                                         ws->size(), stream));
    return Status::ok();
  }
  cublasLtHandle_t lt = nullptr;
  cudaStream_t stream = nullptr;
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t la = nullptr, lb = nullptr, lc = nullptr;
  cublasLtMatmulAlgo_t algo{};
  std::shared_ptr<DeviceBuffer> ws;
  const void *a = nullptr, *b = nullptr;
  void *c = nullptr;
};

StatusOr<std::unique_ptr<LayerExecutor>>
buildMatMul(const CudaContext &ctx, const Plan &plan, const Layer &layer,
            const std::vector<void *> &ptr) {
  const TensorDesc &ta = plan.tensor(layer.inputs[0]);
  const TensorDesc &tb = plan.tensor(layer.inputs[1]);
  const TensorDesc &tc = plan.tensor(layer.outputs[0]);
  const int64_t batch = tc.shape[0], m = ta.shape[1], k = ta.shape[2],
                n = tb.shape[2];
  cudaDataType_t type = ta.dtype == DType::kF16    ? CUDA_R_16F
                        : ta.dtype == DType::kBF16 ? CUDA_R_16BF
                                                   : CUDA_R_32F;
  cublasComputeType_t compute = ta.dtype == DType::kF32 && ctx.allowTf32
                                    ? CUBLAS_COMPUTE_32F_FAST_TF32
                                    : CUBLAS_COMPUTE_32F;
  auto exec = std::make_unique<MatMulExecutor>();
  exec->lt = ctx.lt;
  exec->stream = ctx.stream;
  GOODHART_CUBLAS_CHECK(
      cublasLtMatmulDescCreate(&exec->op, compute, CUDA_R_32F));
  // Row-major C = A B is column-major C^T = B^T A^T: cuBLASLt's "A" is
  // the plan's b (n x k, ld n) and its "B" the plan's a (k x m, ld k).
  auto layout = [&](cublasLtMatrixLayout_t *l, int64_t rows, int64_t cols,
                    int64_t stride, int64_t count) -> Status {
    GOODHART_CUBLAS_CHECK(
        cublasLtMatrixLayoutCreate(l, type, rows, cols, rows));
    int32_t c32 = static_cast<int32_t>(count);
    GOODHART_CUBLAS_CHECK(cublasLtMatrixLayoutSetAttribute(
        *l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &c32, sizeof(c32)));
    GOODHART_CUBLAS_CHECK(cublasLtMatrixLayoutSetAttribute(
        *l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride,
        sizeof(stride)));
    return Status::ok();
  };
  GOODHART_RETURN_IF_ERROR(
      layout(&exec->la, n, k, tb.shape[0] == 1 ? 0 : k * n, batch));
  GOODHART_RETURN_IF_ERROR(
      layout(&exec->lb, k, m, ta.shape[0] == 1 ? 0 : m * k, batch));
  GOODHART_RETURN_IF_ERROR(layout(&exec->lc, n, m, m * n, batch));
  const size_t workspace = size_t(32) << 20;
  auto ws = DeviceBuffer::allocate(workspace);
  if (!ws)
    return ws.status();
  exec->ws = *ws;
  cublasLtMatmulPreference_t pref;
  GOODHART_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
  GOODHART_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(
      pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace,
      sizeof(workspace)));
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  cublasStatus_t s = cublasLtMatmulAlgoGetHeuristic(
      ctx.lt, exec->op, exec->la, exec->lb, exec->lc, exec->lc, pref, 1,
      &result, &found);
  cublasLtMatmulPreferenceDestroy(pref);
  if (s != CUBLAS_STATUS_SUCCESS || found == 0)
    return unsupported(layer.describe() + ": cuBLASLt has no algorithm");
  exec->algo = result.algo;
  int id = 0, tile = 0, stages = 0;
  size_t written = 0;
  cublasLtMatmulAlgoConfigGetAttribute(&exec->algo, CUBLASLT_ALGO_CONFIG_ID,
                                       &id, sizeof(id), &written);
  cublasLtMatmulAlgoConfigGetAttribute(
      &exec->algo, CUBLASLT_ALGO_CONFIG_TILE_ID, &tile, sizeof(tile), &written);
  cublasLtMatmulAlgoConfigGetAttribute(&exec->algo,
                                       CUBLASLT_ALGO_CONFIG_STAGES_ID, &stages,
                                       sizeof(stages), &written);
  exec->impl = "cublasLt algo " + std::to_string(id) + " tile " +
               std::to_string(tile) + " stages " + std::to_string(stages);
  exec->a = ptr[tb.id];
  exec->b = ptr[ta.id];
  exec->c = ptr[tc.id];
  return std::unique_ptr<LayerExecutor>(std::move(exec));
}

} // namespace

StatusOr<std::shared_ptr<DeviceBuffer>> DeviceBuffer::allocate(size_t bytes) {
  auto b = std::shared_ptr<DeviceBuffer>(new DeviceBuffer());
  GOODHART_CUDA_CHECK(cudaMalloc(&b->ptr, std::max<size_t>(bytes, 1)));
  b->bytes = bytes;
  return b;
}

DeviceBuffer::~DeviceBuffer() {
  if (ptr)
    cudaFree(ptr);
}

StatusOr<std::unique_ptr<LayerExecutor>>
buildExecutor(const CudaContext &context, const Plan &plan, const Layer &layer,
              const std::vector<void *> &pointers) {
  for (int64_t id : layer.inputs)
    if (!toCudnnType(plan.tensor(id).dtype))
      return unsupported(layer.describe() + ": element type " +
                         std::string(dtypeName(plan.tensor(id).dtype)) +
                         " is not supported by the cuDNN runner");
  switch (layer.kind) {
  case LayerKind::kConv2d:
    return buildConv(context, plan, layer, pointers);
  case LayerKind::kEltwise:
  case LayerKind::kBinary:
    return buildPointwise(context, plan, layer, pointers);
  case LayerKind::kPool2d:
    return buildPool(context, plan, layer, pointers);
  case LayerKind::kMatMul:
    return buildMatMul(context, plan, layer, pointers);
  default:
    return unsupported(layer.describe() + ": " +
                       std::string(layerKindName(layer.kind)) +
                       " layers are not supported by the cuDNN runner yet");
  }
}

} // namespace goodhart::cuda
