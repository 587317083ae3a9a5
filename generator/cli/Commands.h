//===- Commands.h - The goodhart subcommands --------------------*- C++ -*-===//
//
// Each subcommand parses its own arguments (Boost.Program_options) into one
// options struct and returns a process exit code:
//   0  success
//   1  the job failed (bad model, unreadable file, runner unavailable, ...)
//   2  usage error (unknown option, missing argument)
// Commands that judge (campaign, compare) document further codes.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_GENERATOR_CLI_COMMANDS_H
#define GOODHART_GENERATOR_CLI_COMMANDS_H

#include <string>
#include <vector>

namespace goodhart::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

using Args = std::vector<std::string>;

int runInspect(const Args &args);
int runGenerate(const Args &args);
int runMeasure(const Args &args); // "goodhart run"
int runReport(const Args &args);
int runCampaign(const Args &args);
int runZoo(const Args &args);
int runIngest(const Args &args);
int runDb(const Args &args);
int runCompare(const Args &args);

struct CommandInfo {
  const char *name;
  const char *summary;
  int (*run)(const Args &);
};

/// Every subcommand, registered in one place (Main.cpp).
const std::vector<CommandInfo> &commands();

} // namespace goodhart::cli

#endif // GOODHART_GENERATOR_CLI_COMMANDS_H
