//===- CudnnPostOps.cpp - A layer's post-ops after it, on cuDNN -----------===//
//
// The post-ops of a conv2d, inner_product or matmul layer (runners/common/
// PostOps.h: sum, eltwise, binary, in order) run here as in-place pointwise
// graphs on the layer's output after its own kernel, as PyTorch's eager
// mode runs them: conv, then add, then relu (through the descriptor API
// where cuDNN has no graph engine). They are timed with the
// layer, and the implementation string lists them as separate kernels, so
// a report never passes an unfused sequence off as a fused one. With the
// measurement option fusion "graph" they fuse where the library can
// (CudnnFusion.h); what does not fuse still runs here.
//
//===----------------------------------------------------------------------===//

#include "runners/cudnn/CudnnOps.h"

namespace goodhart::cuda {

Status SequenceExecutor::run() {
  GOODHART_RETURN_IF_ERROR(first->run());
  for (size_t i = 0; i < then.size(); ++i)
    GOODHART_RETURN_IF_ERROR(then[i] ? then[i]->run() : legacy[i]->run());
  return Status::ok();
}

Status appendInPlace(const CudaContext &ctx, SequenceExecutor &seq,
                     const Plan &plan, const Layer &layer, const Pointers &ptr,
                     const BuildOptions &o, const InPlaceOp &op) {
  const TensorDesc &dst = plan.tensor(layer.outputs[0]);
  std::vector<const TensorDesc *> operands = {&dst, &dst};
  if (op.operand)
    operands.push_back(op.operand);
  auto tensors = pointwiseTensors(operands, {1, 3, 2}, o.layout);
  if (!tensors)
    return tensors.status().withContext(layer.describe());
  auto graph = CudnnGraph::pointwise(
      ctx.cudnn, ctx.plans, EngineFilter{}, op.mode, (*tensors)[0],
      op.operand ? &(*tensors)[2] : nullptr, (*tensors)[1], op.lower, op.upper,
      op.clip);
  if (!graph && graph.status().code() == StatusCode::kUnsupported) {
    // No engine for this graph (NCHW on cuDNN 9.19): the descriptor API.
    auto legacy =
        buildLegacyPointwise(ctx, op.mode, dst, ptr[dst.id], op.operand,
                             op.operand ? ptr[op.operand->id] : nullptr, dst,
                             ptr[dst.id], o, op.clip, op.lower, op.upper);
    if (!legacy)
      return Status(legacy.status().code(),
                    graph.status().message() + "; " + legacy.status().message())
          .withContext(layer.describe());
    seq.engines.push_back((*legacy)->impl);
    seq.then.push_back(nullptr);
    seq.legacy.push_back(std::move(*legacy));
    return Status::ok();
  }
  if (!graph)
    return graph.status().withContext(layer.describe());
  auto ws = workspaceFor(**graph);
  if (!ws)
    return ws.status();
  seq.buffers.push_back(*ws);
  std::vector<int64_t> uids = {1, 3};
  std::vector<void *> pointers = {ptr[dst.id], ptr[dst.id]};
  if (op.operand) {
    uids.push_back(2);
    pointers.push_back(ptr[op.operand->id]);
  }
  GOODHART_RETURN_IF_ERROR((*graph)->bind(uids, pointers, (*ws)->data()));
  seq.engines.push_back((*graph)->engine());
  seq.then.push_back(std::move(*graph));
  seq.legacy.push_back(nullptr);
  return Status::ok();
}

ExecutorOr withPostOps(const CudaContext &ctx, const Plan &plan,
                       const Layer &layer, const Pointers &ptr,
                       const BuildOptions &o,
                       std::unique_ptr<LayerExecutor> primary,
                       size_t firstPostOp) {
  auto steps = postOpSteps(plan, layer);
  if (!steps)
    return steps.status();
  if (steps->size() <= firstPostOp)
    return primary;
  auto seq = std::make_unique<SequenceExecutor>(std::move(primary));
  std::string names;
  for (size_t i = firstPostOp; i < steps->size(); ++i) {
    const PostOpStep &step = (*steps)[i];
    GOODHART_RETURN_IF_ERROR(
        appendInPlace(ctx, *seq, plan, layer, ptr, o, step.op)
            .withContext("post-op " + step.name));
    names += (names.empty() ? "" : ", ") + step.name;
  }
  seq->impl = seq->first->impl + " + post-ops " + names +
              " (in-place pointwise kernels after it)";
  return std::unique_ptr<LayerExecutor>(std::move(seq));
}

} // namespace goodhart::cuda
