//===- CudnnLayers.cpp - Plan layers on cuDNN and cuBLASLt ----------------===//
//
// Convolutions, pointwise ops and normalizations through the cuDNN graph
// API (heuristics pick the engine, as frameworks do); matmuls and inner
// products are in CudnnGemm.cpp, the descriptor-API kinds in
// CudnnTensorOps.cpp, post-ops in CudnnPostOps.cpp. A convolution's bias is
// a second, in-place pointwise graph, timed with it, unless the measurement
// fuses (fusion "graph": the convolution, its bias and post-ops are one
// graph, CudnnFusion.h). f32 layers are strict
// f32 unless the measurement allows TF32; the implementation string says
// which.
//
//===----------------------------------------------------------------------===//

#include "runners/cudnn/CudnnLayers.h"

#include "runners/cudnn/CudaCheck.h"
#include "runners/cudnn/CudnnGraph.h"
#include "runners/cudnn/CudnnOps.h"

#include <map>
#include <optional>

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

bool allF32(const Plan &plan, const Layer &layer) {
  for (int64_t id : layer.inputs)
    if (plan.tensor(id).dtype != DType::kF32)
      return false;
  return plan.tensor(layer.outputs[0]).dtype == DType::kF32;
}

EngineFilter filterFor(const Plan &plan, const Layer &layer,
                       const BuildOptions &o) {
  return EngineFilter{!o.tf32 && allF32(plan, layer)};
}

/// graphTensor with the layer's name on failure.
StatusOr<GraphTensor> tensorOf(const Plan &plan, const Layer &layer, int64_t id,
                               int64_t uid, const BuildOptions &o) {
  auto g = graphTensor(plan.tensor(id), uid, o.layout);
  if (!g)
    return g.status().withContext(layer.describe());
  return g;
}

/// The convolution of conv2d `layer`, with `chain`'s steps in the same
/// graph when given (graph fusion).
ExecutorOr convGraph(const CudaContext &ctx, const Plan &plan,
                     const Layer &layer, const std::vector<void *> &ptr,
                     const BuildOptions &o, const ConvChain *chain) {
  auto stride = layer.getInts("stride", 2), pad = layer.getInts("pad", 4),
       dilation = layer.getInts("dilation", 2);
  if (!stride || !pad || !dilation)
    return invalidInput(layer.describe() + ": bad convolution attributes");
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  const TensorDesc &wei = plan.tensor(layer.inputs[1]);
  const TensorDesc &dst = plan.tensor(layer.outputs[0]);
  auto exec = std::make_unique<GraphExecutor>();
  auto x = tensorOf(plan, layer, src.id, 1, o),
       w = tensorOf(plan, layer, wei.id, 2, o),
       y = tensorOf(plan, layer, dst.id, 3, o);
  for (const Status *s : {&x.status(), &w.status(), &y.status()})
    if (!s->isOk())
      return *s;
  auto conv = CudnnGraph::convolution(
      ctx.cudnn, ctx.plans, filterFor(plan, layer, o), *x, *w, *y, *stride,
      {(*pad)[0], (*pad)[2]}, {(*pad)[1], (*pad)[3]}, *dilation,
      chain ? chain->steps : std::vector<ChainStep>());
  if (!conv)
    return conv.status();
  auto ws = workspaceFor(**conv);
  if (!ws)
    return ws.status();
  exec->buffers.push_back(*ws);
  std::vector<int64_t> uids = {1, 2, 3};
  std::vector<void *> pointers = {ptr[src.id], ptr[wei.id], ptr[dst.id]};
  if (chain)
    for (size_t i = 0; i < chain->operandIds.size(); ++i) {
      uids.push_back(chain->operandUids[i]);
      pointers.push_back(ptr[chain->operandIds[i]]);
    }
  GOODHART_RETURN_IF_ERROR((*conv)->bind(uids, pointers, (*ws)->data()));
  exec->impl = "conv " + (*conv)->engine() + mathTag(plan, layer, o);
  if (chain)
    exec->impl += " + " + chain->names + " fused (one cuDNN graph)";
  exec->graphs.push_back(std::move(*conv));
  return std::unique_ptr<LayerExecutor>(std::move(exec));
}

