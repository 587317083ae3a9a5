//===- Bootstrap.h - Percentile bootstrap of quantiles and their ratios -*- C++
//-*-===//
//
// A seeded percentile bootstrap for timing samples, of any quantile (the
// minimum, a low percentile, the median). Resampling n samples with
// replacement and taking the quantile costs O(n) per resample; runners keep
// up to 10000 samples per measurement, so above 512 samples the resample's
// order statistics are drawn directly instead, with the same distribution: a
// resample puts Bin(c, w) of c draws into the lower part of a range of sorted
// samples holding a fraction w of them, so halving the range, drawing that
// binomial and following the quantile's rank reaches the order statistic in
// O(log n) draws. Every function takes its generator or seed; nothing is
// global.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_ORACLE_BOOTSTRAP_H
#define GOODHART_ORACLE_BOOTSTRAP_H

#include <cstdint>
#include <random>
#include <vector>

namespace goodhart {

inline constexpr uint64_t kDefaultBootstrapSeed = 0x600d4a27ULL;

struct BootstrapOptions {
  int resamples = 2000;
  double confidence = 0.95; // the interval's coverage
  uint64_t seed = kDefaultBootstrapSeed;
  /// Fewer samples than this on either side: no bootstrap interval.
  int minSamples = 5;
};

/// A point estimate and its percentile interval; invalid when there were too
/// few samples or a median was not positive.
struct BootstrapInterval {
  bool valid = false;
  double value = 0, low = 0, high = 0;
};

/// The `q`-quantiles (0..1, by quantile()'s interpolation) of `resamples`
/// bootstrap resamples of `samples`, in the order drawn from `rng`. Empty
/// when `samples` is empty.
std::vector<double> bootstrapQuantiles(const std::vector<double> &samples,
                                       double q, int resamples,
                                       std::mt19937_64 &rng);
inline std::vector<double> bootstrapMedians(const std::vector<double> &samples,
                                            int resamples,
                                            std::mt19937_64 &rng) {
  return bootstrapQuantiles(samples, 0.5, resamples, rng);
}

/// The `quantile` (0..1) of `values` by linear interpolation between order
/// statistics (0 is the minimum, 0.5 the median); 0 for an empty vector.
double quantile(std::vector<double> values, double quantile);

/// The percentile interval of `values` at `confidence` around `value`.
BootstrapInterval percentileInterval(double value,
                                     const std::vector<double> &values,
                                     double confidence);

/// quantile(numerator, q) / quantile(denominator, q) and its percentile
/// bootstrap interval, both sides resampled independently from one generator
/// seeded with `options.seed`: the same inputs and seed give the same
/// interval.
BootstrapInterval bootstrapQuantileRatio(const std::vector<double> &numerator,
                                         const std::vector<double> &denominator,
                                         double q,
                                         const BootstrapOptions &options = {});
inline BootstrapInterval
bootstrapMedianRatio(const std::vector<double> &numerator,
                     const std::vector<double> &denominator,
                     const BootstrapOptions &options = {}) {
  return bootstrapQuantileRatio(numerator, denominator, 0.5, options);
}

} // namespace goodhart

#endif // GOODHART_ORACLE_BOOTSTRAP_H
