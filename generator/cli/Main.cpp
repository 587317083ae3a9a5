//===- Main.cpp - The goodhart command line ---------------------*- C++ -*-===//
//
// goodhart SUBCOMMAND [options]; every subcommand has --help.
//
//===----------------------------------------------------------------------===//

#include "generator/cli/Commands.h"

#include "generator/cli/GoodhartVersion.h"

#include <cstring>
#include <iostream>

namespace goodhart::cli {

const std::vector<CommandInfo> &commands() {
  static const std::vector<CommandInfo> kCommands = {
      {"inspect", "load a model and print its layers, FLOPs, bytes, params",
       runInspect},
      {"generate", "write equivalent variants of a model, with their plans",
       runGenerate},
      {"run", "measure plans on a backend into the results database",
       runMeasure},
      {"report", "write reports of a run from the results database", runReport},
      {"campaign", "generate, measure, judge and report in one command",
       runCampaign},
      {"compare", "compare two runs: regressions, cliffs, benchmark-only gains",
       runCompare},
      {"db", "list the runs of the results database, export one or its plans",
       runDb},
      {"ingest", "store runners' batch results files (e.g. from a GPU host)",
       runIngest},
      {"zoo", "list the reference models or export one as TOSA", runZoo},
  };
  return kCommands;
}

namespace {

void printUsage(std::ostream &os) {
  os << "usage: goodhart [--version] [--help] COMMAND [options]\n\n"
        "goodhart mutates reference models into shape-equivalent variants,\n"
        "measures them on vendor backends and flags throughput per FLOP that\n"
        "drops off outside the benchmarked model.\n\ncommands:\n";
  for (const CommandInfo &c : commands())
    os << "  " << c.name << std::string(10 - std::strlen(c.name), ' ')
       << c.summary << "\n";
  os << "\nRun 'goodhart COMMAND --help' for a command's options.\n";
}

void printVersion() {
  std::cout << "goodhart " << GOODHART_VERSION << "\n"
            << "MLIR " << GOODHART_MLIR_VERSION << "\n"
            << "oneDNN " << GOODHART_ONEDNN_VERSION
            << " (goodhart-runner-onednn)\n"
            << "cuDNN runner " << (GOODHART_CUDNN_BUILT ? "built" : "not built")
            << "\n";
}

} // namespace
} // namespace goodhart::cli

int main(int argc, char **argv) {
  using namespace goodhart::cli;
  if (argc < 2) {
    printUsage(std::cerr);
    return kExitUsage;
  }
  std::string first = argv[1];
  if (first == "--version" || first == "version") {
    printVersion();
    return kExitOk;
  }
  if (first == "--help" || first == "-h" || first == "help") {
    printUsage(std::cout);
    return kExitOk;
  }
  for (const CommandInfo &c : commands())
    if (first == c.name)
      return c.run(Args(argv + 2, argv + argc));
  std::cerr << "goodhart: unknown command '" << first << "'\n";
  printUsage(std::cerr);
  return kExitUsage;
}
