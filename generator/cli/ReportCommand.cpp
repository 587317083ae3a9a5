//===- ReportCommand.cpp - goodhart report --------------------------------===//

#include "generator/cli/CliSupport.h"
#include "generator/cli/ReportCli.h"

#include <iostream>

namespace goodhart {

void validate(boost::any &value, const std::vector<std::string> &texts,
              TimeStatistic *, int) {
  namespace po = boost::program_options;
  po::validators::check_first_occurrence(value);
  auto statistic =
      TimeStatistic::parse(po::validators::get_single_string(texts));
  if (!statistic)
    throw po::error("--" + statistic.status().message());
  value = *statistic;
}

} // namespace goodhart

namespace goodhart::cli {

StatusOr<std::vector<std::string>>
reportRun(ResultsDb &db, int64_t runId, const std::string &outDir,
          const std::vector<std::string> &formats,
          const OracleOptions &oracle) {
  auto data = db.loadRun(runId);
  if (!data)
    return data.status();
  RunVerdict verdict = judgeRun(*data, oracle);
  return writeReports({*data, verdict, oracle}, outDir, formats);
}

void addStatisticOption(po::options_description &options) {
  options.add_options()(
      "statistic",
      po::value<TimeStatistic>()->default_value(TimeStatistic{}, "min"),
      "the statistic of each measurement's samples that times and ratios "
      "use: min (the least disturbed by noise), median, or pNN (a "
      "percentile, e.g. p10)");
}

void addOracleOptions(po::options_description &options) {
  addStatisticOption(options);
  options.add_options()("same-threshold",
                        po::value<double>()->default_value(0.05),
                        "relative throughput within 1 +- this is 'same'")(
      "cliff-threshold", po::value<double>()->default_value(0.67),
      "relative throughput below this (whole interval) is a cliff")(
      "format", po::value<std::vector<std::string>>()->multitoken(),
      "report formats (default: all)");
}

OracleOptions readOracleOptions(const po::variables_map &vm) {
  OracleOptions o;
  o.statistic = vm["statistic"].as<TimeStatistic>();
  o.sameThreshold = vm["same-threshold"].as<double>();
  o.cliffThreshold = vm["cliff-threshold"].as<double>();
  return o;
}

std::vector<std::string> readFormats(const po::variables_map &vm) {
  return vm.count("format") ? vm["format"].as<std::vector<std::string>>()
                            : reportWriterNames();
}

int runReport(const Args &args) {
  po::options_description options("report options");
  options.add_options()("db",
                        po::value<std::string>()->default_value("goodhart.db"),
                        "SQLite results database")(
      "run", po::value<int64_t>(), "run id (default: the latest)")(
      "out", po::value<std::string>()->default_value("report"),
      "output directory");
  addOracleOptions(options);
  po::positional_options_description positional;
  po::variables_map vm;
  if (auto code =
          parseCommandLine("report", "[--run ID] [--db FILE] [--out DIR]",
                           options, positional, args, vm))
    return *code;
  const std::string dbPath = vm["db"].as<std::string>();
  auto db = ResultsDb::open(dbPath);
  if (!db) {
    printError("report", db.status().message());
    return kExitFailure;
  }
  StatusOr<int64_t> runId = vm.count("run")
                                ? StatusOr<int64_t>(vm["run"].as<int64_t>())
                                : (*db)->latestRunId();
  if (!runId) {
    printError("report", runId.status().message());
    return kExitFailure;
  }
  auto paths = reportRun(**db, *runId, vm["out"].as<std::string>(),
                         readFormats(vm), readOracleOptions(vm));
  if (!paths) {
    printError("report", paths.status().message());
    return kExitFailure;
  }
  for (const std::string &path : *paths)
    std::cout << "report: " << path << "\n";
  return kExitOk;
}

} // namespace goodhart::cli
