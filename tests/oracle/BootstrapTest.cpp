//===- BootstrapTest.cpp - Percentile bootstrap of medians and ratios -----===//

#include "oracle/Bootstrap.h"

#include "runners/common/Stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace goodhart {
namespace {

/// `n` timing samples around `center` with a few percent of spread and an
/// occasional slow outlier, from a fixed seed.
std::vector<double> samples(size_t n, double center, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, 0.03 * center);
  std::vector<double> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back(center + noise(rng) + (i % 17 == 0 ? 0.5 * center : 0));
  return out;
}

TEST(BootstrapTest, MediansOfResamplesComeFromTheSamples) {
  std::vector<double> odd = {5, 1, 4, 2, 3};
  std::mt19937_64 rng(7);
  std::vector<double> medians = bootstrapMedians(odd, 500, rng);
  ASSERT_EQ(medians.size(), 500u);
  for (double m : medians)
    EXPECT_NE(std::find(odd.begin(), odd.end(), m), odd.end()) << m;
  // The middle value is the most likely resample median.
  EXPECT_GT(std::count(medians.begin(), medians.end(), 3.0), 100);
  EXPECT_GT(std::count(medians.begin(), medians.end(), 1.0), 0);
  EXPECT_GT(std::count(medians.begin(), medians.end(), 5.0), 0);

  // Even counts average two adjacent order statistics of the resample.
  std::vector<double> even = {1, 2, 3, 4};
  std::vector<double> evenMedians = bootstrapMedians(even, 500, rng);
  for (double m : evenMedians) {
    EXPECT_GE(m, 1);
    EXPECT_LE(m, 4);
    EXPECT_DOUBLE_EQ(m * 2, std::round(m * 2)) << m;
  }
  EXPECT_GT(std::count(evenMedians.begin(), evenMedians.end(), 2.5), 100);
}

TEST(BootstrapTest, ResampleQuantileMatchesDirectResampling) {
  // Above 512 samples the O(log n) draw stands in for sorting a real
  // resample: the quantiles of both agree within Monte Carlo error, for odd
  // and even counts (the median of an even count is the mean of two adjacent
  // order statistics), for the minimum and a low percentile too.
  for (double q : {0.5, 0.1, 0.0})
    for (size_t n : {2001u, 2000u}) {
      std::vector<double> s = samples(n, 100, 3);
      std::mt19937_64 rng(11);
      std::vector<double> fast = bootstrapQuantiles(s, q, 4000, rng);
      std::vector<double> direct;
      std::uniform_int_distribution<size_t> pick(0, s.size() - 1);
      for (int b = 0; b < 4000; ++b) {
        std::vector<double> r;
        for (size_t i = 0; i < s.size(); ++i)
          r.push_back(s[pick(rng)]);
        direct.push_back(quantile(r, q));
      }
      for (double p : {0.025, 0.25, 0.5, 0.75, 0.975})
        EXPECT_NEAR(quantile(fast, p), quantile(direct, p), 0.15)
            << "q " << q << " n " << n << " quantile " << p;
    }
}

TEST(BootstrapTest, ResampledMinimaAreMostOftenTheMinimum) {
  std::vector<double> s = {5, 1, 4, 2, 3};
  std::mt19937_64 rng(7);
  std::vector<double> minima = bootstrapQuantiles(s, 0, 1000, rng);
  ASSERT_EQ(minima.size(), 1000u);
  for (double m : minima)
    EXPECT_NE(std::find(s.begin(), s.end(), m), s.end()) << m;
  // A resample of 5 holds the minimum with probability 1 - (4/5)^5 = 0.67.
  EXPECT_NEAR(std::count(minima.begin(), minima.end(), 1.0), 672, 60);
  EXPECT_EQ(std::count(minima.begin(), minima.end(), 5.0), 0);
}

