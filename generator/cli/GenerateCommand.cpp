//===- GenerateCommand.cpp - goodhart generate ----------------------------===//
//
// Writes the reference and its equivalent variants as .mlir and .plan.json
// files with a manifest, deterministically for a given model, strategy and
// seed.
//
//===----------------------------------------------------------------------===//

#include "generator/cli/CliSupport.h"
#include "generator/cli/GeneratorCli.h"
#include "mlir/Mutations.h"
#include "mlir/zoo/TosaModelBuilder.h"

#include "llvm/ADT/StringExtras.h"

#include <iostream>

namespace goodhart::cli {

void addGeneratorOptions(po::options_description &options) {
  options.add_options()("strategy",
                        po::value<std::string>()->default_value("neighborhood"),
                        "mutation strategy: neighborhood, random or grid")(
      "grid", po::value<std::vector<std::string>>()->composing(),
      "a grid dimension KIND:LAYER=V1,V2,... (repeat for a cartesian "
      "product; --strategy grid tries every point)")(
      "kinds", po::value<std::vector<std::string>>()->composing(),
      "mutation kinds neighborhood and random may propose, comma-separated "
      "(set_channels,set_spatial; default: every kind of the model)")(
      "identity-variants", po::value<int>()->default_value(2),
      "identity variants (renamed, reordered: the control group) added by "
      "neighborhood and random")("count", po::value<int>()->default_value(6),
                                 "variants to generate")(
      "seed", po::value<uint64_t>()->default_value(1),
      "seed of every random choice")(
      "flop-tolerance", po::value<double>()->default_value(0.10),
      "largest allowed |FLOPs ratio - 1| of a variant")(
      "param-tolerance", po::value<double>()->default_value(0.10),
      "largest allowed |parameter ratio - 1| of a variant")(
      "budget", po::value<int>(),
      "variants to measure besides the reference and the identity variants "
      "(overrides --count)")(
      "dtype", po::value<std::string>(),
      "retype the reference (and so every variant) to f32, bf16 or f16 "
      "before generating")(
      "fuse-post-ops", po::bool_switch(),
      "lower convolutions with their residual add and activation, and "
      "Linear layers (matmul by a constant + bias), to one layer each with "
      "post-ops, as oneDNN frameworks run them (docs/MODELS.md)");
}

GeneratorOptions readGeneratorOptions(const po::variables_map &vm,
                                      const std::string &modelPath) {
  GeneratorOptions options;
  options.strategy = vm["strategy"].as<std::string>();
  options.count =
      vm.count("budget") ? vm["budget"].as<int>() : vm["count"].as<int>();
  if (vm.count("dtype"))
    options.dtype = vm["dtype"].as<std::string>();
  options.seed = vm["seed"].as<uint64_t>();
  options.flopTolerance = vm["flop-tolerance"].as<double>();
  options.paramTolerance = vm["param-tolerance"].as<double>();
  options.identityCount = vm["identity-variants"].as<int>();
  if (vm.count("kinds"))
    for (const std::string &list : vm["kinds"].as<std::vector<std::string>>())
      for (llvm::StringRef kind : llvm::split(list, ','))
        if (!kind.trim().empty() &&
            !llvm::is_contained(options.kinds, kind.trim().str()))
          options.kinds.push_back(kind.trim().str());
  if (vm.count("grid"))
    options.grid = vm["grid"].as<std::vector<std::string>>();
  options.fusePostOps = vm["fuse-post-ops"].as<bool>();
  options.modelName = modelNameFromPath(modelPath);
  options.source = modelPath;
  return options;
}

std::optional<Generation> generateForCli(const std::string &command,
                                         const LoadedModel &model,
                                         GeneratorOptions options) {
  if (!options.dtype.empty()) {
    if (options.dtype != "f32" && options.dtype != "bf16" &&
        options.dtype != "f16") {
      printError(command, "--dtype must be f32, bf16 or f16, not '" +
                              options.dtype + "'");
      return std::nullopt;
    }
    DiagnosticPrinter printer(*model.context, model.path, llvm::errs());
    mlir::func::FuncOp entry = model.entry; // a handle: the op is mutable
    bool already = true;
    for (mlir::BlockArgument arg : entry.getArguments())
      already &= llvm::cast<mlir::ShapedType>(arg.getType()).getElementType() ==
                 zooElementType(model.context.get(), options.dtype);
    if (!already) {
      if (mlir::failed(setElementType(entry, "*", options.dtype)))
        return std::nullopt;
      options.baseMutations.push_back(
          MutationSpec::named("set_dtype", "*", options.dtype)->describe());
    }
  }
  StatusOr<Generation> generation =
      generateVariants(*model.module, model.entry, options);
  if (!generation) {
    printError(command, model.path + ": " + generation.status().message());
    return std::nullopt;
  }
  return std::move(generation).value();
}

int runGenerate(const Args &args) {
  po::options_description options("generate options");
  options.add_options()("model", po::value<std::string>()->required(),
                        "TOSA reference model (.mlir)")(
      "out", po::value<std::string>()->required(), "output directory");
  addGeneratorOptions(options);
  addLoadOptions(options);
  po::positional_options_description positional;
  positional.add("model", 1);
  po::variables_map vm;
  if (auto code = parseCommandLine(
          "generate", "MODEL --out DIR [--strategy S] [--count N] [--seed K]",
          options, positional, args, vm))
    return *code;

  const std::string path = vm["model"].as<std::string>();
  std::optional<LoadedModel> model = loadModelForCli(path, readLoadOptions(vm));
  if (!model)
    return kExitFailure;
  std::optional<Generation> generation =
      generateForCli("generate", *model, readGeneratorOptions(vm, path));
  if (!generation)
    return kExitFailure;
  StatusOr<std::string> manifest =
      writeGeneration(*generation, vm["out"].as<std::string>());
  if (!manifest) {
    printError("generate", manifest.status().message());
    return kExitFailure;
  }
  for (const Variant &v : generation->variants) {
    std::cout << v.id << "  ";
    for (const MutationSpec &m : v.mutations)
      std::cout << m.describe() << " ";
    std::cout << llvm::formatv("FLOPs x{0:F3}  params x{1:F3}\n", v.flopRatio,
                               v.paramRatio)
                     .str();
  }
  std::cout << generation->variants.size() << " variants ("
            << generation->rejected.size() << " proposals rejected), manifest "
            << *manifest << "\n";
  return kExitOk;
}

} // namespace goodhart::cli
