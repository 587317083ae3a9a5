//===- CompareCommand.cpp - goodhart compare ------------------------------===//
//
// The nightly comparison of two runs of the results database (two library or
// driver releases, or two machines). Exit codes:
//   0  clean: no regression, no new finding, no benchmark-only improvement
//   1  a regression, a new finding or a benchmark-only improvement
//   2  an error: usage, database, unknown run, nothing to compare
// RUN is a run id, `latest`, or `latest~N` (the N-th run before the latest).
//
//===----------------------------------------------------------------------===//

#include "generator/cli/Confirmation.h"
#include "generator/cli/ReportCli.h"
#include "oracle/RunComparison.h"
#include "reports/ComparisonReport.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace goodhart::cli {
namespace {

constexpr int kExitRegression = 1;
constexpr int kExitError = 2;

/// The run id `spec` names in `db`: a number, latest or latest~N.
StatusOr<int64_t> resolveRun(ResultsDb &db, const std::string &role,
                             const std::string &spec) {
  const std::string where = " (--" + role + ", database " + db.path() + ")";
  if (spec.rfind("latest", 0) == 0) {
    int64_t back = 0;
    if (spec.size() > 6) {
      if (spec[6] != '~')
        return invalidInput("bad run '" + spec + "'" + where);
      try {
        back = std::stoll(spec.substr(7));
      } catch (const std::exception &) {
        return invalidInput("bad run '" + spec + "'" + where);
      }
    }
    auto runs = db.listRuns();
    if (!runs)
      return runs.status();
    if (back < 0 || back >= static_cast<int64_t>(runs->size()))
      return invalidInput("no run '" + spec + "': the database has " +
                          std::to_string(runs->size()) + " runs" + where);
    return (*runs)[runs->size() - 1 - static_cast<size_t>(back)].id;
  }
  size_t used = 0;
  int64_t id = 0;
  try {
    id = std::stoll(spec, &used);
  } catch (const std::exception &) {
    used = 0;
  }
  if (used == 0 || used != spec.size())
    return invalidInput("bad run '" + spec +
                        "': expected an id, latest or latest~N" + where);
  return id;
}

StatusOr<RunData> loadRole(ResultsDb &db, const std::string &role,
                           const std::string &spec) {
  StatusOr<int64_t> id = resolveRun(db, role, spec);
  if (!id)
    return id.status();
  StatusOr<RunData> data = db.loadRun(*id);
  if (!data)
    return invalidInput(role + " run " + spec + ": " + data.status().message());
  return data;
}

std::vector<std::string> splitFormats(const std::string &list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty())
      out.push_back(item);
  return out;
}

} // namespace

void printConfirmation(const ConfirmSummary &s) {
  if (s.layersConfirmed + s.layersNotReproduced + s.modelsConfirmed +
          s.modelsNotReproduced ==
      0)
    return;
  std::cerr << "goodhart compare: --confirm ("
            << (s.paired ? "baseline and candidate measured again"
                         : "candidate measured again, the baseline's stack "
                           "is not here")
            << "): " << s.layersConfirmed << " slower layers reproduced, "
            << s.layersNotReproduced << " did not";
  if (s.modelsConfirmed + s.modelsNotReproduced > 0)
    std::cerr << "; " << s.modelsConfirmed
              << " slower whole models reproduced, " << s.modelsNotReproduced
              << " did not";
  std::cerr << "\n";
}

