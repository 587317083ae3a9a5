//===- CliSupport.cpp - Shared pieces of the goodhart subcommands ---------===//

#include "generator/cli/CliSupport.h"

#include "llvm/Support/raw_ostream.h"

#include <filesystem>
#include <iostream>

namespace goodhart::cli {

std::optional<int>
parseCommandLine(const std::string &command, const std::string &usage,
                 const po::options_description &options,
                 const po::positional_options_description &positional,
                 const Args &args, po::variables_map &vm) {
  po::options_description all(options);
  all.add_options()("help,h", "show this help");
  try {
    po::store(
        po::command_line_parser(args).options(all).positional(positional).run(),
        vm);
    if (vm.count("help")) {
      std::cout << "usage: goodhart " << command << " " << usage << "\n\n"
                << all << "\n";
      return kExitOk;
    }
    po::notify(vm);
  } catch (const po::error &e) {
    printError(command, e.what());
    std::cerr << "usage: goodhart " << command << " " << usage
              << "\n(see goodhart " << command << " --help)\n";
    return kExitUsage;
  }
  return std::nullopt;
}

void printError(const std::string &command, const std::string &message) {
  std::cerr << "goodhart " << command << ": error: " << message << "\n";
}

std::string modelNameFromPath(const std::string &path) {
  return std::filesystem::path(path).stem().string();
}

void addLoadOptions(po::options_description &options) {
  options.add_options()("entry", po::value<std::string>()->default_value(""),
                        "entry function (default: the only public function)")(
      "max-tensor-bytes", po::value<int64_t>()->default_value(int64_t(8) << 30),
      "refuse models with a tensor larger than this");
}

LoadOptions readLoadOptions(const po::variables_map &vm) {
  LoadOptions options;
  options.entry = vm["entry"].as<std::string>();
  options.maxTensorBytes = vm["max-tensor-bytes"].as<int64_t>();
  return options;
}

std::string commandLineString(const std::string &command, const Args &args) {
  std::string line = "goodhart " + command;
  for (const std::string &arg : args) {
    bool quote = arg.find_first_of(" \t'\"$\\") != std::string::npos;
    line += " ";
    if (!quote) {
      line += arg;
      continue;
    }
    line += "'";
    for (char c : arg)
      line += c == '\'' ? std::string("'\\''") : std::string(1, c);
    line += "'";
  }
  return line;
}

} // namespace goodhart::cli

namespace goodhart::cli {

std::optional<LoadedModel> loadModelForCli(const std::string &path,
                                           const LoadOptions &options) {
  LoadedModel model;
  mlir::DialectRegistry registry;
  registerGoodhartDialects(registry);
  model.context = std::make_unique<mlir::MLIRContext>(registry);
  model.context->loadAllAvailableDialects();
  // Messages name the file, the op and its location; a dump of the whole
  // module after each would bury them.
  model.context->printOpOnDiagnostic(false);
  model.path = path;
  DiagnosticPrinter printer(*model.context, path, llvm::errs());
  mlir::FailureOr<mlir::func::FuncOp> entry =
      loadModel(*model.context, path, options, model.module);
  if (mlir::failed(entry))
    return std::nullopt;
  model.entry = *entry;
  return model;
}

} // namespace goodhart::cli
