//===- CudnnPeak.cpp - The GPU's measured peak GFLOP/s per type -----------===//

#include "runners/cudnn/CudnnPeak.h"

namespace goodhart::cuda {

std::vector<DType> peakDtypes() {
  return {DType::kBF16, DType::kF16, DType::kF32};
}

Plan peakMatmulPlan(DType dtype, int64_t size) {
  Plan plan;
  plan.model = "peak_matmul";
  plan.variant = "reference";
  const std::vector<int64_t> shape = {1, size, size};
  auto tensor = [&](int64_t id, const char *name, TensorRole role) {
    TensorDesc t;
    t.id = id;
    t.name = name;
    t.shape = shape;
    t.dtype = dtype;
    t.role = role;
    return t;
  };
  plan.tensors = {tensor(0, "a", TensorRole::kInput),
                  tensor(1, "b", TensorRole::kInput),
                  tensor(2, "c", TensorRole::kActivation)};
  plan.inputs = {0, 1};
  plan.outputs = {2};
  Layer mm;
  mm.id = 0;
  mm.name = "peak_matmul";
  mm.kind = LayerKind::kMatMul;
  mm.inputs = {0, 1};
  mm.outputs = {2};
  mm.flops = 2 * size * size * size;
  mm.bytes = 3 * plan.tensors[0].sizeInBytes();
  plan.layers = {mm};
  plan.layers[0].hash = computeLayerHash(plan, plan.layers[0]);
  return plan;
}

} // namespace goodhart::cuda