/// The convolution, then its bias as an in-place pointwise graph.
ExecutorOr buildConv(const CudaContext &ctx, const Plan &plan,
                     const Layer &layer, const std::vector<void *> &ptr,
                     const BuildOptions &o) {
  ExecutorOr exec = convGraph(ctx, plan, layer, ptr, o, nullptr);
  if (!exec || layer.numPrimaryInputs() < 3)
    return exec;
  const TensorDesc &bias = plan.tensor(layer.inputs[2]);
  const TensorDesc &dst = plan.tensor(layer.outputs[0]);
  if (bias.numElements() != dst.shape[3])
    return unsupported(layer.describe() + ": bias is not per channel");
  auto seq = std::make_unique<SequenceExecutor>(std::move(*exec));
  GOODHART_RETURN_IF_ERROR(appendInPlace(ctx, *seq, plan, layer, ptr, o,
                                         InPlaceOp{CUDNN_POINTWISE_ADD, &bias})
                               .withContext("bias"));
  seq->impl = seq->first->impl + " + bias " + seq->engines.back();
  return std::unique_ptr<LayerExecutor>(std::move(seq));
}

/// y = broadcast(a); y = y MODE b in place: a binary op whose first
/// operand broadcasts and that cannot swap its operands.
StatusOr<std::unique_ptr<LayerExecutor>>
materializedPointwise(const CudaContext &ctx, const Plan &plan,
                      const Layer &layer, const std::vector<void *> &ptr,
                      const BuildOptions &o, cudnnPointwiseMode_t mode) {
  const TensorDesc &a = plan.tensor(layer.inputs[0]);
  const TensorDesc &b = plan.tensor(layer.inputs[1]);
  const TensorDesc &y = plan.tensor(layer.outputs[0]);
  auto copy = buildBroadcast(ctx, a, ptr[a.id], y, ptr[y.id], o);
  if (!copy)
    return copy.status().withContext(layer.describe());
  auto seq = std::make_unique<SequenceExecutor>(std::move(*copy));
  GOODHART_RETURN_IF_ERROR(
      appendInPlace(ctx, *seq, plan, layer, ptr, o, InPlaceOp{mode, &b}));
  seq->impl = seq->first->impl + " of the first operand + pointwise " +
              seq->engines.back() + " in place";
  return std::unique_ptr<LayerExecutor>(std::move(seq));
}

