//===- MeasureCli.h - Measuring plans into the results database -*- C++ -*-===//
//
// Shared by `goodhart run` and `goodhart campaign`: collect plans (a
// generate output directory or plan files), drive a runner process over
// them, and store every result as soon as it arrives, so a killed run keeps
// what it measured and can be resumed. A crash, hang or protocol error of
// the runner becomes a finding; the runner restarts and the run goes on.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_GENERATOR_CLI_MEASURECLI_H
#define GOODHART_GENERATOR_CLI_MEASURECLI_H

#include "generator/cli/CliSupport.h"
#include "oracle/ResultsDb.h"
#include "runners/common/Protocol.h"

#include <string>
#include <vector>

namespace goodhart::cli {

struct MeasureCliOptions {
  std::string backend = "onednn";
  std::string runner; // --runner PATH: any program speaking the protocol
  std::string db = "goodhart.db";
  MeasureOptions measure;
  int64_t timeoutS = 600; // per plan
  /// Per-layer memoization (generator/cli/Memoization.h); --no-memo: off.
  bool memo = true;
};

void addMeasureOptions(po::options_description &options);
MeasureCliOptions readMeasureOptions(const po::variables_map &vm);

/// One plan to measure, with its provenance.
struct PlanInput {
  std::string key; // "reference", "v001", or the plan file's stem
  bool isReference = false;
  std::string planPath;
  Plan plan;
  std::vector<std::string> mutations;
};

/// A directory written by `goodhart generate` (its manifest.json) or plan
/// files. Errors name the file and field.
StatusOr<std::vector<PlanInput>>
collectPlanInputs(const std::vector<std::string> &paths);

/// Stores the findings a measure response implies: layers that failed, and
/// wrong or untrustworthy results.
Status recordLayerFindings(ResultsDb &db, int64_t runId,
                           const std::string &variantKey,
                           const std::vector<LayerResult> &layers);

/// Measures `inputs` into `db` under a run described by `run` (model,
/// strategy, seed, command line). With `resume`, an unfinished run with the
/// same command line is continued: variants it stored are not measured
/// again. Returns the run id.
StatusOr<int64_t> measureIntoDb(const std::vector<PlanInput> &inputs,
                                const MeasureCliOptions &options, RunRecord run,
                                ResultsDb &db, bool resume);

} // namespace goodhart::cli

#endif // GOODHART_GENERATOR_CLI_MEASURECLI_H
