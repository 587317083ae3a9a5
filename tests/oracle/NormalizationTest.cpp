//===- NormalizationTest.cpp - Cross-device speed-ups, normalized ---------===//

#include "oracle/Normalization.h"
#include "oracle/DeviceFacts.h"
#include "oracle/RunComparison.h"

#include "OracleTestData.h"

#include <gtest/gtest.h>

namespace goodhart {
namespace {

TEST(DeviceFactsTest, MatchesWholeTokensOfTheDeviceName) {
  auto h100 = knownDevice("NVIDIA H100 80GB HBM3");
  ASSERT_TRUE(h100);
  EXPECT_EQ(h100->die, "GH100");
  EXPECT_DOUBLE_EQ(h100->transistorsBillions, 80);
  EXPECT_EQ(knownDevice("NVIDIA A100-SXM4-80GB")->die, "GA100");
  EXPECT_EQ(knownDevice("NVIDIA GH200 480GB")->product, "GH200");
  EXPECT_EQ(knownDevice("Tesla T4")->die, "TU104");
  EXPECT_EQ(knownDevice("NVIDIA GeForce RTX 4090")->die, "AD102");
  EXPECT_DOUBLE_EQ(knownDevice("AMD Instinct MI300X")->transistorsBillions,
                   153);
  // An L4 is not an L40S, and an L40S not an L4.
  EXPECT_EQ(knownDevice("NVIDIA L4")->die, "AD104");
  EXPECT_EQ(knownDevice("NVIDIA L40S")->product, "L40S");
  EXPECT_EQ(knownDevice("nvidia a10")->product, "A10") << "case ignored";
  EXPECT_FALSE(knownDevice("Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz"));
  EXPECT_FALSE(knownDevice(""));
}

/// `run` with every time multiplied by `factor`.
RunData scaledTimes(RunData run, double factor) {
  auto scale = [&](Measurement &m) {
    for (double &ns : m.samplesNs)
      ns *= factor;
    for (double *ns : {&m.stats.medianNs, &m.stats.minNs, &m.stats.meanNs,
                       &m.stats.ciLowNs, &m.stats.ciHighNs})
      *ns *= factor;
  };
  for (VariantRecord &v : run.variants) {
    for (LayerResult &l : v.layers)
      scale(l.measurement);
    if (v.model)
      scale(v.model->measurement);
  }
  return run;
}

const NormalizedSpeedup &basis(const RunComparison &c,
                               const std::string &name) {
  for (const NormalizedSpeedup &n : c.normalized)
    if (n.basis == name)
      return n;
  ADD_FAILURE() << "no basis " << name;
  return c.normalized.front();
}

TEST(NormalizationTest, ASpeedUpPerFlopWattPeakAndTransistor) {
  // Baseline: an A100 at 400 W with a 1000 GFLOP/s f32 peak. Candidate:
  // an H100, twice as fast, at 600 W with a 4000 GFLOP/s peak.
  RunData baseline = testing::gpuRun();
  baseline.run.device = "NVIDIA A100-SXM4-80GB";
  baseline.run.runner["peak_gflops"] = {{"f32", 1000.0}};
  RunData candidate = scaledTimes(testing::gpuRun(), 0.5);
  candidate.run.device = "NVIDIA H100 80GB HBM3";
  candidate.run.runner["peak_gflops"] = {{"f32", 4000.0}};
  candidate.variants[0].model->measurement.extra["power_w"] = 600.0;

  RunComparison c = compareRuns(baseline, candidate);
  ASSERT_EQ(c.normalized.size(), 4u);
  const NormalizedSpeedup &flop = basis(c, "FLOP");
  ASSERT_TRUE(flop.speedup.valid) << flop.missing;
  EXPECT_NEAR(flop.speedup.value, 2, 1e-9);
  EXPECT_EQ(flop.baseline, "994.2 GFLOP/s");
  EXPECT_EQ(flop.candidate, "1988 GFLOP/s");
  EXPECT_NEAR(basis(c, "watt").speedup.value, 2 * 400.0 / 600, 1e-9);
  EXPECT_EQ(basis(c, "watt").candidate, "600 W");
  EXPECT_NEAR(basis(c, "peak").speedup.value, 2 * 1000.0 / 4000, 1e-9);
  EXPECT_EQ(basis(c, "peak").baseline, "1000 GFLOP/s f32 peak");
  const NormalizedSpeedup &transistor = basis(c, "transistor");
  EXPECT_NEAR(transistor.speedup.value, 2 * 54.2 / 80, 1e-9);
  EXPECT_EQ(transistor.baseline, "54.2 billion (GA100)");
  // The interval scales with the value.
  EXPECT_NEAR(transistor.speedup.low, flop.speedup.low * 54.2 / 80, 1e-9);

  // A count given on the command line wins over the table.
  RunComparison given = compareRuns(baseline, candidate, {}, {{}, 100.0});
  EXPECT_NEAR(basis(given, "transistor").speedup.value, 2 * 54.2 / 100, 1e-9);
  EXPECT_EQ(basis(given, "transistor").candidate, "100 billion (given)");
}

TEST(NormalizationTest, AMissingAmountSaysWhichSideAndWhy) {
  // Two CPU runs: no power, no peak, no transistor count.
  RunComparison c = compareRuns(testing::sampleRun(), testing::sampleRun());
  EXPECT_TRUE(basis(c, "FLOP").speedup.valid);
  EXPECT_FALSE(basis(c, "watt").speedup.valid);
  EXPECT_EQ(basis(c, "watt").missing, "baseline: the runner reports no power");
  EXPECT_EQ(basis(c, "peak").missing,
            "baseline: the runner measured no peak for f32");
  EXPECT_EQ(basis(c, "transistor").missing,
            "baseline: 'Test CPU' is not in the transistor table: give its "
            "count in billions");
  RunComparison cpuGiven =
      compareRuns(testing::sampleRun(), testing::sampleRun(), {}, {60.0, 60.0});
  EXPECT_NEAR(basis(cpuGiven, "transistor").speedup.value, 1, 1e-9);
}

} // namespace
} // namespace goodhart
