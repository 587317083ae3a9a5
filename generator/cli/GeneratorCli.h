//===- GeneratorCli.h - Generator options on the command line ---*- C++ -*-===//
#ifndef GOODHART_GENERATOR_CLI_GENERATORCLI_H
#define GOODHART_GENERATOR_CLI_GENERATORCLI_H

#include "generator/VariantGenerator.h"
#include "generator/cli/CliSupport.h"

#include "llvm/Support/FormatVariadic.h"

#include <optional>

namespace goodhart::cli {

/// --strategy, --count, --seed, --flop-tolerance, --param-tolerance.
void addGeneratorOptions(po::options_description &options);
GeneratorOptions readGeneratorOptions(const po::variables_map &vm,
                                      const std::string &modelPath);

/// Generates, printing errors as `command` errors naming the model file.
/// A retype (--dtype) of the reference is recorded in the generation's
/// options as its baseMutations.
std::optional<Generation> generateForCli(const std::string &command,
                                         const LoadedModel &model,
                                         GeneratorOptions options);

} // namespace goodhart::cli

#endif // GOODHART_GENERATOR_CLI_GENERATORCLI_H
