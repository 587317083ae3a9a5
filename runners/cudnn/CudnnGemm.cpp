//===- CudnnGemm.cpp - Matmuls and inner products on cuBLASLt -------------===//
//
// Batched matmuls [B,M,K] x [B,K,N] and inner products (a Linear layer:
// [..., M, K] x constant [K, N] + bias [N]) run as one cuBLASLt matmul
// each, the algorithm picked by cuBLASLt's heuristic as frameworks do. An
// inner product's bias is cuBLASLt's bias epilogue (CUBLASLT_EPILOGUE_BIAS,
// as PyTorch's addmm runs F.linear through gemm_and_bias); where the
// heuristic has no algorithm with it, an in-place pointwise add after the
// GEMM, timed as a second kernel, which the implementation string says.
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

/// Row-major C [batch, m, n] = A [batch, m, k] x B [batch, k, n]; a batch
/// stride of 0 broadcasts that operand over the batch.
struct GemmShape {
  int64_t batch = 1, m = 0, k = 0, n = 0;
  int64_t strideA = 0, strideB = 0;
};

/// `bias` (device, [n], tc's type): added by the epilogue.
ExecutorOr buildGemm(const CudaContext &ctx, const Plan &plan,
                     const Layer &layer, const TensorDesc &ta,
                     const TensorDesc &tb, const TensorDesc &tc,
                     const GemmShape &g, const Pointers &ptr,
                     const BuildOptions &o, const void *bias = nullptr) {
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
  if (bias) {
    // Column-major D^T is n x m: the bias runs along its rows.
    cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_BIAS;
    GOODHART_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(
        exec->op, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue, sizeof(epilogue)));
    GOODHART_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(
        exec->op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof(bias)));
    GOODHART_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(
        exec->op, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &type, sizeof(type)));
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
    return unsupported(layer.describe() + ": cuBLASLt has no algorithm" +
                       (bias ? " with a bias epilogue" : ""));
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
               (bias ? " + bias epilogue" : "") + mathTag(plan, layer, o);
  exec->a = ptr[tb.id];
  exec->b = ptr[ta.id];
  exec->c = ptr[tc.id];
  return std::unique_ptr<LayerExecutor>(std::move(exec));
}

} // namespace

ExecutorOr buildMatMul(const CudaContext &ctx, const Plan &plan,
                       const Layer &layer, const Pointers &ptr,
                       const BuildOptions &o) {
  const TensorDesc &ta = plan.tensor(layer.inputs[0]);
  const TensorDesc &tb = plan.tensor(layer.inputs[1]);
  const TensorDesc &tc = plan.tensor(layer.outputs[0]);
  if (ta.shape.size() != 3 || tb.shape.size() != 3 || tc.shape.size() != 3)
    return invalidInput(layer.describe() + ": a matmul is rank 3");
  GemmShape g;
  g.batch = tc.shape[0];
  g.m = ta.shape[1];
  g.k = ta.shape[2];
  g.n = tb.shape[2];
  g.strideA = ta.shape[0] == 1 ? 0 : g.m * g.k;
  g.strideB = tb.shape[0] == 1 ? 0 : g.k * g.n;
  return buildGemm(ctx, plan, layer, ta, tb, tc, g, ptr, o);
}

ExecutorOr buildInnerProduct(const CudaContext &ctx, const Plan &plan,
                             const Layer &layer, const Pointers &ptr,
                             const BuildOptions &o) {
  StatusOr<InnerProductDims> dims = innerProductDims(plan, layer);
  if (!dims)
    return dims.status();
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  const TensorDesc &wei = plan.tensor(layer.inputs[1]);
  const TensorDesc &dst = plan.tensor(layer.outputs[0]);
  GemmShape g;
  g.m = dims->m;
  g.k = dims->k;
  g.n = dims->n;
  if (layer.numPrimaryInputs() < 3)
    return buildGemm(ctx, plan, layer, src, wei, dst, g, ptr, o);
  const TensorDesc &bias = plan.tensor(layer.inputs[2]);
  if (bias.numElements() != g.n)
    return unsupported(layer.describe() + ": bias of size " +
                       std::to_string(bias.numElements()) +
                       " is not per output feature");
  if (bias.dtype == dst.dtype) {
    ExecutorOr fused =
        buildGemm(ctx, plan, layer, src, wei, dst, g, ptr, o, ptr[bias.id]);
    if (fused || fused.status().code() != StatusCode::kUnsupported)
      return fused;
  }
  ExecutorOr gemm = buildGemm(ctx, plan, layer, src, wei, dst, g, ptr, o);
  if (!gemm)
    return gemm;
  auto seq = std::make_unique<SequenceExecutor>(std::move(*gemm));
  GOODHART_RETURN_IF_ERROR(appendInPlace(
      ctx, *seq, plan, layer, ptr, o, InPlaceOp{CUDNN_POINTWISE_ADD, &bias}));
  seq->impl = seq->first->impl + " + bias " + seq->engines.back() +
              " (a second kernel)";
  return std::unique_ptr<LayerExecutor>(std::move(seq));
}

} // namespace goodhart::cuda
