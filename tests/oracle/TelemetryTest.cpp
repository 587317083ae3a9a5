//===- TelemetryTest.cpp - Power and throttling from a measurement --------===//

#include "oracle/Telemetry.h"

#include "oracle/RelativeThroughput.h"

#include "OracleTestData.h"

#include <gtest/gtest.h>

namespace goodhart {
namespace {

Measurement withExtra(nlohmann::json extra) {
  Measurement m = testing::measured(1000);
  m.extra = std::move(extra);
  return m;
}

TEST(TelemetryTest, PowerIsKnownOnlyWhenPositive) {
  EXPECT_DOUBLE_EQ(powerOf(withExtra({{"power_w", 412.5}})).watts, 412.5);
  PowerReading none = powerOf(testing::measured(1000));
  EXPECT_FALSE(none.known());
  EXPECT_EQ(none.missing, "not reported");
  // The runner's own reason is kept: NVML absent, or a counter that did
  // not advance over a short sampling.
  EXPECT_EQ(
      powerOf(withExtra({{"nvml", "libnvidia-ml.so.1 not found"}})).missing,
      "libnvidia-ml.so.1 not found");
  EXPECT_EQ(powerOf(withExtra({{"energy", "did not advance"}})).missing,
            "did not advance");
  // Runner 0.4.0 wrote 0 W instead of a reason: that is no reading either.
  PowerReading zero = powerOf(withExtra({{"power_w", 0.0}}));
  EXPECT_FALSE(zero.known());
  EXPECT_EQ(zero.missing, "no energy drawn was recorded");
  EXPECT_FALSE(powerOf(withExtra({{"power_w", "400"}})).known())
      << "not a number";
  // Over a sampling window shorter than NVML's counter steps: no figure.
  PowerReading brief =
      powerOf(withExtra({{"power_w", 479.2}, {"energy_wall_ms", 15.4}}));
  EXPECT_FALSE(brief.known());
  EXPECT_EQ(brief.missing, "energy over only 15 ms of sampling, too short "
                           "for NVML's energy counter, which steps every "
                           "20-100 ms");
  EXPECT_DOUBLE_EQ(
      powerOf(withExtra({{"power_w", 400.0}, {"energy_wall_ms", 250.0}})).watts,
      400);
}

TEST(TelemetryTest, CountsThrottledSamples) {
  ThrottleCount flags = throttleOf(withExtra({{"throttled", {0, 1, 1, 0}}}));
  EXPECT_TRUE(flags.reported);
  EXPECT_EQ(flags.throttled, 2);
  EXPECT_EQ(flags.samples, 4);
  // Only the count: the samples are the measurement's.
  ThrottleCount count = throttleOf(withExtra({{"throttled_samples", 1}}));
  EXPECT_TRUE(count.reported);
  EXPECT_EQ(count.throttled, 1);
  EXPECT_EQ(count.samples, 3);
  ThrottleCount cpu = throttleOf(testing::measured(1000));
  EXPECT_FALSE(cpu.reported);
  EXPECT_FALSE(cpu.any());
}

TEST(TelemetryTest, ThroughputPerWattIsRelScaledByThePowers) {
  // 2e12 FLOPs in 1 ms at 400 W: 2 PFLOP/s, 5000 GFLOP per joule.
  EXPECT_DOUBLE_EQ(gflopsPerWatt(2000000000000, 1e6, 400), 5000);
  EXPECT_EQ(gflopsPerWatt(100, 1, 0), 0);
  Ratio rel{true, 0.5, 0.45, 0.55};
  Measurement ref = withExtra({{"power_w", 400.0}});
  Efficiency e =
      efficiencyAgainst(1000, 1000, withExtra({{"power_w", 200.0}}), ref, rel);
  ASSERT_TRUE(e.hasRelative);
  EXPECT_DOUBLE_EQ(e.gflopsPerWatt, 1.0 / 200);
  // Half the throughput per FLOP at half the power: the same per joule.
  EXPECT_DOUBLE_EQ(e.rel, 1.0);
  EXPECT_DOUBLE_EQ(e.low, 0.9);
  EXPECT_DOUBLE_EQ(e.high, 1.1);
  Efficiency noRef =
      efficiencyAgainst(1000, 1000, withExtra({{"power_w", 200.0}}),
                        testing::measured(1000), rel);
  EXPECT_TRUE(noRef.known());
  EXPECT_FALSE(noRef.hasRelative) << "the reference drew an unknown power";
}

TEST(TelemetryTest, JudgedRunsCarryEnergyAndThrottling) {
  RunVerdict v = judgeRun(testing::gpuRun());
  ASSERT_TRUE(v.hasPower);
  double fr = 1000000 + 64 * 64, fv = 1015625 + 64 * 65;
  EXPECT_DOUBLE_EQ(v.referenceEnergy.gflopsPerWatt, fr / 1010 / 400);
  const VariantVerdict &v001 = v.variants[0];
  ASSERT_EQ(v001.key, "v001");
  EXPECT_DOUBLE_EQ(v001.energy.gflopsPerWatt, fv / 2041.25 / 300);
  ASSERT_TRUE(v001.energy.hasRelative);
  EXPECT_DOUBLE_EQ(v001.energy.rel, v001.rel.value * 400 / 300);
  const VariantVerdict &v002 = v.variants[1];
  EXPECT_FALSE(v002.energy.known());
  EXPECT_NE(v002.energy.power.missing.find("did not advance"),
            std::string::npos);
  // Layers: the conv drew 350 W on both sides; the relu reported nothing.
  const LayerVerdict &conv = v001.layers[0];
  ASSERT_TRUE(conv.energy.hasRelative);
  EXPECT_DOUBLE_EQ(conv.energy.rel, conv.rel.value);
  EXPECT_FALSE(v001.layers[1].energy.known());
  EXPECT_EQ(conv.throttledVar.throttled, 1);
  EXPECT_FALSE(conv.throttledRef.any());
  EXPECT_EQ(v.throttledComparisons, 1);

  RunVerdict cpu = judgeRun(testing::sampleRun());
  EXPECT_FALSE(cpu.hasPower);
  EXPECT_EQ(cpu.throttledComparisons, 0);
}

} // namespace
} // namespace goodhart