StatusOr<std::unique_ptr<LayerExecutor>>
buildPointwise(const CudaContext &ctx, const Plan &plan, const Layer &layer,
               const std::vector<void *> &ptr, const BuildOptions &o) {
  const std::string op = layer.attrs.value("op", "");
  const bool binary = layer.kind == LayerKind::kBinary;
  std::optional<cudnnPointwiseMode_t> mode =
      binary ? binaryPointwiseMode(op) : unaryPointwiseMode(op);
  if (!mode)
    return unsupported(layer.describe() + ": no cuDNN pointwise mode for '" +
                       op + "'");
  // cuDNN broadcasts B (size-1 dimensions), not X: a commutative op whose
  // first operand broadcasts swaps them; otherwise (sub, div, pow, or both
  // operands broadcast) the first is materialized into the output and the
  // op runs there in place.
  int64_t xId = layer.inputs[0], bId = binary ? layer.inputs[1] : -1;
  const TensorDesc &y = plan.tensor(layer.outputs[0]);
  if (plan.tensor(xId).shape != y.shape) {
    const bool commutative =
        op == "add" || op == "mul" || op == "max" || op == "min";
    if (!binary)
      return invalidInput(layer.describe() + ": a unary op changes the shape");
    if (!commutative || plan.tensor(bId).shape != y.shape)
      return materializedPointwise(ctx, plan, layer, ptr, o, *mode);
    std::swap(xId, bId);
  }
  std::vector<const TensorDesc *> operands = {&plan.tensor(xId), &y};
  if (binary)
    operands.push_back(&plan.tensor(bId));
  auto tensors = pointwiseTensors(operands, {1, 3, 2}, o.layout);
  if (!tensors)
    return tensors.status().withContext(layer.describe());
  const GraphTensor *xg = &(*tensors)[0], *yg = &(*tensors)[1];
  const GraphTensor *bg = binary ? &(*tensors)[2] : nullptr;
  double lo = 0, hi = 0;
  bool clip = op == "clamp";
  if (clip) {
    lo = layer.attrs.value("alpha", 0.0);
    hi = layer.attrs.value("beta", 0.0);
  }
  auto graph = CudnnGraph::pointwise(ctx.cudnn, ctx.plans, EngineFilter{},
                                     *mode, *xg, bg, *yg, lo, hi, clip);
  if (!graph && graph.status().code() == StatusCode::kUnsupported) {
    // No engine for this graph (NCHW on cuDNN 9.19): the descriptor API.
    auto legacy = buildLegacyPointwise(ctx, *mode, plan.tensor(xId), ptr[xId],
                                       binary ? &plan.tensor(bId) : nullptr,
                                       binary ? ptr[bId] : nullptr, y,
                                       ptr[y.id], o, clip, lo, hi);
    if (legacy)
      return legacy;
    // Both refusals; an error of the descriptor API stays an error.
    return Status(legacy.status().code(),
                  graph.status().message() + "; " + legacy.status().message())
        .withContext(layer.describe());
  }
  if (!graph)
    return graph.status().withContext(layer.describe());
  auto exec = std::make_unique<GraphExecutor>();
  auto ws = workspaceFor(**graph);
  if (!ws)
    return ws.status();
  exec->buffers.push_back(*ws);
  std::vector<int64_t> uids = {1, 3};
  std::vector<void *> ptrs = {ptr[xId], ptr[y.id]};
  if (binary) {
    uids.push_back(2);
    ptrs.push_back(ptr[bId]);
  }
  GOODHART_RETURN_IF_ERROR((*graph)->bind(uids, ptrs, (*ws)->data()));
  exec->impl = "pointwise " + (*graph)->engine();
  exec->graphs.push_back(std::move(*graph));
  return std::unique_ptr<LayerExecutor>(std::move(exec));
}

class NormExecutor final : public LayerExecutor {
public:
  Status run() override { return graph->run(); }
  std::unique_ptr<CudnnGraph> graph;
  std::vector<std::shared_ptr<DeviceBuffer>> buffers; // ones, zeros, ws
  // Read by cuDNN from here (a by-value tensor), aligned as the byte
  // alignment its descriptor states.
  alignas(16) float epsilon = 0;
};

/// A device buffer of `n` f32 values all equal to `value`.
StatusOr<std::shared_ptr<DeviceBuffer>> filled(int64_t n, float value) {
  auto b = DeviceBuffer::allocate(n * sizeof(float));
  if (!b)
    return b.status();
  std::vector<float> host(n, value);
  GOODHART_CUDA_CHECK(cudaMemcpy((*b)->data(), host.data(), n * sizeof(float),
                                 cudaMemcpyHostToDevice));
  return b;
}

