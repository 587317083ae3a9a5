//===- ReproLines.cpp - Every repro line a runner would give some plans ---===//
//
// goodhart-repro-lines onednn|cudnn PLAN...: for each layer of each plan,
// one JSON line with the repro line the backend's report would carry (a
// benchdnn problem for oneDNN; for cuDNN a PyTorch line under each way it
// measures: NHWC, NCHW, TF32, fused), the layer and its output. The e2e
// tests run the lines through models of benchdnn and torch
// (tests/e2e/Inputs/check-benchdnn-lines.py, check-torch-lines.py), so a
// line a vendor could not paste, or one that runs another problem, is
// caught without a GPU, PyTorch or benchdnn.
//
//===----------------------------------------------------------------------===//

#include "runners/common/Plan.h"

#ifdef GOODHART_REPRO_CUDNN
#include "runners/cudnn/CudnnRepro.h"
#endif
#ifdef GOODHART_REPRO_ONEDNN
#include "runners/onednn/OneDnnPrimitives.h"
#endif

#include <nlohmann/json.hpp>

#include <functional>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

using namespace goodhart;

namespace {

using LineFn = std::function<std::string(const Plan &, const Layer &)>;

/// The backend's ways of measuring, each with its repro line.
std::vector<std::pair<std::string, LineFn>> waysOf(const std::string &name) {
  std::vector<std::pair<std::string, LineFn>> ways;
#ifdef GOODHART_REPRO_CUDNN
  if (name == "cudnn") {
    const std::pair<const char *, cuda::ReproOptions> options[] = {
        {"nhwc", {false, true, false}},
        {"nchw", {false, false, false}},
        {"tf32", {true, true, false}},
        {"fused", {false, true, true}}};
    for (const auto &[way, o] : options)
      ways.push_back({way, [o](const Plan &p, const Layer &l) {
                        return cuda::pytorchRepro(p, l, o);
                      }});
  }
#endif
#ifdef GOODHART_REPRO_ONEDNN
  if (name == "onednn")
    ways.push_back({"default", onednn::benchdnnLine});
#endif
  return ways;
}

} // namespace

int main(int argc, char **argv) {
  const auto ways = waysOf(argc > 1 ? argv[1] : "");
  if (argc < 3 || ways.empty()) {
    std::cerr << "usage: goodhart-repro-lines onednn|cudnn PLAN... (a "
                 "backend this build has)\n";
    return 2;
  }
  for (int i = 2; i < argc; ++i) {
    StatusOr<Plan> plan = readPlanFile(argv[i]);
    if (!plan) {
      std::cerr << argv[i] << ": " << plan.status().toString() << "\n";
      return 1;
    }
    for (const Layer &layer : plan->layers) {
      const TensorDesc &out = plan->tensor(layer.outputs[0]);
      nlohmann::json inputs = nlohmann::json::array(),
                     inTypes = nlohmann::json::array();
      for (int64_t id : layer.inputs) {
        inputs.push_back(plan->tensor(id).shape);
        inTypes.push_back(std::string(dtypeName(plan->tensor(id).dtype)));
      }
      for (const auto &[way, line] : ways) {
        nlohmann::json record = {
            {"plan", argv[i]},
            {"layer", layer.describe()},
            {"kind", std::string(layerKindName(layer.kind))},
            {"attrs", layer.attrs},
            {"inputs", inputs},
            {"in_dtypes", inTypes},
            {"way", way},
            {"repro", line(*plan, layer)},
            {"out_shape", out.shape},
            {"out_dtype", std::string(dtypeName(out.dtype))}};
        std::cout << record.dump() << "\n";
      }
    }
  }
  return 0;
}
