//===- CudnnGemm.cpp - Matmuls and inner products on cuBLASLt -------------===//
//
// Batched matmuls [B,M,K] x [B,K,N] and inner products (a Linear layer:
// [..., M, K] x constant [K, N] + bias [N]) run as one cuBLASLt matmul
// each, the algorithm picked by cuBLASLt's heuristic as frameworks do. An
// inner product's bias is cuBLASLt's bias epilogue (CUBLASLT_EPILOGUE_BIAS,
// as PyTorch's addmm runs F.linear through gemm_and_bias); where the
// heuristic has no algorithm with it, an in-place pointwise add after the
// GEMM, timed as a second kernel, which the implementation string says.
// Graph fusion (CudnnFusion.h) also takes a scale as alpha, a residual sum
// as C with beta 1 and a ReLU or tanh-GELU as the epilogue's activation.
// Strict f32 computes in
// COMPUTE_32F, TF32 only when the measurement allows it; 16-bit inputs
// accumulate in f32.
//
//===----------------------------------------------------------------------===//

#include "runners/cudnn/CudaCheck.h"
#include "runners/cudnn/CudnnOps.h"

namespace goodhart::cuda {
namespace {

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
    GOODHART_CUBLAS_CHECK(cublasLtMatmul(lt, op, &alpha, a, la, b, lb, &beta,
                                         cIn ? cIn : c, lc, c, lc, &algo,
                                         ws->data(), ws->size(), stream));
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
  const void *cIn = nullptr; // C when it is not D: a residual, beta 1
  float alpha = 1, beta = 0;
};

cublasLtEpilogue_t gemmEpilogue(const GemmFusion &f) {
  using A = GemmFusion::Activation;
  if (f.bias)
    return f.activation == A::kRelu   ? CUBLASLT_EPILOGUE_RELU_BIAS
           : f.activation == A::kGelu ? CUBLASLT_EPILOGUE_GELU_BIAS
                                      : CUBLASLT_EPILOGUE_BIAS;
  return f.activation == A::kRelu   ? CUBLASLT_EPILOGUE_RELU
         : f.activation == A::kGelu ? CUBLASLT_EPILOGUE_GELU
                                    : CUBLASLT_EPILOGUE_DEFAULT;
}

/// Row-major C [batch, m, n] = A [batch, m, k] x B [batch, k, n]; a batch
/// stride of 0 broadcasts that operand over the batch.
struct GemmShape {
  int64_t batch = 1, m = 0, k = 0, n = 0;
  int64_t strideA = 0, strideB = 0;
};

/// The epilogue, alpha and C of `f` (a bias [n] of tc's type, a residual
/// shaped as tc) are part of the one cuBLASLt call.
ExecutorOr buildGemm(const CudaContext &ctx, const Plan &plan,
                     const Layer &layer, const TensorDesc &ta,
                     const TensorDesc &tb, const TensorDesc &tc,
                     const GemmShape &g, const Pointers &ptr,
                     const BuildOptions &o, const GemmFusion &f = {}) {
  cudaDataType_t type = ta.dtype == DType::kF16    ? CUDA_R_16F
                        : ta.dtype == DType::kBF16 ? CUDA_R_16BF
                                                   : CUDA_R_32F;
  const bool tf32 = ta.dtype == DType::kF32 && o.tf32;
  cublasComputeType_t compute =
      tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  auto exec = std::make_unique<MatMulExecutor>();
  exec->lt = ctx.lt;
  exec->stream = ctx.stream;
  GOODHART_CUBLAS_CHECK(
      cublasLtMatmulDescCreate(&exec->op, compute, CUDA_R_32F));
  const void *bias = f.bias ? ptr[f.bias->id] : nullptr;
  cublasLtEpilogue_t epilogue = gemmEpilogue(f);
  if (epilogue != CUBLASLT_EPILOGUE_DEFAULT)
    GOODHART_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(
        exec->op, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue, sizeof(epilogue)));
  if (bias) {
    // Column-major D^T is n x m: the bias runs along its rows.
    GOODHART_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(
        exec->op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof(bias)));
    GOODHART_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(
        exec->op, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &type, sizeof(type)));
  }
  exec->alpha = f.alpha;
  if (f.residual) {
    exec->cIn = ptr[f.residual->id];
    exec->beta = 1;
  }
  // Row-major C = A B is column-major C^T = B^T A^T: cuBLASLt's "A" is
  // the plan's b (n x k, ld n) and its "B" the plan's a (k x m, ld k).
  auto layout = [&](cublasLtMatrixLayout_t *l, int64_t rows, int64_t cols,
                    int64_t stride) -> Status {
    GOODHART_CUBLAS_CHECK(
        cublasLtMatrixLayoutCreate(l, type, rows, cols, rows));
    int32_t count = static_cast<int32_t>(g.batch);
    GOODHART_CUBLAS_CHECK(cublasLtMatrixLayoutSetAttribute(
        *l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof(count)));
    GOODHART_CUBLAS_CHECK(cublasLtMatrixLayoutSetAttribute(
        *l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride,
        sizeof(stride)));
    return Status::ok();
  };
  GOODHART_RETURN_IF_ERROR(layout(&exec->la, g.n, g.k, g.strideB));
  GOODHART_RETURN_IF_ERROR(layout(&exec->lb, g.k, g.m, g.strideA));
  GOODHART_RETURN_IF_ERROR(layout(&exec->lc, g.n, g.m, g.m * g.n));
  // One workspace for all: BERT-large's whole model holds about 190 GEMMs.
  const size_t workspace = kGemmWorkspaceBytes;
  exec->ws = ctx.gemmWorkspace;
  if (!exec->ws || exec->ws->size() < workspace) {
    auto ws = DeviceBuffer::allocate(workspace);
    if (!ws)
      return ws.status();
    exec->ws = *ws;
  }
  cublasLtMatmulPreference_t pref;
  GOODHART_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  cublasStatus_t s = cublasLtMatmulPreferenceSetAttribute(
      pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace,
      sizeof(workspace));
  if (s == CUBLAS_STATUS_SUCCESS)
    s = cublasLtMatmulAlgoGetHeuristic(ctx.lt, exec->op, exec->la, exec->lb,
                                       exec->lc, exec->lc, pref, 1, &result,
                                       &found);
  cublasLtMatmulPreferenceDestroy(pref);
  if (s != CUBLAS_STATUS_SUCCESS || found == 0)
    return unsupported(layer.describe() + ": cuBLASLt has no algorithm" +
                       (f.describe().empty() ? "" : " with " + f.describe()));
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
               std::to_string(tile) + " stages " + std::to_string(stages) +
               (tf32 ? " COMPUTE_32F_FAST_TF32" : " COMPUTE_32F") +
               (f.describe().empty() ? "" : " + " + f.describe()) +
               mathTag(plan, layer, o);
  exec->a = ptr[tb.id];
  exec->b = ptr[ta.id];
  exec->c = ptr[tc.id];
  return std::unique_ptr<LayerExecutor>(std::move(exec));
}

