//===- CudnnFusion.cpp - What a layer's bias and post-ops fuse into -------===//

#include "runners/cudnn/CudnnFusion.h"

#include "runners/common/PostOps.h"
#include "runners/cudnn/CudnnOps.h"

#include <iomanip>
#include <sstream>

namespace goodhart::cuda {
namespace {

constexpr int64_t kFirstOperandUid = 10;

/// The single value of a constant tensor (a splat the plan states).
std::optional<double> constantValue(const TensorDesc &t) { return t.value; }

} // namespace

StatusOr<std::vector<PostOpStep>> postOpSteps(const Plan &plan,
                                              const Layer &layer) {
  auto postOps = layer.postOps();
  if (!postOps)
    return postOps.status();
  std::vector<PostOpStep> steps;
  for (const PostOp &p : *postOps) {
    PostOpStep step{p.kind == PostOp::Kind::kSum
                        ? "sum"
                        : p.attrs.value("op", std::string()),
                    InPlaceOp{CUDNN_POINTWISE_ADD}};
    if (postOpHasOperand(p.kind))
      step.op.operand = &plan.tensor(layer.inputs[p.input]);
    std::optional<cudnnPointwiseMode_t> mode =
        p.kind == PostOp::Kind::kSum      ? CUDNN_POINTWISE_ADD
        : p.kind == PostOp::Kind::kBinary ? binaryPointwiseMode(step.name)
                                          : unaryPointwiseMode(step.name);
    if (!mode)
      return unsupported(layer.describe() + ": post-op " +
                         std::string(postOpKindName(p.kind)) + " '" +
                         step.name + "' has no cuDNN pointwise mode");
    step.op.mode = *mode;
    if (p.kind == PostOp::Kind::kEltwise && step.name == "clamp") {
      step.op.clip = true;
      step.op.lower = p.attrs.value("alpha", 0.0);
      step.op.upper = p.attrs.value("beta", 0.0);
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

StatusOr<ConvChain> convChain(const Plan &plan, const Layer &layer,
                              DeviceLayout layout) {
  ConvChain chain;
  auto add = [&](const std::string &name, const InPlaceOp &op) -> Status {
    ChainStep step;
    step.mode = op.mode;
    step.clip = op.clip;
    step.lowerClip = op.lower;
    step.upperClip = op.upper;
    if (op.operand) {
      const int64_t uid =
          kFirstOperandUid + static_cast<int64_t>(chain.operandIds.size());
      auto g = graphTensor(*op.operand, uid, layout);
      if (!g)
        return g.status().withContext(layer.describe() + ": " + name);
      step.operand = *g;
      chain.operandIds.push_back(op.operand->id);
      chain.operandUids.push_back(uid);
    }
    chain.steps.push_back(std::move(step));
    chain.names += (chain.names.empty() ? "" : ", ") + name;
    return Status::ok();
  };
  if (layer.numPrimaryInputs() >= 3) {
    const TensorDesc &bias = plan.tensor(layer.inputs[2]);
    const TensorDesc &dst = plan.tensor(layer.outputs[0]);
    if (dst.shape.size() != 4 || bias.numElements() != dst.shape[3])
      return unsupported(layer.describe() + ": bias is not per channel");
    GOODHART_RETURN_IF_ERROR(
        add("bias", InPlaceOp{CUDNN_POINTWISE_ADD, &bias}));
  }
  auto steps = postOpSteps(plan, layer);
  if (!steps)
    return steps.status();
  for (const PostOpStep &s : *steps)
    GOODHART_RETURN_IF_ERROR(add(s.name, s.op));
  return chain;
}

StatusOr<GemmFusion> gemmFusion(const Plan &plan, const Layer &layer) {
  GemmFusion f;
  const TensorDesc &dst = plan.tensor(layer.outputs[0]);
  auto postOps = layer.postOps();
  if (!postOps)
    return postOps.status();
  if (layer.kind == LayerKind::kInnerProduct && layer.numPrimaryInputs() >= 3) {
    const TensorDesc &bias = plan.tensor(layer.inputs[2]);
    if (bias.dtype != dst.dtype) {
      f.stopReason = "the bias is " + std::string(dtypeName(bias.dtype)) +
                     ", the output " + std::string(dtypeName(dst.dtype)) +
                     ": no bias epilogue";
      return f;
    }
    f.bias = &bias;
  }
  // cuBLASLt computes act(alpha * A B + beta * C + bias): a scale fuses
  // only before anything is added, a sum only before the activation.
  for (const PostOp &p : *postOps) {
    const std::string op = p.attrs.value("op", std::string());
    const TensorDesc *operand = postOpHasOperand(p.kind)
                                    ? &plan.tensor(layer.inputs[p.input])
                                    : nullptr;
    const bool fullAdd = p.kind == PostOp::Kind::kSum ||
                         (p.kind == PostOp::Kind::kBinary && op == "add" &&
                          operand->shape == dst.shape);
    std::string stop;
    if (p.kind == PostOp::Kind::kBinary && op == "mul") {
      std::optional<double> value = constantValue(*operand);
      if (!value)
        stop = "mul by a tensor that is not one constant value";
      else if (f.bias || f.residual ||
               f.activation != GemmFusion::Activation::kNone || f.alpha != 1)
        stop = "a scale after a sum, bias or activation";
      else
        f.alpha = static_cast<float>(*value);
    } else if (fullAdd) {
      if (operand->dtype != dst.dtype || operand->shape != dst.shape)
        stop = "a sum operand of another type or shape than the output";
      else if (f.residual)
        stop = "a second sum";
      else if (f.activation != GemmFusion::Activation::kNone)
        stop = "a sum after the activation";
      else
        f.residual = operand;
    } else if (p.kind == PostOp::Kind::kEltwise &&
               (op == "relu" || op == "gelu_tanh")) {
      if (f.activation != GemmFusion::Activation::kNone)
        stop = "a second activation";
      else
        f.activation = op == "relu" ? GemmFusion::Activation::kRelu
                                    : GemmFusion::Activation::kGelu;
    } else if (op == "gelu_erf") {
      stop = "gelu_erf (cuBLASLt's GELU epilogue is the tanh approximation)";
    } else {
      stop = "no cuBLASLt epilogue for " +
             (op.empty() ? std::string(postOpKindName(p.kind)) : op);
    }
    if (!stop.empty()) {
      f.stopReason = stop;
      break;
    }
    ++f.postOpsFused;
  }
  return f;
}

std::string GemmFusion::describe() const {
  std::vector<std::string> parts;
  if (alpha != 1) {
    std::ostringstream a;
    a << "alpha " << std::setprecision(6) << alpha;
    parts.push_back(a.str());
  }
  if (residual)
    parts.push_back("residual as C (beta 1)");
  std::string epilogue;
  if (bias)
    epilogue = "bias";
  if (activation != Activation::kNone)
    epilogue += std::string(epilogue.empty() ? "" : " + ") +
                (activation == Activation::kRelu ? "relu" : "gelu (tanh)");
  if (!epilogue.empty())
    parts.push_back(epilogue + " epilogue");
  std::string out;
  for (const std::string &p : parts)
    out += (out.empty() ? "" : ", ") + p;
  return out;
}

} // namespace goodhart::cuda
