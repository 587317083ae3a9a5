//===- InspectCommand.cpp - goodhart inspect ------------------------------===//
//
// Loads a model, lowers it to a plan and prints one row per layer: kind,
// output shape and type, FLOPs, bytes moved, parameters and arithmetic
// intensity, then the totals. --json prints the same as JSON.
//
//===----------------------------------------------------------------------===//

#include "generator/cli/CliSupport.h"
#include "mlir/PlanLowering.h"

#include <fmt/format.h>

#include <iostream>

namespace goodhart::cli {
namespace {

std::string shapeString(const TensorDesc &t) {
  std::string s;
  for (size_t i = 0; i < t.shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(t.shape[i]);
  return s + "x" + std::string(dtypeName(t.dtype));
}

double intensity(int64_t flops, int64_t bytes) {
  return bytes ? static_cast<double>(flops) / static_cast<double>(bytes) : 0.0;
}

nlohmann::json inspectJson(const Plan &plan) {
  nlohmann::json layers = nlohmann::json::array();
  for (const Layer &l : plan.layers) {
    const TensorDesc &out = plan.tensor(l.outputs.front());
    layers.push_back({{"id", l.id},
                      {"name", l.name},
                      {"kind", layerKindName(l.kind)},
                      {"output_shape", out.shape},
                      {"dtype", dtypeName(out.dtype)},
                      {"flops", l.flops},
                      {"bytes", l.bytes},
                      {"params", l.params},
                      {"intensity", intensity(l.flops, l.bytes)},
                      {"hash", l.hash},
                      {"location", l.location},
                      {"pattern", l.pattern}});
  }
  return {{"model", plan.model},
          {"source", plan.source},
          {"layers", layers},
          {"totals",
           {{"layers", plan.layers.size()},
            {"flops", plan.totalFlops()},
            {"macs", plan.totalFlops() / 2},
            {"bytes", plan.totalBytes()},
            {"params", plan.totalParams()},
            {"intensity", intensity(plan.totalFlops(), plan.totalBytes())}}}};
}

void printTable(const Plan &plan, std::ostream &os) {
  os << fmt::format("model {} ({})\n", plan.model, plan.source);
  os << fmt::format(
      "{:>3}  {:<22} {:<10} {:<22} {:>14} {:>12} {:>11} {:>7}  {}\n", "id",
      "layer", "kind", "output", "FLOPs", "bytes", "params", "FLOP/B",
      "pattern");
  for (const Layer &l : plan.layers)
    os << fmt::format(
        "{:>3}  {:<22} {:<10} {:<22} {:>14L} {:>12L} {:>11L} {:>7.2f}  {}\n",
        l.id, l.name, layerKindName(l.kind),
        shapeString(plan.tensor(l.outputs[0])), l.flops, l.bytes, l.params,
        intensity(l.flops, l.bytes), l.pattern);
  os << fmt::format(
      "total: {} layers, {:L} FLOPs ({:.3f} GMACs), {:L} bytes, {:L} "
      "parameters ({:.3f} M), {:.2f} FLOP/B\n",
      plan.layers.size(), plan.totalFlops(), plan.totalFlops() / 2.0 / 1e9,
      plan.totalBytes(), plan.totalParams(), plan.totalParams() / 1e6,
      intensity(plan.totalFlops(), plan.totalBytes()));
}

} // namespace

int runInspect(const Args &args) {
  po::options_description options("inspect options");
  options.add_options()("model", po::value<std::string>()->required(),
                        "TOSA model (.mlir)")("json", po::bool_switch(),
                                              "print JSON instead of a table")(
      "plan", po::value<std::string>(),
      "also write the model's execution plan to this file (for goodhart run "
      "or a runner)")("fuse-post-ops", po::bool_switch(),
                      "fuse convolutions with their residual add and "
                      "activation, and Linear layers, into layers with "
                      "post-ops (docs/MODELS.md)");
  addLoadOptions(options);
  po::positional_options_description positional;
  positional.add("model", 1);
  po::variables_map vm;
  if (auto code = parseCommandLine(
          "inspect", "MODEL [--json] [--plan FILE] [--fuse-post-ops]", options,
          positional, args, vm))
    return *code;

  const std::string path = vm["model"].as<std::string>();
  std::optional<LoadedModel> model = loadModelForCli(path, readLoadOptions(vm));
  if (!model)
    return kExitFailure;
  LoweringOptions lowering{modelNameFromPath(path), "reference", path};
  if (vm["fuse-post-ops"].as<bool>())
    for (const std::string &pattern : postOpPatterns())
      lowering.fuse.insert(pattern);
  mlir::FailureOr<Plan> plan = lowerToPlan(model->entry, lowering);
  if (mlir::failed(plan))
    return kExitFailure;
  if (vm.count("plan"))
    if (Status status = writePlanFile(*plan, vm["plan"].as<std::string>());
        !status.isOk()) {
      printError("inspect", status.message());
      return kExitFailure;
    }
  if (vm["json"].as<bool>())
    std::cout << inspectJson(*plan).dump(2) << "\n";
  else
    printTable(*plan, std::cout);
  return kExitOk;
}

} // namespace goodhart::cli
