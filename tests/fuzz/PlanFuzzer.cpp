//===- PlanFuzzer.cpp - Fuzz the plan reader ------------------------------===//
//
// Input: a plan file, as a runner's --plan or a generate directory holds it.
// readPlanFile must return a Status for anything it refuses; a plan it
// accepts must survive what its consumers do next (sizes, totals, layer
// signatures) and must round-trip through planToJson unchanged.
//
//===----------------------------------------------------------------------===//

#include "tests/fuzz/FuzzSupport.h"

#include "runners/common/Plan.h"

using namespace goodhart;

namespace {

/// What runners and goodhart compute from a plan right after reading it.
void useAcceptedPlan(const Plan &plan) {
  volatile int64_t sink =
      plan.totalFlops() + plan.totalBytes() + plan.totalParams();
  for (const TensorDesc &t : plan.tensors)
    sink = sink + t.sizeInBytes() + plan.producerOf(t.id) +
           static_cast<int64_t>(plan.consumersOf(t.id).size());
  for (const Layer &layer : plan.layers) {
    if (computeLayerHash(plan, layer).size() != 16)
      fuzz::fail("layer hash is not 16 hex digits", layer.describe());
    for (const auto &[key, value] : layer.attrs.items()) {
      (void)value;
      (void)layer.getInt(key);
      (void)layer.getFloat(key);
      (void)layer.getString(key);
      (void)layer.getInts(key, 2);
    }
  }
  (void)sink;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fuzz::TempFile file(".plan.json");
  const std::string &path = file.write(data, size);
  StatusOr<Plan> plan = readPlanFile(path);
  if (!plan) {
    if (plan.status().message().find(path) == std::string::npos)
      fuzz::fail("plan error does not name the file", plan.status().message());
    return 0;
  }
  useAcceptedPlan(*plan);
  nlohmann::json json = planToJson(*plan);
  StatusOr<Plan> again = planFromJson(json, "round trip");
  if (!again)
    fuzz::fail("a plan that was read does not read back",
               again.status().message());
  if (planToJson(*again) != json)
    fuzz::fail("a plan changes when written and read back");
  return 0;
}
