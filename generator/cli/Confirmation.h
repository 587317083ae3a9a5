//===- Confirmation.h - A slowdown must be a slowdown again -----*- C++ -*-===//
//
// Two runs compared (oracle/RunComparison) call a layer or a whole model
// slower when its interval clears the runs' noise bands. On a shared machine
// a run can sit in a slow regime as a whole (every process of it, for
// minutes), which no band measured inside the runs covers. A regression that
// is real reproduces: confirmSlowdowns measures each slower layer and each
// slower whole model again, in fresh runner processes, and keeps the verdict
// only when the new measurement is slower too; otherwise the comparison is
// judged by the new measurement and says the slowdown did not reproduce.
//
// Paired where it can be: when the baseline's stack is here too (the same
// backend, library version, device and host as the candidate's, or a runner
// of the baseline's stack given as `baselineRunner`), the baseline is
// measured again beside the candidate, the two strictly alternating
// (baseline, candidate, baseline, ...), and the new pair is compared. Both then
// share the machine's state of the moment, so a slow minute slows both and a
// real regression still separates them. Without the baseline's stack only the
// candidate is measured again, against the stored baseline.
//
// Used by `goodhart compare --confirm N` and goodhart-bench-repeatability.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_GENERATOR_CLI_CONFIRMATION_H
#define GOODHART_GENERATOR_CLI_CONFIRMATION_H

#include "oracle/RunComparison.h"
#include "runners/common/Status.h"

#include <string>

namespace goodhart::cli {

struct ConfirmOptions {
  /// Measurements of each side, each in a fresh runner process; their
  /// samples are pooled. 0: no confirmation.
  int runs = 1;
  /// The runner executable of the candidate's stack; empty: the candidate
  /// run's backend's.
  std::string runner;
  /// A runner executable of the baseline's stack (another library version
  /// installed beside the candidate's); empty: the candidate's runner when
  /// both runs used the same stack on this host, else no pairing.
  std::string baselineRunner;
  int64_t timeoutS = 600;
};

struct ConfirmSummary {
  bool paired = false;         // the baseline was measured again too
  int layersConfirmed = 0;     // slower again
  int layersNotReproduced = 0; // judged otherwise by the new measurement
  int modelsConfirmed = 0;
  int modelsNotReproduced = 0;
};

/// Measures the slower layers and whole models of `comparison` (of
/// `candidate` against `baseline`) again and updates their verdicts and the
/// benchmark-only verdict. Errors: no runner for the candidate's backend, a
/// runner of another library version or device than the candidate's (or,
/// for `baselineRunner`, than the baseline's).
StatusOr<ConfirmSummary> confirmSlowdowns(RunComparison &comparison,
                                          const RunData &baseline,
                                          const RunData &candidate,
                                          const ConfirmOptions &options,
                                          const OracleOptions &oracle);

} // namespace goodhart::cli

#endif // GOODHART_GENERATOR_CLI_CONFIRMATION_H
