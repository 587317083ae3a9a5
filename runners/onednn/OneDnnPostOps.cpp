//===- OneDnnPostOps.cpp - Plan post-ops as oneDNN 2.6 attributes ---------===//

#include "runners/onednn/OneDnnPostOps.h"

#include <map>

namespace goodhart::onednn {

using dnnl::algorithm;

std::optional<EltwiseAlg> eltwiseAlg(const nlohmann::json &attrs) {
  std::string op = attrs.value("op", "");
  float alpha = attrs.value("alpha", 0.0f);
  float beta = attrs.value("beta", 0.0f);
  static const std::map<std::string, EltwiseAlg> kSimple = {
      {"relu", {algorithm::eltwise_relu}},
      {"sigmoid", {algorithm::eltwise_logistic}},
      {"tanh", {algorithm::eltwise_tanh}},
      {"exp", {algorithm::eltwise_exp}},
      {"log", {algorithm::eltwise_log}},
      {"abs", {algorithm::eltwise_abs}},
      {"gelu_erf", {algorithm::eltwise_gelu_erf}},
      {"gelu_tanh", {algorithm::eltwise_gelu_tanh}},
      {"silu", {algorithm::eltwise_swish, 1.0f}},
      {"neg", {algorithm::eltwise_linear, -1.0f, 0.0f}},
      {"reciprocal", {algorithm::eltwise_pow, 1.0f, -1.0f}},
      {"rsqrt", {algorithm::eltwise_pow, 1.0f, -0.5f}},
  };
  if (op == "clamp")
    return EltwiseAlg{algorithm::eltwise_clip, alpha, beta};
  auto it = kSimple.find(op);
  if (it == kSimple.end())
    return std::nullopt;
  return it->second;
}

std::optional<algorithm> binaryAlg(const std::string &op) {
  static const std::map<std::string, algorithm> kAlgs = {
      {"add", algorithm::binary_add}, {"sub", algorithm::binary_sub},
      {"mul", algorithm::binary_mul}, {"div", algorithm::binary_div},
      {"max", algorithm::binary_max}, {"min", algorithm::binary_min}};
  auto it = kAlgs.find(op);
  if (it == kAlgs.end())
    return std::nullopt;
  return it->second;
}

std::optional<dnnl::memory::desc> broadcastDesc(const TensorDesc &t,
                                                size_t rank) {
  if (t.shape.size() > rank || !toDnnlType(t.dtype))
    return std::nullopt;
  TensorDesc padded = t;
  padded.shape.insert(padded.shape.begin(), rank - t.shape.size(), 1);
  return plainDesc(padded);
}

StatusOr<PostOpAttr> postOpAttr(const Plan &plan, const Layer &layer,
                                const OperandDesc &operandDesc) {
  auto postOps = layer.postOps();
  if (!postOps)
    return postOps.status();
  auto skip = [&](const std::string &why) {
    return unsupported(layer.describe() + ": " + why);
  };
  PostOpAttr result;
  dnnl::post_ops ops;
  const DType outType = plan.tensor(layer.outputs[0]).dtype;
  for (const PostOp &op : *postOps) {
    switch (op.kind) {
    case PostOp::Kind::kSum:
      if (result.sumInput >= 0)
        return skip("more than one sum post-op");
      result.sumInput = layer.inputs[op.input];
      if (plan.tensor(result.sumInput).dtype != outType)
        return skip("the sum post-op's operand type differs from the "
                    "output's");
      ops.append_sum(1.0f);
      break;
    case PostOp::Kind::kEltwise: {
      std::optional<EltwiseAlg> alg = eltwiseAlg(op.attrs);
      if (!alg)
        return skip("oneDNN 2.6 has no eltwise post-op for '" +
                    op.attrs.value("op", "") + "'");
      ops.append_eltwise(1.0f, alg->alg, alg->alpha, alg->beta);
      break;
    }
    case PostOp::Kind::kBinary: {
      std::optional<algorithm> alg = binaryAlg(op.attrs.value("op", ""));
      const TensorDesc &operand = plan.tensor(layer.inputs[op.input]);
      std::optional<dnnl::memory::desc> desc =
          operandDesc ? operandDesc(operand) : std::nullopt;
      if (!alg || !desc)
        return skip("oneDNN 2.6 cannot apply binary post-op '" +
                    op.attrs.value("op", "") + "' with operand '" +
                    operand.name + "' here");
      // The post-op's position among all of them names its argument.
      const int index = ops.len();
      ops.append_binary(*alg, *desc);
      result.binaryArgs.push_back(
          {DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1, operand.id,
           *desc, std::nullopt, *desc});
      break;
    }
    }
  }
  result.attr.set_post_ops(ops);
  return result;
}

} // namespace goodhart::onednn
