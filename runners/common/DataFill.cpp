//===- DataFill.cpp - Seeded inputs and weights ---------------------------===//

#include "runners/common/DataFill.h"

#include "runners/common/ParallelChunks.h"

#include <algorithm>
#include <cmath>

namespace goodhart {

double seededUniform(uint64_t seed, int64_t tensorId, int64_t index) {
  uint64_t z = seed * 0x9e3779b97f4a7c15ULL ^
               static_cast<uint64_t>(tensorId) * 0xd1b54a32d192ed03ULL ^
               static_cast<uint64_t>(index);
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  // 53 random bits to [0, 1), then to [-1, 1).
  return static_cast<double>(z >> 11) * 0x1.0p-53 * 2.0 - 1.0;
}

int64_t weightFanIn(const Plan &plan, int64_t tensorId) {
  for (const Layer &layer : plan.layers) {
    if (layer.inputs.size() < 2 || layer.inputs[1] != tensorId)
      continue;
    const TensorDesc &w = plan.tensor(tensorId);
    if (layer.kind == LayerKind::kConv2d && w.shape.size() == 4)
      return w.shape[1] * w.shape[2] * w.shape[3];
    if (layer.kind == LayerKind::kMatMul && w.shape.size() == 3)
      return w.shape[1];
  }
  return 1;
}

bool needsPositiveData(const Plan &plan, int64_t tensorId) {
  for (const Layer &layer : plan.layers) {
    if (layer.inputs.empty() || layer.inputs[0] != tensorId)
      continue;
    std::string op = layer.attrs.value("op", "");
    if ((layer.kind == LayerKind::kEltwise &&
         (op == "log" || op == "rsqrt" || op == "reciprocal")) ||
        (layer.kind == LayerKind::kBinary && op == "pow"))
      return true;
  }
  return false;
}

std::vector<float> seededTensorData(const Plan &plan, int64_t tensorId,
                                    uint64_t seed) {
  const TensorDesc &t = plan.tensor(tensorId);
  if (t.value)
    return std::vector<float>(static_cast<size_t>(t.numElements()),
                              static_cast<float>(*t.value));
  double scale = 1.0;
  if (t.role == TensorRole::kWeight)
    scale = 1.0 / std::sqrt(static_cast<double>(weightFanIn(plan, tensorId)));
  // Logarithms, roots, reciprocals and powers read values in [0.5, 1.5).
  double offset = 0;
  if (t.role != TensorRole::kWeight && needsPositiveData(plan, tensorId)) {
    scale = 0.5;
    offset = 1.0;
  }
  std::vector<float> data(static_cast<size_t>(t.numElements()));
  // Each element is a pure function of its index: large tensors (a batch
  // of activations, BERT-large's weights) are filled by several threads
  // with the same result.
  parallelChunks(data.size(), [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i)
      data[i] = static_cast<float>(
          offset +
          scale * seededUniform(seed, tensorId, static_cast<int64_t>(i)));
  });
  return data;
}

} // namespace goodhart
