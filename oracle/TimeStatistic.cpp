//===- TimeStatistic.cpp - Which statistic of the samples is a time -------===//

#include "oracle/TimeStatistic.h"

#include "oracle/Bootstrap.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace goodhart {

std::string TimeStatistic::name() const {
  if (quantile <= 0)
    return "min";
  if (quantile == 0.5)
    return "median";
  return fmt::format("p{:g}", 100 * quantile);
}

StatusOr<TimeStatistic> TimeStatistic::parse(std::string_view text) {
  if (text == "min")
    return TimeStatistic{0};
  if (text == "median")
    return TimeStatistic{0.5};
  double percent = -1;
  if (text.size() > 1 && text.front() == 'p') {
    std::string_view digits = text.substr(1);
    auto [end, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), percent);
    if (ec != std::errc() || end != digits.data() + digits.size())
      percent = -1;
  }
  if (!(percent >= 0 && percent < 100))
    return invalidInput(fmt::format(
        "statistic '{}': expected min, median or pNN with 0 <= NN < 100 "
        "(p10: the 10th percentile of the samples)",
        text));
  return TimeStatistic{percent / 100};
}

double timeOf(const Measurement &m, const TimeStatistic &statistic) {
  const std::vector<double> &s = m.samplesNs;
  if (!s.empty())
    return statistic.quantile <= 0 ? *std::min_element(s.begin(), s.end())
                                   : quantile(s, statistic.quantile);
  if (statistic.quantile <= 0 && m.stats.minNs > 0)
    return m.stats.minNs;
  return m.stats.medianNs;
}

std::pair<double, double> timeBounds(const Measurement &m,
                                     const TimeStatistic &statistic) {
  double value = timeOf(m, statistic);
  const SampleStats &st = m.stats;
  if (st.medianNs <= 0 || st.ciLowNs <= 0 || st.ciHighNs <= 0)
    return {value, value};
  return {value * st.ciLowNs / st.medianNs, value * st.ciHighNs / st.medianNs};
}

} // namespace goodhart
