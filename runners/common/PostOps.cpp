//===- PostOps.cpp - Parsing and validation of layer post-ops -------------===//

#include "runners/common/PostOps.h"

#include <algorithm>
#include <array>

namespace goodhart {
namespace {

constexpr std::array<std::string_view, 6> kBinaryOps = {"add", "sub", "mul",
                                                        "div", "max", "min"};

Status entryError(const Layer &layer, size_t index, const std::string &what) {
  return invalidInput(layer.describe() + ": post_ops[" + std::to_string(index) +
                      "]" + what);
}

/// Parses the operand position of a sum or binary entry.
Status readOperand(const Layer &layer, size_t index,
                   const nlohmann::json &entry, PostOp &op) {
  const std::string kind(postOpKindName(op.kind));
  if (!entry.contains("input") || !entry["input"].is_number_integer())
    return entryError(layer, index,
                      ": a " + kind + " needs an integer 'input'");
  op.input = entry["input"].get<int64_t>();
  if (op.input < 0 || op.input >= static_cast<int64_t>(layer.inputs.size()))
    return entryError(layer, index,
                      ": input " + std::to_string(op.input) +
                          " is not one of the layer's " +
                          std::to_string(layer.inputs.size()) + " inputs");
  return Status::ok();
}

/// Whether `operand` broadcasts to `out` under numpy rules (trailing dims
/// aligned, each equal or 1) without adding dimensions.
bool broadcastsTo(const std::vector<int64_t> &operand,
                  const std::vector<int64_t> &out) {
  if (operand.size() > out.size())
    return false;
  const size_t offset = out.size() - operand.size();
  for (size_t d = 0; d < operand.size(); ++d)
    if (operand[d] != 1 && operand[d] != out[offset + d])
      return false;
  return true;
}

} // namespace

std::string_view postOpKindName(PostOp::Kind kind) {
  switch (kind) {
  case PostOp::Kind::kSum:
    return "sum";
  case PostOp::Kind::kEltwise:
    return "eltwise";
  case PostOp::Kind::kBinary:
    return "binary";
  }
  return "?";
}

bool isBinaryPostOpName(std::string_view op) {
  return std::find(kBinaryOps.begin(), kBinaryOps.end(), op) !=
         kBinaryOps.end();
}

bool acceptsPostOps(LayerKind kind) {
  return kind == LayerKind::kConv2d || kind == LayerKind::kInnerProduct ||
         kind == LayerKind::kMatMul;
}

StatusOr<std::vector<PostOp>> Layer::postOps() const {
  std::vector<PostOp> result;
  auto it = attrs.find("post_ops");
  if (it == attrs.end())
    return result;
  if (!it->is_array())
    return invalidInput(describe() + ": attribute 'post_ops' must be an array");
  for (size_t i = 0; i < it->size(); ++i) {
    const nlohmann::json &entry = (*it)[i];
    if (!entry.is_object() || !entry.contains("kind") ||
        !entry["kind"].is_string())
      return entryError(*this, i, " must be an object with a string 'kind'");
    PostOp op;
    std::string kind = entry["kind"].get<std::string>();
    if (kind == "sum") {
      op.kind = PostOp::Kind::kSum;
      GOODHART_RETURN_IF_ERROR(readOperand(*this, i, entry, op));
    } else if (kind == "eltwise") {
      op.kind = PostOp::Kind::kEltwise;
      if (!entry.contains("op") || !entry["op"].is_string())
        return entryError(*this, i, ": an eltwise needs a string 'op'");
      for (const char *key : {"alpha", "beta"})
        if (entry.contains(key) && !entry[key].is_number())
          return entryError(*this, i,
                            ": '" + std::string(key) + "' must be a number");
      op.attrs = entry;
      op.attrs.erase("kind");
    } else if (kind == "binary") {
      op.kind = PostOp::Kind::kBinary;
      if (!entry.contains("op") || !entry["op"].is_string() ||
          !isBinaryPostOpName(entry["op"].get<std::string>()))
        return entryError(*this, i,
                          ": a binary needs 'op' add, sub, mul, div, max or "
                          "min");
      GOODHART_RETURN_IF_ERROR(readOperand(*this, i, entry, op));
      op.attrs = {{"op", entry["op"]}};
    } else {
      return entryError(*this, i,
                        ": unknown kind '" + kind +
                            "' (known: sum, eltwise, binary)");
    }
    result.push_back(std::move(op));
  }
  return result;
}

size_t Layer::numPrimaryInputs() const {
  size_t operands = 0;
  auto it = attrs.find("post_ops");
  if (it != attrs.end() && it->is_array())
    for (const nlohmann::json &entry : *it) {
      if (!entry.is_object())
        continue;
      nlohmann::json kind = entry.value("kind", nlohmann::json());
      operands +=
          kind == nlohmann::json("sum") || kind == nlohmann::json("binary");
    }
  return inputs.size() - std::min(operands, inputs.size());
}

Status validatePostOps(const Plan &plan, const Layer &layer) {
  auto postOps = layer.postOps();
  if (!postOps)
    return postOps.status();
  if (postOps->empty())
    return Status::ok();
  if (!acceptsPostOps(layer.kind))
    return invalidInput(layer.describe() + ": post_ops are not allowed on " +
                        std::string(layerKindName(layer.kind)) + " layers");
  const int64_t numTensors = static_cast<int64_t>(plan.tensors.size());
  size_t nextOperand = layer.numPrimaryInputs();
  for (size_t i = 0; i < postOps->size(); ++i) {
    const PostOp &op = (*postOps)[i];
    if (!postOpHasOperand(op.kind))
      continue;
    if (op.input != static_cast<int64_t>(nextOperand))
      return entryError(layer, i,
                        ".input is " + std::to_string(op.input) +
                            ", expected " + std::to_string(nextOperand) +
                            " (sum and binary operands follow the kind's "
                            "inputs, in post-op order)");
    ++nextOperand;
    int64_t id = layer.inputs[op.input];
    if (id < 0 || id >= numTensors || layer.outputs.empty())
      continue; // reported by the id checks
    int64_t out = layer.outputs.front();
    if (out < 0 || out >= numTensors)
      continue;
    const std::vector<int64_t> &operand = plan.tensors[id].shape;
    const std::vector<int64_t> &result = plan.tensors[out].shape;
    if (op.kind == PostOp::Kind::kSum && operand != result)
      return entryError(layer, i,
                        ": the sum operand's shape differs from the output's");
    if (op.kind == PostOp::Kind::kBinary && !broadcastsTo(operand, result))
      return entryError(layer, i,
                        ": the binary operand's shape does not broadcast to "
                        "the output's");
  }
  return Status::ok();
}

} // namespace goodhart