/// The GEMM of a matmul or inner_product layer.
StatusOr<GemmShape> gemmShapeOf(const Plan &plan, const Layer &layer) {
  GemmShape g;
  if (layer.kind == LayerKind::kInnerProduct) {
    StatusOr<InnerProductDims> dims = innerProductDims(plan, layer);
    if (!dims)
      return dims.status();
    g.m = dims->m;
    g.k = dims->k;
    g.n = dims->n;
    if (layer.numPrimaryInputs() >= 3 &&
        plan.tensor(layer.inputs[2]).numElements() != g.n)
      return unsupported(
          layer.describe() + ": bias of size " +
          std::to_string(plan.tensor(layer.inputs[2]).numElements()) +
          " is not per output feature");
    return g;
  }
  const TensorDesc &ta = plan.tensor(layer.inputs[0]);
  const TensorDesc &tb = plan.tensor(layer.inputs[1]);
  const TensorDesc &tc = plan.tensor(layer.outputs[0]);
  if (ta.shape.size() != 3 || tb.shape.size() != 3 || tc.shape.size() != 3)
    return invalidInput(layer.describe() + ": a matmul is rank 3");
  g.batch = tc.shape[0];
  g.m = ta.shape[1];
  g.k = ta.shape[2];
  g.n = tb.shape[2];
  g.strideA = ta.shape[0] == 1 ? 0 : g.m * g.k;
  g.strideB = tb.shape[0] == 1 ? 0 : g.k * g.n;
  return g;
}

