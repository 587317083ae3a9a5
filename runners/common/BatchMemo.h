//===- BatchMemo.h - Each distinct layer once per batch process -*- C++ -*-===//
//
// A runner's batch mode (`--plan ... --out`, the remote workflow) measures
// many variants of one model in one process. Most of their layers are the
// reference's: BERT-large's 576 layers are 16 problems. As `goodhart run`
// does through its results database (generator/cli/Memoization.h), a layer
// whose stable hash was measured earlier in the process is not measured
// again: its result is copied, its repro line renamed, and the copy is
// listed under the result line's `reused` so `goodhart ingest` stores it as
// reused, not as a measurement of its own. Identity variants (the control
// group) reuse nothing from other plans: each of their distinct problems is
// measured again, so the noise floor has fresh evidence; a problem they
// repeat (BERT-large's 24 equal blocks) is measured once, as it is for the
// reference, since measuring it again in the same process tells little
// (`goodhart run`, where CPU time is cheaper, measures controls whole).
// Errors and wrong or untrustworthy outputs are never reused.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_COMMON_BATCHMEMO_H
#define GOODHART_RUNNERS_COMMON_BATCHMEMO_H

#include "runners/common/Backend.h"

#include <map>
#include <string>
#include <vector>

namespace goodhart {

/// `repro` of a result measured as layer `from`, made to name layer `to`:
/// every quoted occurrence "from" becomes "to" (benchdnn's n"NAME"), so a
/// reused result's repro line names the layer it stands for. The problem
/// part of the line is the same: the two layers share their stable hash.
std::string renameRepro(const std::string &repro, const std::string &from,
                        const std::string &to);

/// Whether a plan's metadata lists only identity mutations.
bool isControlPlan(const Plan &plan);

class BatchMemo {
public:
  /// Measures `plan` (read from `planFile`) with `options`, asking the
  /// backend only for layers not measured before; `reused` receives the
  /// others. The response lists every layer selected by `options`.
  MeasureResponse measure(Backend &backend, const Plan &plan,
                          const std::string &planFile,
                          const MeasureOptions &options,
                          std::vector<BatchReuse> &reused);

private:
  struct Source {
    std::string planFile;
    std::string layerName;
    LayerResult result;
  };
  std::map<std::string, Source> byHash_;
};

} // namespace goodhart

#endif // GOODHART_RUNNERS_COMMON_BATCHMEMO_H
