//===- RepeatabilityBench.cpp - Same layers, two runs, how far apart ------===//
//
// Same-layer repeatability: two runs that measured the same plan (separate
// `goodhart run` invocations, memoization off) are compared with the
// nightly comparison (oracle/RunComparison). For every distinct layer
// problem (stable hash) of the reference measured in both runs: the log
// ratio of its two times (the oracle's statistic of the samples: the
// minimum unless --statistic says otherwise), and the oracle's verdict on
// the change. Prints
// the median, 90th percentile and largest |log ratio|, and how many layers
// the oracle calls slower or faster. Goal: median |log ratio| <= 2% and no
// layer slower. scripts/bench-repeatability.sh produces the two runs.
//
//   goodhart-bench-repeatability --db FILE [--baseline ID --candidate ID]
//                                [--statistic min|median|pNN] [--confirm N]
//                                [--verbose]
//
// --confirm N measures each layer called slower again, in both runs, N
// times each in fresh runner processes, as `goodhart compare --confirm N`
// does for runs of one stack on one host.
//
// Without ids, the two latest runs of the database. Exit 0 when the goal
// holds, 1 when it does not, 2 on a usage or database error.
//
//===----------------------------------------------------------------------===//

#include "generator/cli/Confirmation.h"
#include "oracle/ResultsDb.h"
#include "oracle/RunComparison.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace goodhart;

constexpr double kGoalMedianLogRatio = 0.02;

cli::ConfirmOptions noConfirmation() {
  cli::ConfirmOptions o;
  o.runs = 0;
  return o;
}

struct Args {
  std::string db;
  int64_t baseline = 0, candidate = 0;
  bool verbose = false;
  OracleOptions oracle;
  cli::ConfirmOptions confirm = noConfirmation();
};

bool parseArgs(int argc, char **argv, Args &args) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--verbose") {
      args.verbose = true;
      continue;
    }
    if (i + 1 >= argc)
      return false;
    std::string value = argv[++i];
    if (arg == "--db")
      args.db = value;
    else if (arg == "--baseline")
      args.baseline = std::atoll(value.c_str());
    else if (arg == "--candidate")
      args.candidate = std::atoll(value.c_str());
    else if (arg == "--confirm")
      args.confirm.runs = std::atoi(value.c_str());
    else if (arg == "--statistic") {
      auto statistic = TimeStatistic::parse(value);
      if (!statistic) {
        std::cerr << "goodhart-bench-repeatability: "
                  << statistic.status().message() << "\n";
        return false;
      }
      args.oracle.statistic = *statistic;
    } else
      return false;
  }
  return !args.db.empty() && (args.baseline > 0) == (args.candidate > 0);
}

/// The value at quantile `q` (nearest rank) of `values`; 0 when empty.
double nearestRank(std::vector<double> values, double q) {
  if (values.empty())
    return 0;
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(std::ceil(q * values.size()));
  return values[std::max<size_t>(rank, 1) - 1];
}

double median(std::vector<double> values) {
  if (values.empty())
    return 0;
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

} // namespace

