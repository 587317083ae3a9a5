//===- Confirmation.h - A slower layer must be slower again -----*- C++ -*-===//
//
// Two runs compared (oracle/RunComparison) call a layer slower when its
// interval clears the runs' noise bands. On a shared machine a run can sit
// in a slow regime as a whole (every process of it, for a minute), which no
// band measured inside the runs covers. A regression that is real
// reproduces: confirmLayers re-measures each slower layer of the candidate
// on the candidate's own stack, in fresh runner processes, and keeps the
// verdict only when the re-measurement is slower too; otherwise the layer
// is judged by the re-measurement and says it did not reproduce. Used by
// `goodhart compare --confirm N` and goodhart-bench-repeatability.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_GENERATOR_CLI_CONFIRMATION_H
#define GOODHART_GENERATOR_CLI_CONFIRMATION_H

#include "oracle/RunComparison.h"
#include "runners/common/Status.h"

#include <string>

namespace goodhart::cli {

struct ConfirmOptions {
  /// Re-measurements of each slower layer, each in a fresh runner process;
  /// their samples are pooled. 0: no confirmation.
  int runs = 1;
  /// The runner executable; empty: the candidate run's backend's.
  std::string runner;
  int64_t timeoutS = 600;
};

struct ConfirmSummary {
  int confirmed = 0;     // slower again
  int notReproduced = 0; // judged otherwise by the re-measurement
};

/// Re-measures the slower layers of `comparison` (of `candidate` against
/// `baseline`) and updates their verdicts. Errors: no runner for the
/// candidate's backend, or a runner of another library version or device
/// than the candidate's (a confirmation needs the candidate's stack).
StatusOr<ConfirmSummary> confirmSlowerLayers(RunComparison &comparison,
                                             const RunData &baseline,
                                             const RunData &candidate,
                                             const ConfirmOptions &options,
                                             const OracleOptions &oracle);

} // namespace goodhart::cli

#endif // GOODHART_GENERATOR_CLI_CONFIRMATION_H
