//===- ZooCommand.cpp - goodhart zoo list|export --------------------------===//
//
// The reference models are C++ builders (mlir/zoo); `zoo export` writes one
// as TOSA at the size asked for, with its provenance header.
//
//===----------------------------------------------------------------------===//

#include "generator/cli/CliSupport.h"
#include "mlir/zoo/ModelZoo.h"

#include <fstream>
#include <iostream>

namespace goodhart::cli {

int runZoo(const Args &args) {
  po::options_description options("zoo options");
  options.add_options()("action", po::value<std::string>()->required(),
                        "list or export")(
      "name", po::value<std::string>()->default_value(""), "model to export")(
      "batch", po::value<int64_t>()->default_value(1),
      "batch size")("resolution", po::value<int64_t>()->default_value(224),
                    "input height and width (image models)")(
      "seq", po::value<int64_t>()->default_value(0),
      "sequence length (transformer models; 0: the model's default)")(
      "hidden", po::value<int64_t>()->default_value(0),
      "hidden size (transformer models: heads kept, head dimension hidden / "
      "heads; 0: the model's default)")(
      "dtype", po::value<std::string>()->default_value("f32"),
      "element type: f32, bf16, f16")(
      "out", po::value<std::string>()->default_value("-"),
      "output file (- for standard output)");
  po::positional_options_description positional;
  positional.add("action", 1).add("name", 1);
  po::variables_map vm;
  if (auto code = parseCommandLine(
          "zoo",
          "list | export NAME [--batch N] [--resolution R] [--seq S] "
          "[--hidden H] [--out F]",
          options, positional, args, vm))
    return *code;
  const std::string action = vm["action"].as<std::string>();
  if (action == "list") {
    for (const ZooModel &m : zooModels())
      std::cout << m.name << "  " << m.summary << "\n";
    return kExitOk;
  }
  if (action != "export") {
    printError("zoo", "unknown action '" + action + "' (list, export)");
    return kExitUsage;
  }
  const std::string name = vm["name"].as<std::string>();
  const ZooModel *model = findZooModel(name);
  if (!model) {
    std::string known;
    for (const ZooModel &m : zooModels())
      known += (known.empty() ? "" : ", ") + m.name;
    printError("zoo", "unknown model '" + name + "' (known: " + known + ")");
    return kExitFailure;
  }
  ZooOptions zoo;
  zoo.batch = vm["batch"].as<int64_t>();
  zoo.resolution = vm["resolution"].as<int64_t>();
  zoo.dtype = vm["dtype"].as<std::string>();
  zoo.seq = vm["seq"].as<int64_t>();
  zoo.hidden = vm["hidden"].as<int64_t>();
  if (zoo.hidden != 0 && !model->defaultSeq) {
    printError("zoo",
               "--hidden applies to transformer models, not '" + name + "'");
    return kExitUsage;
  }
  if (zoo.batch < 1 || zoo.resolution < 32 || zoo.seq < 0 || zoo.hidden < 0 ||
      (zoo.dtype != "f32" && zoo.dtype != "bf16" && zoo.dtype != "f16")) {
    printError("zoo", "need --batch >= 1, --resolution >= 32, --seq >= 0, "
                      "--hidden >= 0 and "
                      "--dtype f32, bf16 or f16");
    return kExitUsage;
  }
  mlir::DialectRegistry registry;
  registerGoodhartDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  DiagnosticPrinter printer(context, name, llvm::errs());
  mlir::OwningOpRef<mlir::ModuleOp> module =
      buildZooModel(context, *model, zoo);
  if (!module)
    return kExitFailure;
  std::string text = exportZooModel(*module, *model, zoo);
  const std::string out = vm["out"].as<std::string>();
  if (out == "-") {
    std::cout << text;
    return kExitOk;
  }
  std::ofstream file(out);
  file << text;
  if (!file) {
    printError("zoo", out + ": cannot write");
    return kExitFailure;
  }
  std::cout << "wrote " << out << "\n";
  return kExitOk;
}

} // namespace goodhart::cli