int main(int argc, char **argv) {
  Args args;
  if (!parseArgs(argc, argv, args)) {
    std::cerr << "usage: goodhart-bench-repeatability --db FILE "
                 "[--baseline ID --candidate ID] [--statistic S] "
                 "[--confirm N] [--verbose]\n";
    return 2;
  }
  auto db = ResultsDb::open(args.db);
  if (!db) {
    std::cerr << "goodhart-bench-repeatability: " << db.status().message()
              << "\n";
    return 2;
  }
  if (args.baseline == 0) {
    auto runs = (*db)->listRuns();
    if (!runs || runs->size() < 2) {
      std::cerr << "goodhart-bench-repeatability: " << args.db
                << ": needs two runs\n";
      return 2;
    }
    args.baseline = (*runs)[runs->size() - 2].id;
    args.candidate = runs->back().id;
  }
  auto baseline = (*db)->loadRun(args.baseline);
  auto candidate = (*db)->loadRun(args.candidate);
  for (const auto *run : {&baseline, &candidate})
    if (!*run) {
      std::cerr << "goodhart-bench-repeatability: " << run->status().message()
                << "\n";
      return 2;
    }
  RunComparison comparison = compareRuns(*baseline, *candidate, args.oracle);
  // The two runs' times, for the repeatability figures; the verdicts are
  // the comparison's after confirmation.
  const RunComparison measured = comparison;
  // As `goodhart compare --confirm N`: slower layers measured again, both
  // runs' (one stack on one host: the confirmation is paired).
  auto confirmed = cli::confirmSlowdowns(comparison, *baseline, *candidate,
                                         args.confirm, args.oracle);
  if (!confirmed) {
    std::cerr << "goodhart-bench-repeatability: "
              << confirmed.status().message() << "\n";
    return 2;
  }
  for (const RunMismatch &m : comparison.mismatches)
    std::cerr << "warning: the runs differ in " << m.field << ": " << m.baseline
              << " / " << m.candidate << "\n";

  const VariantComparison *reference = nullptr, *measuredReference = nullptr;
  for (size_t i = 0; i < comparison.variants.size(); ++i)
    if (comparison.variants[i].isReference) {
      reference = &comparison.variants[i];
      measuredReference = &measured.variants[i];
    }
  if (!reference) {
    std::cerr << "goodhart-bench-repeatability: no reference in both runs\n";
    return 2;
  }
  std::set<std::string> seen;
  std::vector<double> logRatios;
  int slower = 0, faster = 0, ambiguous = 0, same = 0, unmeasured = 0;
  for (size_t i = 0; i < reference->layers.size(); ++i) {
    const LayerComparison &l = reference->layers[i];
    const LayerComparison &m = measuredReference->layers[i];
    if (!seen.insert(l.hash).second)
      continue; // a problem the plan repeats: one distinct layer
    if (m.change == Change::kUnmeasured || m.baselineNs <= 0 ||
        m.candidateNs <= 0) {
      ++unmeasured;
      continue;
    }
    double logRatio = std::log(m.candidateNs / m.baselineNs);
    logRatios.push_back(std::abs(logRatio));
    slower += l.change == Change::kSlower;
    faster += l.change == Change::kFaster;
    ambiguous += l.change == Change::kAmbiguous;
    same += l.change == Change::kSame;
    if (args.verbose || l.change == Change::kSlower || !l.confirmation.empty())
      std::cout << fmt::format(
          "  {:<28} {:<10} {:>12.0f} {:>12.0f} {:+7.2f}% "
          "{} (band {:.1f}%){}\n",
          l.name, l.kind, m.baselineNs, m.candidateNs, 100 * logRatio,
          changeName(l.change), 100 * l.threshold,
          l.confirmation.empty() ? "" : ": " + l.confirmation);
  }
  double med = median(logRatios);
  std::cout << fmt::format(
      "runs {} and {} of {} ({} on {}): {} distinct layers compared by "
      "their {} time, {} unmeasured or skipped\n",
      args.baseline, args.candidate, baseline->run.model, baseline->run.backend,
      baseline->run.device, logRatios.size(), args.oracle.statistic.name(),
      unmeasured);
  std::cout << fmt::format("median |log ratio| {:.2f}%, 90th percentile "
                           "{:.2f}%, largest {:.2f}%\n",
                           100 * med, 100 * nearestRank(logRatios, 0.9),
                           100 * nearestRank(logRatios, 1.0));
  std::cout << fmt::format("oracle verdicts: {} same, {} slower, {} faster, "
                           "{} ambiguous\n",
                           same, slower, faster, ambiguous);
  bool goal = !logRatios.empty() && med <= kGoalMedianLogRatio && slower == 0;
  std::cout << fmt::format("goal (median |log ratio| <= {:.0f}%, none "
                           "slower): {}\n",
                           100 * kGoalMedianLogRatio, goal ? "met" : "missed");
  return goal ? 0 : 1;
}
