//===- DbCommand.cpp - goodhart db list|export|plans ----------------------===//
//
// The results database from the command line: list its runs, export one
// run in a report format (json, csv, markdown, junit) to a file or stdout,
// or write one run's plans, as they were measured, to a directory that
// another host measures (a runner's batch mode, scripts/gpu-check.sh,
// `goodhart run DIR`): a campaign found here, re-measured on a GPU there.
//
//===----------------------------------------------------------------------===//

#include "generator/cli/ReportCli.h"

#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

namespace goodhart::cli {
namespace {

/// A variant key as a file name: what is not [A-Za-z0-9._-] becomes '_'.
std::string fileStemOf(const std::string &key) {
  std::string stem = key;
  for (char &c : stem)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' &&
        c != '_')
      c = '_';
  return stem.empty() ? "_" : stem;
}

/// Writes every variant's plan of `data` to DIR/<key>.plan.json and a
/// manifest in `goodhart generate`'s layout (reference, variants: id, plan,
/// mutations) that names the run they come from. Returns the manifest's
/// path.
StatusOr<std::string> writeRunPlans(const RunData &data, const std::string &db,
                                    const std::string &dir) {
  std::error_code ec;
  // Plans already there would be measured with these by whatever takes
  // every *.plan.json of the directory (scripts/gpu-check.sh).
  for (const auto &entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().filename().string().ends_with(".plan.json"))
      return invalidInput(dir + ": already holds plans (" +
                          entry.path().filename().string() +
                          "); give a new directory");
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return Status(StatusCode::kIoError,
                  dir + ": cannot create directory: " + ec.message());
  nlohmann::json manifest = {
      {"format", "goodhart.manifest"},
      {"version", 1},
      {"model", data.run.model},
      {"source", data.run.source},
      {"strategy", data.run.strategy},
      {"seed", data.run.seed},
      {"exported_from",
       {{"db", db},
        {"run", data.run.id},
        {"backend", data.run.backend},
        {"library", data.run.library + " " + data.run.libraryVersion},
        {"device", data.run.device},
        {"options", data.run.options}}},
      {"variants", nlohmann::json::array()}};
  std::set<std::string> files;
  for (const VariantRecord &v : data.variants) {
    const std::string file = fileStemOf(v.key) + ".plan.json";
    if (!files.insert(file).second)
      return invalidInput("variant '" + v.key + "': its file name " + file +
                          " is another variant's");
    GOODHART_RETURN_IF_ERROR(writePlanFile(v.plan, dir + "/" + file));
    nlohmann::json entry = {
        {"id", v.key}, {"plan", file}, {"mutations", v.mutations}};
    if (v.isReference)
      manifest["reference"] = entry;
    else
      manifest["variants"].push_back(entry);
  }
  const std::string path = dir + "/manifest.json";
  std::ofstream out(path);
  out << manifest.dump(1) << "\n";
  if (!out)
    return Status(StatusCode::kIoError, path + ": write failed");
  return path;
}

} // namespace

int runDb(const Args &args) {
  po::options_description options("db options");
  options.add_options()("action", po::value<std::string>()->required(),
                        "list, export or plans")(
      "db", po::value<std::string>()->default_value("goodhart.db"),
      "SQLite results database")("run", po::value<int64_t>(),
                                 "run to export (default: the latest)")(
      "format", po::value<std::string>()->default_value("json"),
      "export format: json, csv, markdown, junit")(
      "out", po::value<std::string>()->default_value("-"),
      "export: output file (- for standard output); plans: directory");
  po::positional_options_description positional;
  positional.add("action", 1);
  po::variables_map vm;
  if (auto code = parseCommandLine(
          "db",
          "list | export [--run ID] [--format json|csv] [--out FILE] | "
          "plans [--run ID] --out DIR",
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
  if (action != "export" && action != "plans") {
    printError("db", "unknown action '" + action + "' (list, export, plans)");
    return kExitUsage;
  }
  const std::string out = vm["out"].as<std::string>();
  if (action == "plans" && out == "-") {
    printError("db", "plans needs --out DIR");
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
  if (action == "plans") {
    auto manifest = writeRunPlans(*data, vm["db"].as<std::string>(), out);
    if (!manifest) {
      printError("db", manifest.status().message());
      return kExitFailure;
    }
    std::cout << data->variants.size() << " plans of run " << *runId << " ("
              << data->run.model << ") written, manifest " << *manifest << "\n";
    return kExitOk;
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
