//===- TimeStatisticTest.cpp - Which statistic of the samples is a time ---===//

#include "oracle/TimeStatistic.h"

#include "oracle/RelativeThroughput.h"
#include "runners/common/Stats.h"

#include <gtest/gtest.h>

#include <random>

namespace goodhart {
namespace {

TEST(TimeStatisticTest, NamesParseBack) {
  EXPECT_EQ(TimeStatistic{}.name(), "min");
  EXPECT_EQ(TimeStatistic{0.5}.name(), "median");
  EXPECT_EQ(TimeStatistic{0.1}.name(), "p10");
  EXPECT_EQ(TimeStatistic{0.025}.name(), "p2.5");
  for (const char *text : {"min", "median", "p10", "p2.5", "p0", "p99"}) {
    auto parsed = TimeStatistic::parse(text);
    ASSERT_TRUE(parsed) << text << ": " << parsed.status().message();
    EXPECT_EQ(parsed->name(), text == std::string("p0") ? "min" : text);
  }
  EXPECT_DOUBLE_EQ(TimeStatistic::parse("p25")->quantile, 0.25);
}

TEST(TimeStatisticTest, OtherTextIsAnErrorThatSaysWhatIsAccepted) {
  for (const char *text : {"", "mean", "p", "p100", "p-1", "p10x", "P10"}) {
    auto parsed = TimeStatistic::parse(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_NE(parsed.status().message().find("min, median or pNN"),
              std::string::npos)
        << parsed.status().message();
    EXPECT_NE(parsed.status().message().find(std::string("'") + text + "'"),
              std::string::npos)
        << parsed.status().message();
  }
}

TEST(TimeStatisticTest, TimeComesFromTheSamplesElseFromTheSummary) {
  Measurement m;
  m.samplesNs = {50, 10, 40, 20, 30};
  m.stats = computeStats(m.samplesNs);
  EXPECT_DOUBLE_EQ(timeOf(m, TimeStatistic{}), 10);
  EXPECT_DOUBLE_EQ(timeOf(m, TimeStatistic{0.5}), 30);
  EXPECT_DOUBLE_EQ(timeOf(m, TimeStatistic{0.25}), 20);
  // A summary without samples (an older database, a runner that keeps
  // none): its minimum or its median.
  Measurement summary;
  summary.stats.minNs = 7;
  summary.stats.medianNs = 9;
  EXPECT_DOUBLE_EQ(timeOf(summary, TimeStatistic{}), 7);
  EXPECT_DOUBLE_EQ(timeOf(summary, TimeStatistic{0.5}), 9);
  EXPECT_DOUBLE_EQ(timeOf(summary, TimeStatistic{0.1}), 9);
}

TEST(TimeStatisticTest, BoundsKeepTheMediansRelativeWidth) {
  Measurement m;
  m.samplesNs = {80, 100, 120};
  m.stats.medianNs = 100;
  m.stats.ciLowNs = 90;
  m.stats.ciHighNs = 125;
  auto [low, high] = timeBounds(m, TimeStatistic{});
  EXPECT_DOUBLE_EQ(low, 80 * 0.9);
  EXPECT_DOUBLE_EQ(high, 80 * 1.25);
  m.stats.ciLowNs = 0; // no interval: a point
  auto [pLow, pHigh] = timeBounds(m, TimeStatistic{});
  EXPECT_DOUBLE_EQ(pLow, 80);
  EXPECT_DOUBLE_EQ(pHigh, 80);
}

/// `n` samples of a `base` ns kernel with additive, positive noise: most
/// samples a little above base, a `slowShare` of them in a slow regime
/// `slowdown` times base (a neighbour's traffic, a preemption).
Measurement noisy(double base, size_t n, double slowShare, double slowdown,
                  uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> jitter(1 / (0.01 * base));
  std::uniform_real_distribution<double> uniform(0, 1);
  Measurement m;
  for (size_t i = 0; i < n; ++i)
    m.samplesNs.push_back(base * (uniform(rng) < slowShare ? slowdown : 1) +
                          jitter(rng));
  m.stats = computeStats(m.samplesNs);
  return m;
}

TEST(TimeStatisticTest, TheMinimumIgnoresASlowRegimeTheMedianReports) {
  // The same 10 us kernel measured twice; the second time more than half
  // of its samples fell in a 30% slower regime. Its cost did not change.
  Measurement quiet = noisy(10000, 400, 0.05, 1.3, 1);
  Measurement disturbed = noisy(10000, 400, 0.6, 1.3, 2);
  OracleOptions byMin, byMedian;
  byMedian.statistic = TimeStatistic{0.5};
  Ratio min = relativeThroughput(1000, quiet, 1000, disturbed, byMin);
  Ratio median = relativeThroughput(1000, quiet, 1000, disturbed, byMedian);
  ASSERT_TRUE(min.valid && median.valid);
  EXPECT_NEAR(min.value, 1, 0.01);
  EXPECT_EQ(judge(min, byMin), Verdict::kSame);
  EXPECT_LT(median.value, 0.85);
  EXPECT_EQ(judge(median, byMedian), Verdict::kSlower);
  // A real slowdown moves the minimum too.
  Measurement slower = noisy(12000, 400, 0.05, 1.3, 3);
  EXPECT_EQ(judge(relativeThroughput(1000, quiet, 1000, slower, byMin), byMin),
            Verdict::kSlower);
}

} // namespace
} // namespace goodhart
