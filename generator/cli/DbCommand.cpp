//===- DbCommand.cpp - goodhart db list|export ----------------------------===//
//
// The results database from the command line: list its runs, or export one
// run in a report format (json, csv, markdown, junit) to a file or stdout.
//
//===----------------------------------------------------------------------===//

#include "generator/cli/ReportCli.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>

namespace goodhart::cli {

int runDb(const Args &args) {
  po::options_description options("db options");
  options.add_options()("action", po::value<std::string>()->required(),
                        "list or export")(
      "db", po::value<std::string>()->default_value("goodhart.db"),
      "SQLite results database")("run", po::value<int64_t>(),
                                 "run to export (default: the latest)")(
      "format", po::value<std::string>()->default_value("json"),
      "export format: json, csv, markdown, junit")(
      "out", po::value<std::string>()->default_value("-"),
      "output file (- for standard output)");
  po::positional_options_description positional;
  positional.add("action", 1);
  po::variables_map vm;
  if (auto code = parseCommandLine(
          "db", "list | export [--run ID] [--format json|csv] [--out FILE]",
          options, positional, args, vm))
    return *code;
  auto db = ResultsDb::open(vm["db"].as<std::string>());
  if (!db) {
    printError("db", db.status().message());
    return kExitFailure;
  }
  const std::string action = vm["action"].as<std::string>();
  if (action == "list") {
    auto runs = (*db)->listRuns();
    if (!runs) {
      printError("db", runs.status().message());
      return kExitFailure;
    }
    std::cout << fmt::format("{:>4}  {:<20}  {:<9}  {:<14} {:<8} {:<10} "
                             "{:>8}  {}\n",
                             "run", "started", "status", "model", "backend",
                             "version", "variants", "device");
    for (const RunSummary &r : *runs)
      std::cout << fmt::format("{:>4}  {:<20}  {:<9}  {:<14} {:<8} {:<10} "
                               "{:>8}  {}\n",
                               r.id, r.startedAt, r.status, r.model, r.backend,
                               r.libraryVersion, r.variants, r.device);
    return kExitOk;
  }
  if (action != "export") {
    printError("db", "unknown action '" + action + "' (list, export)");
    return kExitUsage;
  }
  StatusOr<int64_t> runId = vm.count("run")
                                ? StatusOr<int64_t>(vm["run"].as<int64_t>())
                                : (*db)->latestRunId();
  if (!runId) {
    printError("db", runId.status().message());
    return kExitFailure;
  }
  auto data = (*db)->loadRun(*runId);
  if (!data) {
    printError("db", data.status().message());
    return kExitFailure;
  }
  const std::string format = vm["format"].as<std::string>();
  const ReportWriter *writer = nullptr;
  for (const auto &w : reportWriters())
    if (w->name() == format)
      writer = w.get();
  if (!writer) {
    printError("db", "unknown format '" + format + "'");
    return kExitUsage;
  }
  OracleOptions oracle;
  RunVerdict verdict = judgeRun(*data, oracle);
  const std::string out = vm["out"].as<std::string>();
  std::ofstream file;
  if (out != "-")
    file.open(out);
  std::ostream &os = out == "-" ? std::cout : file;
  Status written = writer->write({*data, verdict, oracle}, os);
  if (!written.isOk() || !os) {
    printError("db", out + ": " +
                         (written.isOk() ? "write failed" : written.message()));
    return kExitFailure;
  }
  return kExitOk;
}

} // namespace goodhart::cli
