//===- Stats.cpp - Statistics of timing samples ---------------------------===//

#include "runners/common/Stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace goodhart {

double median(std::vector<double> values) {
  if (values.empty())
    return 0;
  size_t n = values.size();
  std::nth_element(values.begin(), values.begin() + n / 2, values.end());
  double upper = values[n / 2];
  if (n % 2)
    return upper;
  double lower = *std::max_element(values.begin(), values.begin() + n / 2);
  return (lower + upper) / 2;
}

double medianRsd(const std::vector<double> &values) {
  if (values.size() < 2)
    return 0;
  double m = median(values);
  if (m <= 0)
    return 0;
  std::vector<double> deviations;
  deviations.reserve(values.size());
  for (double v : values)
    deviations.push_back(std::abs(v - m));
  double sigma = 1.4826 * median(deviations);
  double standardError =
      std::sqrt(M_PI / 2) * sigma / std::sqrt(double(values.size()));
  return standardError / m;
}

SampleStats computeStats(const std::vector<double> &samples) {
  SampleStats s;
  s.count = static_cast<int64_t>(samples.size());
  if (samples.empty())
    return s;
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  s.medianNs = median(sorted);
  s.minNs = sorted.front();
  s.meanNs = std::accumulate(sorted.begin(), sorted.end(), 0.0) /
             static_cast<double>(sorted.size());
  s.rsd = medianRsd(sorted);
  const double n = static_cast<double>(sorted.size());
  if (sorted.size() < 6) {
    s.ciLowNs = sorted.front();
    s.ciHighNs = sorted.back();
    return s;
  }
  // 1-based ranks j and k of the order statistics bounding the median.
  double half = 1.96 * std::sqrt(n) / 2;
  int64_t j =
      std::max<int64_t>(1, static_cast<int64_t>(std::floor(n / 2 - half)));
  int64_t k =
      std::min<int64_t>(static_cast<int64_t>(n),
                        static_cast<int64_t>(std::ceil(n / 2 + half)) + 1);
  s.ciLowNs = sorted[j - 1];
  s.ciHighNs = sorted[k - 1];
  return s;
}

} // namespace goodhart
