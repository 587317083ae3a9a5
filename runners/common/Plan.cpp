//===- Plan.cpp - Plan model, validation and hashing ---------------------===//

#include "runners/common/Plan.h"

#include "runners/common/JsonFields.h"
#include "runners/common/PostOps.h"

#include <array>
#include <cstdio>
#include <sstream>

namespace goodhart {
namespace {

struct DTypeEntry {
  DType type;
  std::string_view name;
  int64_t size;
};
constexpr std::array<DTypeEntry, 9> kDTypes = {{
    {DType::kF32, "f32", 4},
    {DType::kBF16, "bf16", 2},
    {DType::kF16, "f16", 2},
    {DType::kF64, "f64", 8},
    {DType::kI64, "i64", 8},
    {DType::kI32, "i32", 4},
    {DType::kI16, "i16", 2},
    {DType::kI8, "i8", 1},
    {DType::kBool, "bool", 1},
}};

struct KindEntry {
  LayerKind kind;
  std::string_view name;
};
constexpr std::array<KindEntry, 14> kKinds = {{
    {LayerKind::kConv2d, "conv2d"},
    {LayerKind::kMatMul, "matmul"},
    {LayerKind::kPool2d, "pool2d"},
    {LayerKind::kEltwise, "eltwise"},
    {LayerKind::kBinary, "binary"},
    {LayerKind::kReshape, "reshape"},
    {LayerKind::kTranspose, "transpose"},
    {LayerKind::kConcat, "concat"},
    {LayerKind::kReduce, "reduce"},
    {LayerKind::kSoftmax, "softmax"},
    {LayerKind::kCast, "cast"},
    {LayerKind::kSlice, "slice"},
    {LayerKind::kNorm, "norm"},
    {LayerKind::kInnerProduct, "inner_product"},
}};

struct RoleEntry {
  TensorRole role;
  std::string_view name;
};
constexpr std::array<RoleEntry, 3> kRoles = {{
    {TensorRole::kInput, "input"},
    {TensorRole::kWeight, "weight"},
    {TensorRole::kActivation, "activation"},
}};

/// Number of operands (post-op operands not counted) and attributes
/// each kind requires.
struct KindRule {
  size_t minInputs;
  size_t maxInputs;
  std::vector<std::string> attrs;
};

KindRule ruleFor(LayerKind kind) {
  switch (kind) {
  case LayerKind::kConv2d:
    return {2, 3, {"stride", "pad", "dilation", "groups"}};
  case LayerKind::kMatMul:
    return {2, 2, {}};
  case LayerKind::kPool2d:
    return {1, 1, {"algorithm", "kernel", "stride", "pad"}};
  case LayerKind::kEltwise:
    return {1, 1, {"op"}};
  case LayerKind::kBinary:
    return {2, 2, {"op"}};
  case LayerKind::kReshape:
  case LayerKind::kCast:
    return {1, 1, {}};
  case LayerKind::kTranspose:
    return {1, 1, {"perm"}};
  case LayerKind::kConcat:
    return {1, 64, {"axis"}};
  case LayerKind::kReduce:
    return {1, 1, {"op", "axis"}};
  case LayerKind::kSoftmax:
    return {1, 1, {"axis"}};
  case LayerKind::kSlice:
    return {1, 1, {"start"}};
  case LayerKind::kNorm:
    return {1, 3, {"op", "epsilon"}};
  case LayerKind::kInnerProduct:
    return {2, 3, {}};
  }
  return {0, 0, {}};
}

} // namespace

std::string_view dtypeName(DType type) {
  for (const auto &e : kDTypes)
    if (e.type == type)
      return e.name;
  return "?";
}

std::optional<DType> parseDType(std::string_view name) {
  for (const auto &e : kDTypes)
    if (e.name == name)
      return e.type;
  return std::nullopt;
}

int64_t dtypeSize(DType type) {
  for (const auto &e : kDTypes)
    if (e.type == type)
      return e.size;
  return 0;
}

std::string_view tensorRoleName(TensorRole role) {
  for (const auto &e : kRoles)
    if (e.role == role)
      return e.name;
  return "?";
}

std::optional<TensorRole> parseTensorRole(std::string_view name) {
  for (const auto &e : kRoles)
    if (e.name == name)
      return e.role;
  return std::nullopt;
}

std::string_view layerKindName(LayerKind kind) {
  for (const auto &e : kKinds)
    if (e.kind == kind)
      return e.name;
  return "?";
}

std::optional<LayerKind> parseLayerKind(std::string_view name) {
  for (const auto &e : kKinds)
    if (e.name == name)
      return e.kind;
  return std::nullopt;
}

int64_t TensorDesc::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string Layer::describe() const {
  return "layer " + std::to_string(id) + " '" + name + "' (" +
         std::string(layerKindName(kind)) + ")";
}

StatusOr<int64_t> Layer::getInt(const std::string &key) const {
  auto it = attrs.find(key);
  if (it == attrs.end())
    return invalidInput(describe() + ": missing attribute '" + key + "'");
  if (!it->is_number_integer())
    return invalidInput(describe() + ": attribute '" + key +
                        "' must be an integer");
  return it->get<int64_t>();
}

StatusOr<double> Layer::getFloat(const std::string &key) const {
  auto it = attrs.find(key);
  if (it == attrs.end())
    return invalidInput(describe() + ": missing attribute '" + key + "'");
  if (!it->is_number())
    return invalidInput(describe() + ": attribute '" + key +
                        "' must be a number");
  return it->get<double>();
}

StatusOr<std::string> Layer::getString(const std::string &key) const {
  auto it = attrs.find(key);
  if (it == attrs.end())
    return invalidInput(describe() + ": missing attribute '" + key + "'");
  if (!it->is_string())
    return invalidInput(describe() + ": attribute '" + key +
                        "' must be a string");
  return it->get<std::string>();
}

StatusOr<std::vector<int64_t>> Layer::getInts(const std::string &key,
                                              size_t expectedSize) const {
  auto it = attrs.find(key);
  if (it == attrs.end())
    return invalidInput(describe() + ": missing attribute '" + key + "'");
  if (!it->is_array())
    return invalidInput(describe() + ": attribute '" + key +
                        "' must be an array of integers");
  std::vector<int64_t> values;
  for (const auto &v : *it) {
    if (!v.is_number_integer())
      return invalidInput(describe() + ": attribute '" + key +
                          "' must be an array of integers");
    values.push_back(v.get<int64_t>());
  }
  if (expectedSize && values.size() != expectedSize)
    return invalidInput(describe() + ": attribute '" + key + "' must have " +
                        std::to_string(expectedSize) + " elements, has " +
                        std::to_string(values.size()));
  return values;
}

int64_t Plan::producerOf(int64_t tensorId) const {
  for (const Layer &layer : layers)
    for (int64_t out : layer.outputs)
      if (out == tensorId)
        return layer.id;
  return -1;
}

std::vector<int64_t> Plan::consumersOf(int64_t tensorId) const {
  std::vector<int64_t> result;
  for (const Layer &layer : layers)
    for (int64_t in : layer.inputs)
      if (in == tensorId) {
        result.push_back(layer.id);
        break;
      }
  return result;
}

int64_t Plan::totalFlops() const {
  int64_t sum = 0;
  for (const Layer &l : layers)
    sum += l.flops;
  return sum;
}

int64_t Plan::totalBytes() const {
  int64_t sum = 0;
  for (const Layer &l : layers)
    sum += l.bytes;
  return sum;
}

int64_t Plan::totalParams() const {
  // Distinct weight tensors: a weight read by two layers counts once.
  int64_t sum = 0;
  for (const TensorDesc &t : tensors)
    if (t.isParameter())
      sum += t.numElements();
  return sum;
}

namespace {
void appendTensor(std::ostringstream &os, const Plan &plan, int64_t id) {
  if (id < 0 || id >= static_cast<int64_t>(plan.tensors.size())) {
    os << "<bad:" << id << ">";
    return;
  }
  const TensorDesc &t = plan.tensors[id];
  os << dtypeName(t.dtype) << '[';
  for (size_t i = 0; i < t.shape.size(); ++i)
    os << (i ? "x" : "") << t.shape[i];
  os << ']';
}
} // namespace

std::string layerSignature(const Plan &plan, const Layer &layer) {
  std::ostringstream os;
  // nlohmann::json objects keep keys sorted, so dump() is canonical.
  os << layerKindName(layer.kind) << ' ' << layer.attrs.dump() << " in(";
  for (size_t i = 0; i < layer.inputs.size(); ++i) {
    os << (i ? "," : "");
    appendTensor(os, plan, layer.inputs[i]);
  }
  os << ") out(";
  for (size_t i = 0; i < layer.outputs.size(); ++i) {
    os << (i ? "," : "");
    appendTensor(os, plan, layer.outputs[i]);
  }
  os << ')';
  return os.str();
}

std::string fnv1a64Hex(std::string_view bytes) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  char buffer[17];
  std::snprintf(buffer, sizeof(buffer), "%016llx",
                static_cast<unsigned long long>(hash));
  return buffer;
}