ExecutorOr buildLayerGemm(const CudaContext &ctx, const Plan &plan,
                          const Layer &layer, const Pointers &ptr,
                          const BuildOptions &o, const GemmFusion &f) {
  auto g = gemmShapeOf(plan, layer);
  if (!g)
    return g.status();
  // cuBLASLt reads every operand row-major; a rank-4 tensor stored NCHW
  // (not [N,1,1,C] or [N,H,W,1]) is not.
  for (int64_t id : {layer.inputs[0], layer.inputs[1], layer.outputs[0]}) {
    const TensorDesc &t = plan.tensor(id);
    if (!storedRowMajor(t.shape, o.layout))
      return unsupported(layer.describe() + ": tensor " + std::to_string(id) +
                         " is stored NCHW, and the GEMM reads it row-major " +
                         "(measure with layout nhwc)");
  }
  return buildGemm(ctx, plan, layer, plan.tensor(layer.inputs[0]),
                   plan.tensor(layer.inputs[1]), plan.tensor(layer.outputs[0]),
                   *g, ptr, o, f);
}

} // namespace

ExecutorOr buildMatMul(const CudaContext &ctx, const Plan &plan,
                       const Layer &layer, const Pointers &ptr,
                       const BuildOptions &o) {
  return buildLayerGemm(ctx, plan, layer, ptr, o, GemmFusion{});
}

ExecutorOr buildInnerProduct(const CudaContext &ctx, const Plan &plan,
                             const Layer &layer, const Pointers &ptr,
                             const BuildOptions &o) {
  if (layer.numPrimaryInputs() < 3)
    return buildLayerGemm(ctx, plan, layer, ptr, o, GemmFusion{});
  const TensorDesc &bias = plan.tensor(layer.inputs[2]);
  if (bias.dtype == plan.tensor(layer.outputs[0]).dtype) {
    GemmFusion withBias;
    withBias.bias = &bias;
    ExecutorOr fused = buildLayerGemm(ctx, plan, layer, ptr, o, withBias);
    if (fused || fused.status().code() != StatusCode::kUnsupported)
      return fused;
  }
  ExecutorOr gemm = buildLayerGemm(ctx, plan, layer, ptr, o, GemmFusion{});
  if (!gemm)
    return gemm;
  auto seq = std::make_unique<SequenceExecutor>(std::move(*gemm));
  GOODHART_RETURN_IF_ERROR(appendInPlace(
      ctx, *seq, plan, layer, ptr, o, InPlaceOp{CUDNN_POINTWISE_ADD, &bias}));
  seq->impl = seq->first->impl + " + bias " + seq->engines.back() +
              " (a second kernel)";
  return std::unique_ptr<LayerExecutor>(std::move(seq));
}

ExecutorOr buildFusedGemm(const CudaContext &ctx, const Plan &plan,
                          const Layer &layer, const Pointers &ptr,
                          const BuildOptions &o) {
  auto f = gemmFusion(plan, layer);
  if (!f)
    return f.status();
  const bool hasBias =
      layer.kind == LayerKind::kInnerProduct && layer.numPrimaryInputs() >= 3;
  std::string why = f->stopReason;
  if (!hasBias || f->bias) {
    ExecutorOr fused = buildLayerGemm(ctx, plan, layer, ptr, o, *f);
    if (fused)
      fused = withPostOps(ctx, plan, layer, ptr, o, std::move(*fused),
                          f->postOpsFused);
    if (fused && !why.empty())
      (*fused)->impl += " [not fused: " + why + "]";
    if (fused || fused.status().code() != StatusCode::kUnsupported)
      return fused;
    why = fused.status().message();
  }
  // The eager sequence: the bias as a kernel of its own, or no algorithm
  // with the epilogue asked for.
  ExecutorOr eager = layer.kind == LayerKind::kMatMul
                         ? buildMatMul(ctx, plan, layer, ptr, o)
                         : buildInnerProduct(ctx, plan, layer, ptr, o);
  if (eager)
    eager = withPostOps(ctx, plan, layer, ptr, o, std::move(*eager));
  if (eager)
    (*eager)->impl += " [no graph fusion: " + why + "]";
  return eager;
}

} // namespace goodhart::cuda
