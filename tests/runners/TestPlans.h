//===- TestPlans.h - Small plans built in code for runner tests -*- C++ -*-===//
#ifndef GOODHART_TESTS_RUNNERS_TESTPLANS_H
#define GOODHART_TESTS_RUNNERS_TESTPLANS_H

#include "runners/common/Plan.h"
#include "runners/common/Protocol.h"

namespace goodhart::testing {

inline TensorDesc tensor(int64_t id, std::vector<int64_t> shape,
                         TensorRole role, const std::string &name = "") {
  return {id,
          name.empty() ? "t" + std::to_string(id) : name,
          std::move(shape),
          DType::kF32,
          role,
          std::nullopt};
}

/// A layer reading `in`, writing `out`.
inline Layer makeLayer(int64_t id, const std::string &name, LayerKind kind,
                       std::vector<int64_t> in, int64_t out,
                       nlohmann::json attrs) {
  Layer l;
  l.id = id;
  l.name = name;
  l.kind = kind;
  l.inputs = std::move(in);
  l.outputs = {out};
  l.attrs = std::move(attrs);
  return l;
}

/// conv 3x3 (8 -> 16 channels, pad 1) -> relu -> maxpool 2x2 -> add of the
/// pool with itself -> reshape -> matmul 16*4*4 -> 10.
inline Plan smallPlan() {
  Plan p;
  p.model = "tiny";
  p.variant = "reference";
  p.tensors = {
      tensor(0, {1, 8, 8, 8}, TensorRole::kInput, "x"),
      tensor(1, {16, 3, 3, 8}, TensorRole::kWeight, "w"),
      tensor(2, {16}, TensorRole::kWeight, "b"),
      tensor(3, {1, 8, 8, 16}, TensorRole::kActivation, "conv"),
      tensor(4, {1, 8, 8, 16}, TensorRole::kActivation, "relu"),
      tensor(5, {1, 4, 4, 16}, TensorRole::kActivation, "pool"),
      tensor(6, {1, 4, 4, 16}, TensorRole::kActivation, "add"),
      tensor(7, {1, 1, 256}, TensorRole::kActivation, "flat"),
      tensor(8, {1, 256, 10}, TensorRole::kWeight, "fc_w"),
      tensor(9, {1, 1, 10}, TensorRole::kActivation, "fc"),
  };
  auto layer = makeLayer;
  p.layers = {
      layer(0, "conv", LayerKind::kConv2d, {0, 1, 2}, 3,
            {{"stride", {1, 1}},
             {"pad", {1, 1, 1, 1}},
             {"dilation", {1, 1}},
             {"groups", 1}}),
      layer(1, "relu", LayerKind::kEltwise, {3}, 4, {{"op", "relu"}}),
      layer(2, "pool", LayerKind::kPool2d, {4}, 5,
            {{"algorithm", "max"},
             {"kernel", {2, 2}},
             {"stride", {2, 2}},
             {"pad", {0, 0, 0, 0}}}),
      layer(3, "add", LayerKind::kBinary, {5, 5}, 6, {{"op", "add"}}),
      layer(4, "flat", LayerKind::kReshape, {6}, 7, nlohmann::json::object()),
      layer(5, "fc", LayerKind::kMatMul, {7, 8}, 9, nlohmann::json::object()),
  };
  p.layers[0].flops = 2 * 16 * 8 * 8 * 8 * 9;
  p.layers[5].flops = 2 * 256 * 10;
  p.inputs = {0};
  p.outputs = {9};
  for (Layer &l : p.layers)
    l.hash = computeLayerHash(p, l);
  return p;
}

/// relu(x) -> a; conv 3x3 of x (8 -> 8 channels, pad 1, bias) with post-ops
/// sum(a) and relu -> y. `sumOfInput`: the sum reads x instead of a, which
/// the conv also reads as its source.
inline Plan convPostOpPlan(bool sumOfInput = false) {
  Plan p;
  p.model = "postops";
  p.variant = "reference";
  p.tensors = {
      tensor(0, {1, 8, 8, 8}, TensorRole::kInput, "x"),
      tensor(1, {1, 8, 8, 8}, TensorRole::kActivation, "a"),
      tensor(2, {8, 3, 3, 8}, TensorRole::kWeight, "w"),
      tensor(3, {8}, TensorRole::kWeight, "b"),
      tensor(4, {1, 8, 8, 8}, TensorRole::kActivation, "conv"),
  };
  Layer relu;
  relu.id = 0;
  relu.name = "relu";
  relu.kind = LayerKind::kEltwise;
  relu.inputs = {0};
  relu.outputs = {1};
  relu.attrs = {{"op", "relu"}};
  Layer conv;
  conv.id = 1;
  conv.name = "conv";
  conv.kind = LayerKind::kConv2d;
  conv.inputs = {0, 2, 3, sumOfInput ? 0 : 1};
  conv.outputs = {4};
  conv.attrs = {{"stride", {1, 1}},
                {"pad", {1, 1, 1, 1}},
                {"dilation", {1, 1}},
                {"groups", 1},
                {"post_ops", nlohmann::json::parse(R"([{"kind":"sum","input":3},
                                {"kind":"eltwise","op":"relu"}])")}};
  conv.flops = 2 * 8 * 8 * 8 * 8 * 9;
  p.layers = {relu, conv};
  p.inputs = {0};
  p.outputs = {4};
  for (Layer &l : p.layers)
    l.hash = computeLayerHash(p, l);
  return p;
}

/// A one-layer plan: the layer (named "l") reads every tensor but the last,
/// which it writes.
inline Plan oneLayerPlan(std::vector<TensorDesc> tensors, LayerKind kind,
                         nlohmann::json attrs) {
  Plan p;
  p.model = "m";
  p.variant = "reference";
  p.tensors = std::move(tensors);
  std::vector<int64_t> in;
  for (size_t i = 0; i + 1 < p.tensors.size(); ++i)
    in.push_back(static_cast<int64_t>(i));
  p.layers = {makeLayer(0, "l", kind, in,
                        static_cast<int64_t>(p.tensors.size()) - 1,
                        std::move(attrs))};
  p.inputs = {0};
  p.outputs = {p.layers[0].outputs[0]};
  return p;
}

/// A Linear layer: x [1,M,K] by weights [1,K,N] plus bias [1,1,N], with
/// post-ops sum(r) (an input [1,M,N]) and tanh.
inline Plan innerProductPlan(int64_t m = 4, int64_t k = 16, int64_t n = 8) {
  Plan p;
  p.model = "linear";
  p.variant = "reference";
  p.tensors = {
      tensor(0, {1, m, k}, TensorRole::kInput, "x"),
      tensor(1, {1, k, n}, TensorRole::kWeight, "w"),
      tensor(2, {1, 1, n}, TensorRole::kWeight, "b"),
      tensor(3, {1, m, n}, TensorRole::kInput, "r"),
      tensor(4, {1, m, n}, TensorRole::kActivation, "fc"),
  };
  Layer fc;
  fc.id = 0;
  fc.name = "fc";
  fc.kind = LayerKind::kInnerProduct;
  fc.inputs = {0, 1, 2, 3};
  fc.outputs = {4};
  fc.attrs = {{"post_ops", nlohmann::json::parse(R"([{"kind":"sum","input":3},
                             {"kind":"eltwise","op":"tanh"}])")}};
  fc.flops = 2 * m * k * n;
  p.layers = {fc};
  p.inputs = {0, 3};
  p.outputs = {4};
  fc.hash = computeLayerHash(p, p.layers[0]);
  p.layers[0].hash = fc.hash;
  return p;
}

/// A batched matmul a [B,M,K] x b [B,K,N] -> [B,M,N] with `postOps`; each
/// of `operands` (shape, and a value for a one-element constant) becomes a
/// tensor read after a and b, in order: inputs, a valued one a weight.
struct Operand {
  std::vector<int64_t> shape;
  std::optional<double> value = std::nullopt;
};
inline Plan matmulPostOpPlan(nlohmann::json postOps,
                             const std::vector<Operand> &operands,
                             int64_t batch = 2, int64_t m = 4, int64_t k = 16,
                             int64_t n = 8) {
  Plan p;
  p.model = "matmul_post_ops";
  p.variant = "reference";
  p.tensors = {tensor(0, {batch, m, k}, TensorRole::kInput, "a"),
               tensor(1, {batch, k, n}, TensorRole::kInput, "b")};
  p.inputs = {0, 1};
  Layer mm;
  mm.id = 0;
  mm.name = "mm";
  mm.kind = LayerKind::kMatMul;
  mm.inputs = {0, 1};
  for (const Operand &o : operands) {
    int64_t id = static_cast<int64_t>(p.tensors.size());
    TensorDesc t =
        tensor(id, o.shape, o.value ? TensorRole::kWeight : TensorRole::kInput,
               "operand" + std::to_string(id));
    t.value = o.value;
    p.tensors.push_back(t);
    if (!o.value)
      p.inputs.push_back(id);
    mm.inputs.push_back(id);
  }
  int64_t out = static_cast<int64_t>(p.tensors.size());
  p.tensors.push_back(
      tensor(out, {batch, m, n}, TensorRole::kActivation, "mm"));
  mm.outputs = {out};
  mm.attrs = {{"post_ops", std::move(postOps)}};
  mm.flops = 2 * batch * m * k * n;
  p.layers = {mm};
  p.outputs = {out};
  p.layers[0].hash = computeLayerHash(p, p.layers[0]);
  return p;
}

/// Options whose sample count does not depend on machine speed or load: the
/// time limit is far away and any spread converges, so exactly min_samples
/// are taken.
inline MeasureOptions deterministicOptions(int64_t samples = 3) {
  MeasureOptions o;
  o.warmupMs = 0;
  o.minTimeMs = 0;
  o.maxTimeMs = 600000;
  o.targetRsd = 1e9;
  o.minSamples = samples;
  o.measurePeak = false;
  return o;
}

} // namespace goodhart::testing

#endif // GOODHART_TESTS_RUNNERS_TESTPLANS_H
