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
#include "runners/common/RunnerProcess.h"

#include <memory>
#include <optional>
#include <set>
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
  /// The generator's, from the plan's metadata ("" and 0 when it has none:
  /// a reference plan, a hand-written one).
  std::string strategy;
  uint64_t seed = 0;
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

/// What measuring one plan gave: the record as stored, a word for the
/// progress line, and the runner's failure when it crashed, hung or broke
/// the protocol (stored as a finding; the next plan restarts the runner).
struct MeasureOutcome {
  VariantRecord record;
  std::string summary; // "model 42.475 ms", "done", "failed"
  std::optional<Status> failure;
  /// "goodhart: v001: runner measured 3 of 127 layers, 124 reused" when
  /// layers were memoized; printed by the caller after its progress line.
  std::string memoNote;
};

/// One run in the results database fed by one runner process: begins (or
/// resumes) the run, measures plans one at a time with per-layer
/// memoization, stores each result and its findings as soon as it arrives.
class MeasureSession {
public:
  /// Starts the runner and begins the run (`resume`: continues an
  /// unfinished run with the same command line; done() lists its plans).
  static StatusOr<std::unique_ptr<MeasureSession>>
  start(const MeasureCliOptions &options, RunRecord run, ResultsDb &db,
        bool resume);

  /// Measures `input` and stores it. Runner failures are findings, not
  /// errors; only a database error fails.
  StatusOr<MeasureOutcome> measure(const PlanInput &input);
  Status finish(const std::string &status);

  int64_t runId() const { return runId_; }
  const std::set<std::string> &done() const { return done_; }
  const RunnerInfo &runnerInfo() const { return process_.info(); }
  const std::string &memoKey() const { return memoKey_; }

private:
  MeasureSession(const MeasureCliOptions &options, ResultsDb &db,
                 RunnerProcessOptions processOptions);

  MeasureCliOptions options_;
  ResultsDb &db_;
  RunnerProcess process_;
  RunRecord run_;
  int64_t runId_ = 0;
  std::string memoKey_;
  std::set<std::string> done_;
};

/// The hello of the runner `options` name (a process started and stopped):
/// what the backend runs on this machine, before anything is generated for
/// it. An error says why the backend cannot run here.
StatusOr<RunnerInfo> queryRunnerInfo(const MeasureCliOptions &options);

/// Measures `inputs` into `db` under a run described by `run` (model,
/// strategy, seed, command line). With `resume`, an unfinished run with the
/// same command line is continued: variants it stored are not measured
/// again. Returns the run id.
StatusOr<int64_t> measureIntoDb(const std::vector<PlanInput> &inputs,
                                const MeasureCliOptions &options, RunRecord run,
                                ResultsDb &db, bool resume);

} // namespace goodhart::cli

#endif // GOODHART_GENERATOR_CLI_MEASURECLI_H
