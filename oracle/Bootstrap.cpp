//===- Bootstrap.cpp - Percentile bootstrap of quantiles and their ratios -===//

#include "oracle/Bootstrap.h"

#include <algorithm>
#include <cmath>

namespace goodhart {
namespace {

/// Up to this many samples, resampling and selecting the quantile directly is
/// cheaper than the binomial descent.
constexpr size_t kDirectLimit = 512;
/// Binomials of at most this many trials are drawn as Bernoulli trials:
/// cheaper than std::binomial_distribution's setup.
constexpr int64_t kSmallBinomial = 32;

int64_t drawBinomial(int64_t count, double share, std::mt19937_64 &rng) {
  if (count <= kSmallBinomial) {
    std::uniform_real_distribution<double> uniform(0, 1);
    int64_t hits = 0;
    for (int64_t i = 0; i < count; ++i)
      hits += uniform(rng) < share;
    return hits;
  }
  return std::binomial_distribution<int64_t>(count, share)(rng);
}

/// Index into the sorted samples of the `rank`-th smallest (0-based) of
/// `count` draws spread uniformly over sorted positions [lo, hi).
size_t orderStatistic(size_t lo, size_t hi, int64_t count, int64_t rank,
                      std::mt19937_64 &rng) {
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    double share = double(mid - lo) / double(hi - lo);
    int64_t left = drawBinomial(count, share, rng);
    if (rank < left) {
      hi = mid;
      count = left;
    } else {
      lo = mid;
      count -= left;
      rank -= left;
    }
  }
  return lo;
}

/// Like orderStatistic, for the adjacent ranks `rank` and `rank + 1` of one
/// resample: the two follow one path until the split separates them.
std::pair<size_t, size_t> adjacentOrderStatistics(size_t lo, size_t hi,
                                                  int64_t count, int64_t rank,
                                                  std::mt19937_64 &rng) {
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    double share = double(mid - lo) / double(hi - lo);
    int64_t left = drawBinomial(count, share, rng);
    if (rank + 1 < left) {
      hi = mid;
      count = left;
    } else if (rank >= left) {
      lo = mid;
      count -= left;
      rank -= left;
    } else { // rank is the last draw on the left, rank + 1 the first right
      size_t low = orderStatistic(lo, mid, left, rank, rng);
      size_t high = orderStatistic(mid, hi, count - left, 0, rng);
      return {low, high};
    }
  }
  return {lo, lo};
}

} // namespace

std::vector<double> bootstrapQuantiles(const std::vector<double> &samples,
                                       double q, int resamples,
                                       std::mt19937_64 &rng) {
  std::vector<double> out;
  if (samples.empty() || resamples <= 0)
    return out;
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  const int64_t n = static_cast<int64_t>(sorted.size());
  out.reserve(static_cast<size_t>(resamples));
  if (sorted.size() <= kDirectLimit) {
    std::uniform_int_distribution<size_t> pick(0, sorted.size() - 1);
    std::vector<double> resample(sorted.size());
    for (int b = 0; b < resamples; ++b) {
      for (double &x : resample)
        x = sorted[pick(rng)];
      out.push_back(quantile(resample, q));
    }
    return out;
  }
  // quantile()'s position in a resample of n: between ranks `below` and
  // `below + 1`, `frac` of the way.
  double pos = std::clamp(q, 0.0, 1.0) * double(n - 1);
  int64_t below = static_cast<int64_t>(std::floor(pos));
  double frac = pos - double(below);
  for (int b = 0; b < resamples; ++b) {
    if (frac == 0) {
      out.push_back(sorted[orderStatistic(0, sorted.size(), n, below, rng)]);
    } else {
      auto [low, high] =
          adjacentOrderStatistics(0, sorted.size(), n, below, rng);
      out.push_back(sorted[low] + frac * (sorted[high] - sorted[low]));
    }
  }
  return out;
}

double quantile(std::vector<double> values, double q) {
  if (values.empty())
    return 0;
  std::sort(values.begin(), values.end());
  double pos = std::clamp(q, 0.0, 1.0) * double(values.size() - 1);
  size_t below = static_cast<size_t>(std::floor(pos));
  size_t above = std::min(below + 1, values.size() - 1);
  double frac = pos - double(below);
  return values[below] + frac * (values[above] - values[below]);
}

BootstrapInterval percentileInterval(double value,
                                     const std::vector<double> &values,
                                     double confidence) {
  BootstrapInterval r;
  if (values.empty())
    return r;
  double tail = (1 - confidence) / 2;
  r.valid = true;
  r.value = value;
  r.low = quantile(values, tail);
  r.high = quantile(values, 1 - tail);
  return r;
}

BootstrapInterval bootstrapQuantileRatio(const std::vector<double> &numerator,
                                         const std::vector<double> &denominator,
                                         double q,
                                         const BootstrapOptions &options) {
  BootstrapInterval r;
  const size_t minSamples =
      static_cast<size_t>(std::max(1, options.minSamples));
  if (numerator.size() < minSamples || denominator.size() < minSamples)
    return r;
  double num = quantile(numerator, q), den = quantile(denominator, q);
  if (num <= 0 || den <= 0)
    return r;
  std::mt19937_64 rng(options.seed);
  std::vector<double> a =
      bootstrapQuantiles(numerator, q, options.resamples, rng);
  std::vector<double> b =
      bootstrapQuantiles(denominator, q, options.resamples, rng);
  std::vector<double> ratios;
  ratios.reserve(a.size());
  for (size_t i = 0; i < a.size(); ++i)
    if (b[i] > 0)
      ratios.push_back(a[i] / b[i]);
  return percentileInterval(num / den, ratios, options.confidence);
}

} // namespace goodhart