int runCompare(const Args &args) {
  po::options_description options("compare options");
  options.add_options()("baseline", po::value<std::string>()->required(),
                        "baseline run: an id, latest or latest~N")(
      "candidate", po::value<std::string>()->required(),
      "candidate run: an id, latest or latest~N")(
      "db", po::value<std::string>()->default_value("goodhart.db"),
      "SQLite results database")(
      "out", po::value<std::string>(),
      "write the formats into this directory (default: standard output)")(
      "format", po::value<std::string>(),
      "comma-separated: markdown, json, junit (default: markdown on "
      "standard output, all with --out)")(
      "same-threshold", po::value<double>()->default_value(0.05),
      "speed-up within 1 +- this is 'same' (widened to the noise floor)")(
      "cliff-threshold", po::value<double>()->default_value(0.67),
      "relative throughput below this (whole interval) is a cliff")(
      "baseline-transistors", po::value<double>(),
      "the baseline device's transistors, in billions, for the "
      "per-transistor speed-up (default: the published count of a known "
      "accelerator)")("candidate-transistors", po::value<double>(),
                      "the candidate device's transistors, in billions");
  options.add_options()(
      "confirm", po::value<int>()->default_value(0),
      "measure each slower layer and slower whole model again, N times in "
      "fresh runner processes, beside the baseline when its stack is here; "
      "a slowdown that does not reproduce is judged by the new measurement "
      "(0: off)")(
      "runner", po::value<std::string>()->default_value(""),
      "with --confirm: the runner executable of the candidate's stack "
      "(default: the candidate's backend's)")(
      "baseline-runner", po::value<std::string>()->default_value(""),
      "with --confirm: a runner executable of the baseline's stack, to "
      "measure the baseline again too (default: the candidate's runner when "
      "both runs used one stack on this host)");
  addStatisticOption(options);
  po::positional_options_description positional;
  po::variables_map vm;
  if (auto code = parseCommandLine(
          "compare",
          "--baseline RUN --candidate RUN [--db FILE] [--out DIR] "
          "[--format markdown,json,junit]",
          options, positional, args, vm))
    return *code == kExitOk ? kExitOk : kExitError;
  const std::string dbPath = vm["db"].as<std::string>();
  if (!std::filesystem::exists(dbPath)) {
    printError("compare", dbPath + ": no such results database");
    return kExitError;
  }
  auto db = ResultsDb::open(dbPath);
  if (!db) {
    printError("compare", db.status().message());
    return kExitError;
  }
  auto baseline = loadRole(**db, "baseline", vm["baseline"].as<std::string>());
  if (!baseline) {
    printError("compare", baseline.status().message());
    return kExitError;
  }
  auto candidate =
      loadRole(**db, "candidate", vm["candidate"].as<std::string>());
  if (!candidate) {
    printError("compare", candidate.status().message());
    return kExitError;
  }
  OracleOptions oracle;
  oracle.statistic = vm["statistic"].as<TimeStatistic>();
  oracle.sameThreshold = vm["same-threshold"].as<double>();
  oracle.cliffThreshold = vm["cliff-threshold"].as<double>();
  TransistorCounts transistors;
  for (auto [name, count] :
       {std::pair{"baseline-transistors", &transistors.baseline},
        std::pair{"candidate-transistors", &transistors.candidate}}) {
    if (!vm.count(name))
      continue;
    *count = vm[name].as<double>();
    if (!(*count > 0)) {
      printError("compare", std::string("--") + name +
                                " must be a positive number of billions");
      return kExitError;
    }
  }
  RunComparison comparison =
      compareRuns(*baseline, *candidate, oracle, transistors);
  if (comparison.variants.empty()) {
    printError("compare",
               "no variant of run " + std::to_string(baseline->run.id) +
                   " matches one of run " + std::to_string(candidate->run.id) +
                   " in " + dbPath + " (same key and mutations)");
    return kExitError;
  }
  for (const RunMismatch &m : comparison.mismatches)
    std::cerr << "goodhart compare: warning: the runs differ in " << m.field
              << ": " << m.baseline << " (baseline) vs " << m.candidate
              << " (candidate)\n";
  ConfirmOptions confirm;
  confirm.runs = vm["confirm"].as<int>();
  confirm.runner = vm["runner"].as<std::string>();
  confirm.baselineRunner = vm["baseline-runner"].as<std::string>();
  if (confirm.runs < 0) {
    printError("compare", "--confirm must not be negative");
    return kExitError;
  }
  StatusOr<ConfirmSummary> confirmed =
      confirmSlowdowns(comparison, *baseline, *candidate, confirm, oracle);
  if (!confirmed) {
    printError("compare", confirmed.status().message());
    return kExitError;
  }
  printConfirmation(*confirmed);
  std::vector<std::string> formats =
      vm.count("format") ? splitFormats(vm["format"].as<std::string>())
                         : std::vector<std::string>();
  for (const std::string &f : formats)
    if (comparisonFileName(f).empty()) {
      printError("compare",
                 "unknown format '" + f + "' (markdown, json, junit)");
      return kExitError;
    }
  ComparisonInput input{comparison, oracle};
  if (!vm.count("out")) {
    if (formats.size() > 1) {
      printError("compare", "several formats need --out DIR");
      return kExitError;
    }
    Status s = writeComparison(
        input, formats.empty() ? "markdown" : formats.front(), std::cout);
    if (!s.isOk()) {
      printError("compare", s.message());
      return kExitError;
    }
  } else {
    if (formats.empty())
      formats = comparisonFormatNames();
    std::filesystem::path dir(vm["out"].as<std::string>());
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      printError("compare", dir.string() + ": " + ec.message());
      return kExitError;
    }
    for (const std::string &f : formats) {
      std::string path = (dir / comparisonFileName(f)).string();
      std::ofstream file(path);
      Status s = file ? writeComparison(input, f, file)
                      : invalidInput(path + ": cannot open for writing");
      file.close();
      if (s.isOk() && !file)
        s = invalidInput(path + ": write failed");
      if (!s.isOk()) {
        printError("compare", s.message());
        return kExitError;
      }
      std::cout << "compare: " << path << "\n";
    }
    std::cout << "compare: " << (comparison.failed() ? "FAILED" : "clean")
              << ": " << comparison.regressions() << " regressed, "
              << comparison.improvements() << " faster, "
              << comparison.newCliffs() << " new cliffs, "
              << comparison.fixedCliffs() << " fixed cliffs, "
              << comparison.newFindings.size() << " new findings"
              << (comparison.benchmarkOnly.flagged
                      ? ", benchmark-only improvement"
                      : "")
              << "\n";
  }
  return comparison.failed() ? kExitRegression : kExitOk;
}

} // namespace goodhart::cli
