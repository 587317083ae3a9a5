//===- Memoization.h - Measure each distinct layer once ---------*- C++ -*-===//
//
// Per-layer memoization for `goodhart run` and `goodhart campaign`: a layer
// is the same measurement wherever it appears when its stable hash and the
// memo key (runner, library version, device, ISA, threads and the options
// that affect timing) agree. The controller asks the runner only for the
// layers the results database holds no result for under that key, and
// stores the others as reused, each with a pointer to the row that was
// measured. A campaign's cost then grows with its distinct layers, not with
// variants x layers.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_GENERATOR_CLI_MEMOIZATION_H
#define GOODHART_GENERATOR_CLI_MEMOIZATION_H

#include "oracle/ResultsDb.h"
#include "runners/common/BatchMemo.h" // renameRepro
#include "runners/common/Protocol.h"
#include "runners/common/RunnerProcess.h"

#include <map>
#include <string>
#include <vector>

namespace goodhart::cli {

/// The memo key of results measured by `runner` with `options`: compact
/// JSON of the runner facts and every option except `mode` and `layers`.
std::string memoKey(const RunnerInfo &runner, const MeasureOptions &options);

/// Which layers of a plan to measure and which to reuse.
struct MemoPlan {
  std::vector<int64_t> toMeasure; // layer ids to ask the runner for
  /// Layers the database already holds: the copied result and its origin.
  std::map<int64_t, LayerResult> fromDb;
  /// Layers that repeat an earlier layer of the same plan (same hash): the
  /// id of the layer measured for them.
  std::map<int64_t, int64_t> repeats;
  std::map<int64_t, LayerReuse> reused;
};

/// Plans the layers mode of `plan` (restricted to `selected` when not
/// empty) against the results stored in `db` under `key`.
StatusOr<MemoPlan> planMemoized(ResultsDb &db, const Plan &plan,
                                const std::string &key,
                                const std::vector<int64_t> &selected);

/// The layer results of `plan` in plan order: `measured` (the runner's
/// answer) with the reused results of `memo` filled in.
std::vector<LayerResult> mergeMemoized(const Plan &plan, const MemoPlan &memo,
                                       std::vector<LayerResult> measured);

/// Measures `plan` through `process` with memoization: the runner measures
/// only the layers `planMemoized` leaves (and the model unless the mode is
/// layers); `record.reused` receives the reused layers. The response holds
/// every layer, reused ones included.
StatusOr<MeasureResponse> measureMemoized(RunnerProcess &process, ResultsDb &db,
                                          const Plan &plan,
                                          const MeasureOptions &options,
                                          const std::string &key,
                                          VariantRecord &record);

} // namespace goodhart::cli

#endif // GOODHART_GENERATOR_CLI_MEMOIZATION_H
