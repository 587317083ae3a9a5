//===- OverfittingIndex.h - One-shot tuning of the reference ---*- C++ -*-===//
//
// One-shot tuning: a vendor library tuned for the benchmarked model runs it
// faster per FLOP than shape-equivalent variants of it. The overfitting
// index is the reference's whole-model throughput per FLOP divided by the
// median throughput per FLOP of its equivalent variants, with a percentile
// bootstrap interval (every variant's and the reference's samples
// resampled), and the reference's percentile among the variants. Identity
// variants (mutation kind "identity": the reference rebuilt unchanged)
// measure noise, not the neighborhood: they are left out of the median and
// their spread is the floor the flag must clear.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_ORACLE_OVERFITTINGINDEX_H
#define GOODHART_ORACLE_OVERFITTINGINDEX_H

#include "oracle/RelativeThroughput.h"
#include "oracle/RunData.h"

#include <string>
#include <vector>

namespace goodhart {

/// Fewer measured equivalent variants: no index, a reason instead.
inline constexpr int kMinOverfittingVariants = 3;

/// True when every mutation of a variant is of kind "identity" (the text
/// before '(' in MutationSpec::describe()'s form) and there is at least one.
bool isIdentityVariant(const std::vector<std::string> &mutations);

/// The index of `run`, with the noise floor taken from `verdict` (judgeRun's
/// verdicts of the same run: the identity variants' relative throughputs and
/// the unchanged layers' floor).
OverfittingIndex computeOverfittingIndex(const RunData &run,
                                         const RunVerdict &verdict,
                                         const OracleOptions &options);

} // namespace goodhart

#endif // GOODHART_ORACLE_OVERFITTINGINDEX_H