TEST(BootstrapTest, QuantileRatioOfMinima) {
  std::vector<double> ref = samples(60, 100, 1), var = samples(60, 150, 2);
  BootstrapInterval r = bootstrapQuantileRatio(ref, var, 0);
  ASSERT_TRUE(r.valid);
  EXPECT_DOUBLE_EQ(r.value, *std::min_element(ref.begin(), ref.end()) /
                                *std::min_element(var.begin(), var.end()));
  EXPECT_LE(r.low, r.value);
  EXPECT_GE(r.high, r.value);
  EXPECT_NEAR(r.value, 100.0 / 150.0, 0.05);
  // The median is the 0.5 quantile: the same interval, draw for draw.
  BootstrapInterval median = bootstrapMedianRatio(ref, var);
  BootstrapInterval half = bootstrapQuantileRatio(ref, var, 0.5);
  EXPECT_EQ(median.low, half.low);
  EXPECT_EQ(median.high, half.high);
}

TEST(BootstrapTest, IntervalContainsThePointEstimate) {
  std::vector<double> ref = samples(60, 100, 1), var = samples(60, 150, 2);
  BootstrapInterval r = bootstrapMedianRatio(ref, var);
  ASSERT_TRUE(r.valid);
  EXPECT_DOUBLE_EQ(r.value, median(ref) / median(var));
  EXPECT_LT(r.low, r.value);
  EXPECT_GT(r.high, r.value);
  EXPECT_NEAR(r.value, 100.0 / 150.0, 0.03);
  EXPECT_GT(r.low, 0.6);
  EXPECT_LT(r.high, 0.73);
}

TEST(BootstrapTest, NarrowsWithMoreSamples) {
  BootstrapInterval few =
      bootstrapMedianRatio(samples(20, 100, 1), samples(20, 100, 2));
  BootstrapInterval many =
      bootstrapMedianRatio(samples(2000, 100, 1), samples(2000, 100, 2));
  ASSERT_TRUE(few.valid && many.valid);
  EXPECT_LT(many.high - many.low, 0.5 * (few.high - few.low));
}

TEST(BootstrapTest, IdenticalSampleSetsGiveAnIntervalAroundOne) {
  std::vector<double> s = samples(100, 250, 5);
  BootstrapInterval r = bootstrapMedianRatio(s, s);
  ASSERT_TRUE(r.valid);
  EXPECT_DOUBLE_EQ(r.value, 1.0);
  EXPECT_LT(r.low, 1.0);
  EXPECT_GT(r.high, 1.0);
  EXPECT_GT(r.low, 0.97);
  EXPECT_LT(r.high, 1.03);
}

TEST(BootstrapTest, SameSeedSameIntervalOtherSeedOtherInterval) {
  std::vector<double> a = samples(50, 100, 1), b = samples(50, 120, 2);
  BootstrapOptions o;
  BootstrapInterval first = bootstrapMedianRatio(a, b, o);
  BootstrapInterval second = bootstrapMedianRatio(a, b, o);
  EXPECT_EQ(first.low, second.low);
  EXPECT_EQ(first.high, second.high);
  o.seed = 12345;
  BootstrapInterval other = bootstrapMedianRatio(a, b, o);
  EXPECT_EQ(other.value, first.value);
  EXPECT_TRUE(other.low != first.low || other.high != first.high);
}

TEST(BootstrapTest, TooFewSamplesOrNonPositiveMediansAreInvalid) {
  std::vector<double> four = {1, 2, 3, 4}, five = {1, 2, 3, 4, 5};
  EXPECT_FALSE(bootstrapMedianRatio(four, five).valid);
  EXPECT_FALSE(bootstrapMedianRatio(five, four).valid);
  EXPECT_TRUE(bootstrapMedianRatio(five, five).valid);
  EXPECT_FALSE(bootstrapMedianRatio(five, {0, 0, 0, 0, 0}).valid);
  EXPECT_FALSE(bootstrapMedianRatio({}, five).valid);
}

TEST(BootstrapTest, Quantiles) {
  EXPECT_DOUBLE_EQ(quantile({3, 1, 2}, 0.5), 2);
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4, 5}, 0), 1);
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4, 5}, 1), 5);
  EXPECT_DOUBLE_EQ(quantile({}, 0.5), 0);
}

} // namespace
} // namespace goodhart