/// Layer and RMS norm over the last axis: X as [rows, C, 1, 1] (the rows
/// of a packed row-major tensor), scale and shift [1, C, 1, 1]. A missing
/// scale is ones and a missing layer-norm shift zeros, in f32.
StatusOr<std::unique_ptr<LayerExecutor>>
buildNorm(const CudaContext &ctx, const Plan &plan, const Layer &layer,
          const std::vector<void *> &ptr, const BuildOptions &o) {
  const std::string op = layer.attrs.value("op", "");
  if (op != "layer_norm" && op != "rms_norm")
    return unsupported(layer.describe() + ": no cuDNN norm for '" + op + "'");
  auto epsilon = layer.getFloat("epsilon");
  if (!epsilon)
    return epsilon.status();
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  const TensorDesc &dst = plan.tensor(layer.outputs[0]);
  if (deviceStrides(src.shape, o.layout) !=
      deviceStrides(src.shape, DeviceLayout::kNhwc))
    return unsupported(layer.describe() +
                       ": a norm over C of an NCHW-stored tensor");
  const int64_t c = src.shape.back(), rows = src.numElements() / c;
  auto rowsOf = [&](const TensorDesc &t, int64_t uid) {
    return GraphTensor{uid,
                       {rows, c, 1, 1},
                       {c, 1, c, c},
                       toCudnnType(t.dtype).value_or(CUDNN_DATA_FLOAT)};
  };
  auto exec = std::make_unique<NormExecutor>();
  exec->epsilon = static_cast<float>(*epsilon);
  // Scale (uid 2) and shift (uid 3): the layer's, or f32 ones and zeros.
  auto param = [&](size_t input, int64_t uid, float missing,
                   void *&pointer) -> StatusOr<GraphTensor> {
    GraphTensor g{uid, {1, c, 1, 1}, {c, 1, c, c}, CUDNN_DATA_FLOAT};
    if (layer.inputs.size() > input) {
      const TensorDesc &t = plan.tensor(layer.inputs[input]);
      if (t.numElements() != c)
        return unsupported(layer.describe() + ": scale or shift is not [C]");
      g.type = toCudnnType(t.dtype).value_or(CUDNN_DATA_FLOAT);
      pointer = ptr[t.id];
      return g;
    }
    auto b = filled(c, missing);
    if (!b)
      return b.status();
    exec->buffers.push_back(*b);
    pointer = (*b)->data();
    return g;
  };
  void *scalePtr = nullptr, *biasPtr = nullptr;
  auto scale = param(1, 2, 1.0f, scalePtr);
  if (!scale)
    return scale.status();
  const bool hasBias = op == "layer_norm" || layer.inputs.size() > 2;
  StatusOr<GraphTensor> bias = GraphTensor{};
  if (hasBias)
    bias = param(2, 3, 0.0f, biasPtr);
  if (!bias)
    return bias.status();
  GraphTensor eps{4, {1, 1, 1, 1}, {1, 1, 1, 1}, CUDNN_DATA_FLOAT, true};
  auto graph = CudnnGraph::normalization(
      ctx.cudnn, ctx.plans, filterFor(plan, layer, o),
      op == "layer_norm" ? CUDNN_LAYER_NORM : CUDNN_RMS_NORM, rowsOf(src, 1),
      *scale, hasBias ? &*bias : nullptr, eps, rowsOf(dst, 5));
  if (!graph)
    return graph.status().withContext(layer.describe());
  auto ws = workspaceFor(**graph);
  if (!ws)
    return ws.status();
  exec->buffers.push_back(*ws);
  std::vector<int64_t> uids = {1, 2, 4, 5};
  std::vector<void *> ptrs = {ptr[src.id], scalePtr, &exec->epsilon,
                              ptr[dst.id]};
  if (hasBias) {
    uids.push_back(3);
    ptrs.push_back(biasPtr);
  }
  GOODHART_RETURN_IF_ERROR((*graph)->bind(uids, ptrs, (*ws)->data()));
  exec->impl = op + " " + (*graph)->engine() + mathTag(plan, layer, o);
  exec->graph = std::move(*graph);
  return std::unique_ptr<LayerExecutor>(std::move(exec));
}

} // namespace

std::optional<cudnnPointwiseMode_t> unaryPointwiseMode(const std::string &op) {
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
  auto it = kUnary.find(op);
  if (it == kUnary.end())
    return std::nullopt;
  return it->second;
}

std::optional<cudnnPointwiseMode_t> binaryPointwiseMode(const std::string &op) {
  static const std::map<std::string, cudnnPointwiseMode_t> kBinary = {
      {"add", CUDNN_POINTWISE_ADD}, {"sub", CUDNN_POINTWISE_SUB},
      {"mul", CUDNN_POINTWISE_MUL}, {"div", CUDNN_POINTWISE_DIV},
      {"max", CUDNN_POINTWISE_MAX}, {"min", CUDNN_POINTWISE_MIN},
      {"pow", CUDNN_POINTWISE_POW}};
  auto it = kBinary.find(op);
  if (it == kBinary.end())
    return std::nullopt;
  return it->second;
}

