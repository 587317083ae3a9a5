//===- HarnessTest.cpp - Statistics and stopping criteria -----------------===//
//
// Samples come from fake sources, so nothing here depends on how fast the
// machine is.
//
//===----------------------------------------------------------------------===//

#include "runners/common/Harness.h"
#include "runners/common/Stats.h"

#include <gtest/gtest.h>

#include <cmath>

namespace goodhart {
namespace {

TEST(StatsTest, MedianMinMean) {
  SampleStats s = computeStats({5, 1, 3, 2, 4});
  EXPECT_EQ(s.count, 5);
  EXPECT_DOUBLE_EQ(s.medianNs, 3);
  EXPECT_DOUBLE_EQ(s.minNs, 1);
  EXPECT_DOUBLE_EQ(s.meanNs, 3);
  EXPECT_DOUBLE_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(median({}), 0);
}

TEST(StatsTest, ConstantSamplesHaveNoSpread) {
  std::vector<double> same(50, 100.0);
  SampleStats s = computeStats(same);
  EXPECT_DOUBLE_EQ(s.rsd, 0);
  EXPECT_DOUBLE_EQ(s.ciLowNs, 100);
  EXPECT_DOUBLE_EQ(s.ciHighNs, 100);
}

TEST(StatsTest, ConfidenceIntervalUsesOrderStatistics) {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i)
    v.push_back(i);
  SampleStats s = computeStats(v);
  // n = 100: ranks floor(50 - 9.8) = 40 and ceil(50 + 9.8) + 1 = 61.
  EXPECT_DOUBLE_EQ(s.ciLowNs, 40);
  EXPECT_DOUBLE_EQ(s.ciHighNs, 61);
  EXPECT_LE(s.ciLowNs, s.medianNs);
  EXPECT_GE(s.ciHighNs, s.medianNs);
}

TEST(StatsTest, RsdIsRobustToOneOutlier) {
  std::vector<double> v;
  for (int i = 0; i < 40; ++i)
    v.push_back(100 + (i % 5));
  double clean = medianRsd(v);
  v.push_back(1e6); // one preempted sample
  EXPECT_LT(medianRsd(v), clean * 1.5);
  EXPECT_GT(clean, 0);
}

TEST(StoppingTest, GateHoldsBackConvergence) {
  MeasureOptions o;
  o.minSamples = 5;
  o.minTimeMs = 0;
  o.targetRsd = 0.5;
  StoppingPolicy p = StoppingPolicy::fromOptions(o);
  SampleSet s;
  s.samplesNs = {10, 10, 10};
  EXPECT_EQ(p.shouldStop(s), "");
  s.samplesNs = {10, 10, 10, 10, 10};
  EXPECT_EQ(p.shouldStop(s), "target_rsd");
}

TEST(StoppingTest, LimitsWinOverConvergence) {
  MeasureOptions o;
  o.minSamples = 3;
  o.maxSamples = 4;
  o.minTimeMs = 0;
  o.targetRsd = 1e-9;
  StoppingPolicy p = StoppingPolicy::fromOptions(o);
  SampleSet s;
  s.samplesNs = {1, 50, 3};
  EXPECT_EQ(p.shouldStop(s), "");
  s.samplesNs = {1, 50, 3, 90};
  EXPECT_EQ(p.shouldStop(s), "max_samples");
  s.samplesNs = {1, 50};
  s.elapsedMs = o.maxTimeMs + 1;
  EXPECT_EQ(p.shouldStop(s), "max_time");
}

TEST(HarnessTest, SamplesUntilConverged) {
  MeasureOptions o;
  o.warmupMs = 0;
  o.minTimeMs = 0;
  o.minSamples = 7;
  o.targetRsd = 0.01;
  int calls = 0;
  Measurement m = runMeasurement(
      [&]() -> StatusOr<double> {
        ++calls;
        return 1000.0;
      },
      o);
  EXPECT_EQ(m.status, ResultStatus::kOk);
  EXPECT_EQ(m.samplesNs.size(), 7u);
  EXPECT_EQ(m.stopReason, "target_rsd");
  EXPECT_EQ(calls, 8); // one warm-up call
  EXPECT_DOUBLE_EQ(m.stats.medianNs, 1000);
}

TEST(HarnessTest, NoisySourceStopsAtTheSampleLimit) {
  MeasureOptions o;
  o.warmupMs = 0;
  o.minTimeMs = 0;
  o.maxSamples = 30;
  o.maxTimeMs = 1e9;
  o.targetRsd = 1e-6;
  int i = 0;
  Measurement m = runMeasurement(
      [&]() -> StatusOr<double> { return 100.0 + (i++ % 7) * 10; }, o);
  EXPECT_EQ(m.samplesNs.size(), 30u);
  EXPECT_EQ(m.stopReason, "max_samples");
}

TEST(HarnessTest, FailingSampleEndsWithError) {
  MeasureOptions o;
  o.warmupMs = 0;
  int i = 0;
  Measurement m = runMeasurement(
      [&]() -> StatusOr<double> {
        if (++i == 3)
          return Status(StatusCode::kBackendError, "device lost");
        return 5.0;
      },
      o);
  EXPECT_EQ(m.status, ResultStatus::kError);
  EXPECT_EQ(m.reason, "device lost");
}

TEST(HarnessTest, AFirstRunTheLibraryRefusesIsASkip) {
  MeasureOptions o;
  o.warmupMs = 0;
  Measurement m = runMeasurement(
      []() -> StatusOr<double> {
        return Status(StatusCode::kUnsupported, "no kernel for bf16");
      },
      o);
  EXPECT_EQ(m.status, ResultStatus::kSkipped);
  EXPECT_EQ(m.reason, "no kernel for bf16");
  // After a run that worked, a refusal is the library changing its mind.
  int i = 0;
  m = runMeasurement(
      [&]() -> StatusOr<double> {
        if (++i == 2)
          return Status(StatusCode::kUnsupported, "no kernel for bf16");
        return 5.0;
      },
      o);
  EXPECT_EQ(m.status, ResultStatus::kError);
}

TEST(HarnessTest, BeforeSampleRunsEachTime) {
  MeasureOptions o;
  o.warmupMs = 0;
  o.minTimeMs = 0;
  o.minSamples = 4;
  int flushes = 0;
  Measurement m = runMeasurement([]() -> StatusOr<double> { return 1.0; }, o,
                                 [&] { ++flushes; });
  EXPECT_EQ(flushes, static_cast<int>(m.samplesNs.size()) + 1);
}

TEST(HarnessTest, CacheFlusherCoversTheLastLevelCache) {
  CacheFlusher flusher;
  EXPECT_GE(flusher.bufferBytes(), size_t(1) << 20);
  flusher.flush();
}

} // namespace
} // namespace goodhart
