//===- TimeStatistic.h - Which statistic of the samples is a time -*- C++
//-*-===//
//
// A measurement keeps its samples; the oracle compares one statistic of
// them, the same on both sides of every ratio. The default is the minimum:
// timing noise on a CPU is additive and positive (preemption, a neighbour's
// cache traffic, a frequency dip, a slower placement of the buffers), so the
// fastest sample is the estimate such noise moves least, which is why
// benchdnn reports the minimum first. scripts/bench-repeatability.sh
// measured it: ResNet-50's layers in two separate runs differ by a median
// 0.3-2% in their minimum, 1.2-6.6% in their median (docs/ARCHITECTURE.md).
// A percentile ("p10") or the median can be asked for instead; intervals
// come from a bootstrap of that same quantile (oracle/Bootstrap.h).
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_ORACLE_TIMESTATISTIC_H
#define GOODHART_ORACLE_TIMESTATISTIC_H

#include "runners/common/Protocol.h"
#include "runners/common/Status.h"

#include <string>
#include <string_view>
#include <utility>

namespace goodhart {

struct TimeStatistic {
  /// The quantile of the samples: 0 the minimum, 0.5 the median.
  double quantile = 0;

  /// "min", "median" or "pNN" (the percentile, e.g. "p10").
  std::string name() const;
  /// Reads a name(); anything else is an error naming the text and the
  /// accepted forms.
  static StatusOr<TimeStatistic> parse(std::string_view text);
};

/// The time `statistic` gives `m`: that quantile of its samples when it kept
/// any, else its summary's minimum (quantile 0) or median.
double timeOf(const Measurement &m, const TimeStatistic &statistic);

/// Bounds of timeOf(m) when no bootstrap is possible (too few samples): the
/// median's order-statistic interval, moved to the statistic's value with
/// the same relative width; the value twice when there is no interval.
std::pair<double, double> timeBounds(const Measurement &m,
                                     const TimeStatistic &statistic);

} // namespace goodhart

#endif // GOODHART_ORACLE_TIMESTATISTIC_H
