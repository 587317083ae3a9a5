//===- Stats.h - Statistics of timing samples -------------------*- C++ -*-===//
#ifndef GOODHART_RUNNERS_COMMON_STATS_H
#define GOODHART_RUNNERS_COMMON_STATS_H

#include "runners/common/Protocol.h"

#include <vector>

namespace goodhart {

/// Median of `values` (not required sorted); 0 for an empty vector.
double median(std::vector<double> values);

/// Relative standard error of the median, robustly estimated: the median
/// absolute deviation scaled to a standard deviation (x1.4826), times the
/// median's asymptotic efficiency factor sqrt(pi/2), over sqrt(n), divided by
/// the median. Robust to the occasional preempted sample; 0 for n < 2.
double medianRsd(const std::vector<double> &values);

/// Count, median, min, mean, rsd and a distribution-free 95% confidence
/// interval of the median from order statistics (the binomial bounds
/// n/2 -+ 1.96 sqrt(n)/2; min and max below 6 samples).
SampleStats computeStats(const std::vector<double> &samples);

} // namespace goodhart

#endif // GOODHART_RUNNERS_COMMON_STATS_H