std::string computeLayerHash(const Plan &plan, const Layer &layer) {
  return fnv1a64Hex(layerSignature(plan, layer));
}

Status validatePlan(const Plan &plan) {
  const int64_t numTensors = static_cast<int64_t>(plan.tensors.size());
  int64_t allBytes = 0;
  for (int64_t i = 0; i < numTensors; ++i) {
    const TensorDesc &t = plan.tensors[i];
    std::string where = "tensors[" + std::to_string(i) + "] '" + t.name + "'";
    if (t.id != i)
      return fieldError(where, "id is " + std::to_string(t.id) + ", expected " +
                                   std::to_string(i));
    for (int64_t d : t.shape)
      if (d <= 0)
        return fieldError(where, "shape has a non-positive dimension " +
                                     std::to_string(d) +
                                     " (dynamic shapes are not plans)");
    // Sizes and totals (numElements, sizeInBytes, totalParams) are int64.
    int64_t bytes = dtypeSize(t.dtype);
    for (int64_t d : t.shape)
      if (__builtin_mul_overflow(bytes, d, &bytes))
        return fieldError(where, "size in bytes overflows int64");
    if (__builtin_add_overflow(allBytes, bytes, &allBytes))
      return fieldError(where, "total size of the tensors overflows int64");
  }
  std::vector<int> producedBy(numTensors, -1);
  int64_t allFlops = 0, allLayerBytes = 0;
  auto checkId = [&](int64_t id, const Layer &layer,
                     const char *field) -> Status {
    if (id < 0 || id >= numTensors)
      return fieldError(layer.describe(),
                        std::string(field) + " names tensor " +
                            std::to_string(id) + ", out of range");
    return Status::ok();
  };
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    const Layer &layer = plan.layers[i];
    if (layer.id != static_cast<int64_t>(i))
      return fieldError(layer.describe(),
                        "id is out of order, expected " + std::to_string(i));
    if (layer.flops < 0 || layer.bytes < 0 || layer.params < 0)
      return fieldError(layer.describe(), "flops, bytes and params must not "
                                          "be negative");
    if (__builtin_add_overflow(allFlops, layer.flops, &allFlops) ||
        __builtin_add_overflow(allLayerBytes, layer.bytes, &allLayerBytes))
      return fieldError(layer.describe(),
                        "total flops or bytes of the plan overflow int64");
    KindRule rule = ruleFor(layer.kind);
    const size_t primary = layer.numPrimaryInputs();
    if (primary < rule.minInputs || primary > rule.maxInputs)
      return fieldError(layer.describe(),
                        "has " + std::to_string(primary) +
                            " inputs, expected " +
                            std::to_string(rule.minInputs) +
                            (rule.maxInputs != rule.minInputs
                                 ? " to " + std::to_string(rule.maxInputs)
                                 : std::string()));
    if (layer.outputs.size() != 1)
      return fieldError(layer.describe(), "must have exactly one output");
    for (const std::string &attr : rule.attrs)
      if (!layer.attrs.contains(attr))
        return fieldError(layer.describe(), "missing attribute '" + attr + "'");
    GOODHART_RETURN_IF_ERROR(validatePostOps(plan, layer));
    for (int64_t in : layer.inputs) {
      GOODHART_RETURN_IF_ERROR(checkId(in, layer, "inputs"));
      if (plan.tensors[in].role == TensorRole::kActivation &&
          producedBy[in] < 0)
        return fieldError(layer.describe(),
                          "reads tensor " + std::to_string(in) + " '" +
                              plan.tensors[in].name +
                              "' before any layer produces it");
    }
    for (int64_t out : layer.outputs) {
      GOODHART_RETURN_IF_ERROR(checkId(out, layer, "outputs"));
      if (plan.tensors[out].role != TensorRole::kActivation)
        return fieldError(
            layer.describe(),
            "writes tensor " + std::to_string(out) + " whose role is " +
                std::string(tensorRoleName(plan.tensors[out].role)));
      if (producedBy[out] >= 0)
        return fieldError(layer.describe(),
                          "writes tensor " + std::to_string(out) +
                              " already written by layer " +
                              std::to_string(producedBy[out]));
      producedBy[out] = static_cast<int>(i);
    }
  }
  for (int64_t id : plan.inputs)
    if (id < 0 || id >= numTensors ||
        plan.tensors[id].role != TensorRole::kInput)
      return fieldError("inputs", "tensor " + std::to_string(id) +
                                      " is not an input tensor");
  for (int64_t id : plan.outputs)
    if (id < 0 || id >= numTensors || producedBy[id] < 0)
      return fieldError("outputs", "tensor " + std::to_string(id) +
                                       " is not produced by any layer");
  return Status::ok();
}

StatusOr<InnerProductDims> innerProductDims(const Plan &plan,
                                            const Layer &layer) {
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  const TensorDesc &wei = plan.tensor(layer.inputs[1]);
  const TensorDesc &dst = plan.tensor(layer.outputs[0]);
  if (src.shape.size() < 2 || wei.shape.size() < 2 || dst.shape.empty())
    return invalidInput(layer.describe() +
                        ": inner_product needs src and weights of rank 2+");
  InnerProductDims d;
  d.k = src.shape.back();
  d.n = dst.shape.back();
  d.m = d.k > 0 ? src.numElements() / d.k : 0;
  if (wei.shape[wei.shape.size() - 2] != d.k || wei.shape.back() != d.n ||
      wei.numElements() != d.k * d.n || d.m * d.n != dst.numElements())
    return invalidInput(layer.describe() + ": inner_product shapes do not "
                                           "agree ([M,K] x [K,N] -> [M,N])");
  return d;
}

} // namespace goodhart
