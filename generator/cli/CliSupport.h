//===- CliSupport.h - Shared pieces of the goodhart subcommands -*- C++ -*-===//
#ifndef GOODHART_GENERATOR_CLI_CLISUPPORT_H
#define GOODHART_GENERATOR_CLI_CLISUPPORT_H

#include "generator/cli/Commands.h"
#include "mlir/ModelLoader.h"

#include "mlir/IR/MLIRContext.h"

#include <boost/program_options.hpp>

#include <memory>
#include <optional>
#include <string>

namespace goodhart::cli {

namespace po = boost::program_options;

/// Parses `args` against `options` (+ positionals). Handles --help. Returns
/// an exit code when the command should stop (help shown: 0, error: 2).
std::optional<int>
parseCommandLine(const std::string &command, const std::string &usage,
                 const po::options_description &options,
                 const po::positional_options_description &positional,
                 const Args &args, po::variables_map &vm);

/// Prints "goodhart COMMAND: error: MESSAGE" to stderr.
void printError(const std::string &command, const std::string &message);

/// A loaded model: the context owns the module, the module owns the entry.
struct LoadedModel {
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::func::FuncOp entry;
  std::string path;
};

/// Loads and checks `path`, printing MLIR diagnostics (file, line, op) to
/// stderr. Returns nullopt on failure.
std::optional<LoadedModel> loadModelForCli(const std::string &path,
                                           const LoadOptions &options);

/// "smallcnn" for "corpus/smallcnn.mlir".
std::string modelNameFromPath(const std::string &path);

/// Adds --entry and --max-tensor-bytes; reads them back.
void addLoadOptions(po::options_description &options);
LoadOptions readLoadOptions(const po::variables_map &vm);

/// The command line that invoked goodhart, for reproducers.
std::string commandLineString(const std::string &command, const Args &args);

} // namespace goodhart::cli

#endif // GOODHART_GENERATOR_CLI_CLISUPPORT_H
