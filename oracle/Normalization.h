//===- Normalization.h - A cross-device speed-up, normalized ----*- C++ -*-===//
//
// When the baseline and the candidate ran the same plans on two devices or
// stacks (an H100 against an H200, a GPU against a CPU), the plain speed-up
// says which is faster, not which does more with what it has. The
// reference model's whole-model speed-up is therefore also given per watt
// (the power each side drew, RunVerdict::referenceEnergy), per peak (each
// backend's measured peak GFLOP/s for the model's dtype) and per transistor
// (DeviceFacts, or counts given on the command line): the speed-up times
// the baseline's amount over the candidate's. Per FLOP is the plain
// speed-up, since both ran the same plans.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_ORACLE_NORMALIZATION_H
#define GOODHART_ORACLE_NORMALIZATION_H

#include "oracle/RelativeThroughput.h"

#include <optional>
#include <string>
#include <vector>

namespace goodhart {

/// Transistor counts (billions) given for a side, in place of DeviceFacts.
struct TransistorCounts {
  std::optional<double> baseline, candidate;
};

struct NormalizedSpeedup {
  std::string basis;               // "FLOP", "watt", "peak", "transistor"
  std::string baseline, candidate; // each side's amount: "300 W"
  Ratio speedup;                   // invalid when `missing` says why
  std::string missing;
};

/// The four normalizations of `speedup`, the reference model's candidate
/// throughput over the baseline's, from each run's judged verdict and
/// record (device names for the transistor table).
std::vector<NormalizedSpeedup>
normalizeSpeedup(const Ratio &speedup, const RunVerdict &baseline,
                 const RunVerdict &candidate, const RunRecord &baselineRun,
                 const RunRecord &candidateRun,
                 const TransistorCounts &transistors);

} // namespace goodhart

#endif // GOODHART_ORACLE_NORMALIZATION_H
