//===- CudnnReproLines.cpp - Every PyTorch repro line of some plans -------===//
//
// goodhart-cudnn-repro-lines PLAN...: for each layer of each plan, under
// each way the cuDNN runner measures (NHWC, NCHW, TF32, fused), one JSON
// line with the PyTorch repro line a report would carry and the layer's
// output shape and type. tests/e2e/cudnn-repro.test runs the lines against
// a shape-checking stand-in for torch (Inputs/check-torch-lines.py), so a
// line a vendor could not paste is caught without a GPU or PyTorch.
//
//===----------------------------------------------------------------------===//

#include "runners/cudnn/CudnnRepro.h"

#include <nlohmann/json.hpp>

#include <iostream>

using namespace goodhart;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::cerr << "usage: goodhart-cudnn-repro-lines PLAN...\n";
    return 2;
  }
  const std::pair<const char *, cuda::ReproOptions> ways[] = {
      {"nhwc", {false, true, false}},
      {"nchw", {false, false, false}},
      {"tf32", {true, true, false}},
      {"fused", {false, true, true}}};
  for (int i = 1; i < argc; ++i) {
    StatusOr<Plan> plan = readPlanFile(argv[i]);
    if (!plan) {
      std::cerr << argv[i] << ": " << plan.status().toString() << "\n";
      return 1;
    }
    for (const Layer &layer : plan->layers) {
      const TensorDesc &out = plan->tensor(layer.outputs[0]);
      for (const auto &[way, options] : ways) {
        nlohmann::json line = {
            {"plan", argv[i]},
            {"layer", layer.describe()},
            {"way", way},
            {"repro", cuda::pytorchRepro(*plan, layer, options)},
            {"out_shape", out.shape},
            {"out_dtype", std::string(dtypeName(out.dtype))}};
        std::cout << line.dump() << "\n";
      }
    }
  }
  return 0;
}