std::string mathTag(const Plan &plan, const Layer &layer,
                    const BuildOptions &o) {
  if (!allF32(plan, layer))
    return "";
  return o.tf32 ? " [tf32 allowed]" : " [strict f32]";
}

StatusOr<std::shared_ptr<DeviceBuffer>> workspaceFor(const CudnnGraph &g) {
  return DeviceBuffer::allocate(std::max<size_t>(g.workspaceBytes(), 1));
}

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

ExecutorOr buildFusedConv(const CudaContext &ctx, const Plan &plan,
                          const Layer &layer, const Pointers &ptr,
                          const BuildOptions &o) {
  auto chain = convChain(plan, layer, o.layout);
  if (!chain && chain.status().code() != StatusCode::kUnsupported)
    return chain.status();
  if (chain && chain->steps.empty())
    return convGraph(ctx, plan, layer, ptr, o, nullptr);
  std::string why = chain ? "" : chain.status().message();
  if (chain) {
    ExecutorOr fused = convGraph(ctx, plan, layer, ptr, o, &*chain);
    if (fused || fused.status().code() != StatusCode::kUnsupported)
      return fused;
    why = fused.status().message();
  }
  ExecutorOr eager = buildConv(ctx, plan, layer, ptr, o);
  if (eager)
    eager = withPostOps(ctx, plan, layer, ptr, o, std::move(*eager));
  if (eager)
    (*eager)->impl += " [no graph fusion: " + why + "]";
  return eager;
}

StatusOr<std::unique_ptr<LayerExecutor>>
buildExecutor(const CudaContext &context, const Plan &plan, const Layer &layer,
              const std::vector<void *> &pointers,
              const BuildOptions &options) {
  for (int64_t id : layer.inputs)
    if (!toCudnnType(plan.tensor(id).dtype))
      return unsupported(layer.describe() + ": element type " +
                         std::string(dtypeName(plan.tensor(id).dtype)) +
                         " is not supported by the cuDNN runner");
  // A conv2d, inner_product or matmul layer's post-ops run after it.
  ExecutorOr primary = unsupported("");
  switch (layer.kind) {
  case LayerKind::kConv2d:
    if (options.fuseGraph)
      return buildFusedConv(context, plan, layer, pointers, options);
    primary = buildConv(context, plan, layer, pointers, options);
    break;
  case LayerKind::kInnerProduct:
  case LayerKind::kMatMul:
    if (options.fuseGraph)
      return buildFusedGemm(context, plan, layer, pointers, options);
    primary = layer.kind == LayerKind::kMatMul
                  ? buildMatMul(context, plan, layer, pointers, options)
                  : buildInnerProduct(context, plan, layer, pointers, options);
    break;
  case LayerKind::kEltwise:
  case LayerKind::kBinary:
    return buildPointwise(context, plan, layer, pointers, options);
  case LayerKind::kPool2d:
    return buildPool(context, plan, layer, pointers, options);
  case LayerKind::kSoftmax:
    return buildSoftmax(context, plan, layer, pointers, options);
  case LayerKind::kReduce:
    return buildReduce(context, plan, layer, pointers, options);
  case LayerKind::kTranspose:
  case LayerKind::kSlice:
  case LayerKind::kConcat:
  case LayerKind::kCast:
  case LayerKind::kReshape: // one that moves data: the backend skips views
    return buildCopy(context, plan, layer, pointers, options);
  case LayerKind::kNorm:
    return buildNorm(context, plan, layer, pointers, options);
  default:
    return unsupported(layer.describe() + ": " +
                       std::string(layerKindName(layer.kind)) +
                       " layers are not supported by the cuDNN runner yet");
  }
  if (!primary)
    return primary;
  return withPostOps(context, plan, layer, pointers, options,
                     std::move(*primary));
}

} // namespace goodhart::cuda
