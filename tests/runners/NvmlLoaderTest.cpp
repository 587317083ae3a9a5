//===- NvmlLoaderTest.cpp - NVML at run time, and telemetry summaries -----===//
//
// The real libnvidia-ml is not on CI machines: loading it must fail
// cleanly. A stand-in library (FakeNvml.cpp) checks the entry points the
// loader resolves and what the recorder makes of their readings.
//
//===----------------------------------------------------------------------===//

#include "runners/cudnn/NvmlLoader.h"
#include "runners/cudnn/GpuTelemetry.h"

#include <gtest/gtest.h>

namespace goodhart::cuda {
namespace {

TEST(NvmlLoaderTest, AMissingLibraryIsUnavailableNotAnError) {
  auto d = NvmlDevice::open("0000:01:00.0", "libgoodhart-no-such-nvml.so.1");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(d.status().message().find("NVML unavailable"), std::string::npos);
  EXPECT_NE(d.status().message().find("libgoodhart-no-such-nvml.so.1"),
            std::string::npos);
}

TEST(NvmlLoaderTest, TheDriversLibraryLoadsOrSaysWhyNot) {
  auto d = NvmlDevice::open("0000:01:00.0");
  if (d)
    GTEST_SKIP() << "an NVIDIA driver with a device at 0000:01:00.0 is here";
  EXPECT_EQ(d.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(d.status().message().find("NVML unavailable"), std::string::npos);
}

TEST(NvmlLoaderTest, FakeLibraryGivesClocksReasonsAndEnergy) {
  auto missing = NvmlDevice::open("0000:02:00.0", GOODHART_FAKE_NVML);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.status().message().find("no device at PCI bus id "
                                            "0000:02:00.0: Not Found"),
            std::string::npos)
      << missing.status().message();
  auto d = NvmlDevice::open("0000:01:00.0", GOODHART_FAKE_NVML);
  ASSERT_TRUE(d) << d.status().toString();
  EXPECT_EQ((*d)->maxSmClockMhz(), 1980u);
  EXPECT_EQ((*d)->driverVersion(), "580.65.06");
  NvmlReading first = (*d)->read(), second = (*d)->read();
  EXPECT_EQ(first.smClockMhz, 1980u);
  EXPECT_EQ(second.smClockMhz, 1500u);
  EXPECT_EQ(first.reasons, 0u);
  EXPECT_EQ(second.reasons, kNvmlReasonSwPowerCap);
  ASSERT_TRUE(first.energyMj && second.energyMj);
  EXPECT_EQ(*second.energyMj - *first.energyMj, 250u);
}

TEST(NvmlLoaderTest, RecorderKeepsTheTimedSamplesOnly) {
  auto d = NvmlDevice::open("0000:01:00.0", GOODHART_FAKE_NVML);
  ASSERT_TRUE(d) << d.status().toString();
  TelemetryRecorder recorder(d->get(), "");
  for (int i = 0; i < 5; ++i) // 2 warm-up calls, 3 samples
    recorder.afterSample();
  nlohmann::json s = recorder.summary(3);
  // The fake alternates 1980/1500 MHz per reading: readings 2..4 are the
  // samples (1980, 1500, 1980); the 1500 one also has a power cap reason.
  EXPECT_EQ(s["sm_clock_mhz"], nlohmann::json({1980, 1500, 1980}));
  EXPECT_EQ(s["throttled"], nlohmann::json({0, 1, 0}));
  EXPECT_EQ(s["throttled_samples"], 1);
  EXPECT_EQ(s["energy_mj"], 750.0);
  EXPECT_TRUE(s.contains("energy_wall_ms"));

  EXPECT_EQ(s["nvml_reads"], 5);
  EXPECT_TRUE(s.contains("nvml_read_ms"));

  TelemetryRecorder none(nullptr, "NVML unavailable: test");
  none.afterSample();
  EXPECT_EQ(none.summary(1),
            nlohmann::json({{"nvml", "NVML unavailable: test"}}));
}

TEST(NvmlLoaderTest, RecorderReadsAgainOnlyAfterTheInterval) {
  auto d = NvmlDevice::open("0000:01:00.0", GOODHART_FAKE_NVML);
  ASSERT_TRUE(d) << d.status().toString();
  // An interval no test outlasts: the first call reads, the others carry
  // that reading, and finish() reads once more for the last sample.
  TelemetryRecorder recorder(d->get(), "", 1e9);
  for (int i = 0; i < 4; ++i) // 1 warm-up call, 3 samples
    recorder.afterSample();
  recorder.finish();
  nlohmann::json s = recorder.summary(3);
  // Fake readings alternate 1980 and 1500 MHz, 250 mJ apart.
  EXPECT_EQ(s["sm_clock_mhz"], nlohmann::json({1980, 1980, 1500}));
  EXPECT_EQ(s["nvml_reads"], 2);
  EXPECT_EQ(s["energy_mj"], 250.0);
}

TEST(GpuTelemetryTest, SummaryOfSyntheticReadings) {
  auto reading = [](uint32_t mhz, uint64_t reasons, uint64_t mj, double at) {
    return TelemetryReading{NvmlReading{mhz, reasons, mj}, at};
  };
  std::vector<TelemetryReading> r = {
      reading(1980, 0, 1000, 1.0), // warm-up
      reading(1980, 0, 1400, 3.0), reading(1700, 0, 1800, 5.0),
      reading(1980, kNvmlReasonHwThermalSlowdown, 2200, 7.0),
      reading(1980, kNvmlReasonGpuIdle, 2600, 9.0)};
  nlohmann::json s = summarizeTelemetry(r, 4, 1980u);
  EXPECT_EQ(s["sm_clock_mhz"], nlohmann::json({1980, 1700, 1980, 1980}));
  EXPECT_EQ(s["sm_clock_min_mhz"], 1700);
  EXPECT_EQ(s["sm_clock_median_mhz"], 1980);
  EXPECT_EQ(s["sm_clock_max_mhz"], 1980);
  // 1700 < 0.9 * 1980; a thermal slowdown throttles; idle does not.
  EXPECT_EQ(s["throttled"], nlohmann::json({0, 1, 1, 0}));
  EXPECT_EQ(s["throttled_samples"], 2);
  EXPECT_EQ(s["energy_mj"], 1600.0);
  EXPECT_EQ(s["energy_wall_ms"], 8.0);
  EXPECT_EQ(s["power_w"], 200.0);

  // A counter that did not advance over the window is no reading of 0 W.
  std::vector<TelemetryReading> still = {reading(1980, 0, 1000, 1.0),
                                         reading(1980, 0, 1000, 13.0)};
  s = summarizeTelemetry(still, 1, 1980u);
  EXPECT_FALSE(s.contains("power_w"));
  EXPECT_FALSE(s.contains("energy_mj"));
  EXPECT_EQ(s["energy"],
            "NVML's energy counter did not advance over the 12 ms of sampling");

  // No warm-up reading: no energy; missing clocks: no clock keys.
  r[2].nvml.smClockMhz.reset();
  s = summarizeTelemetry(r, 5, std::nullopt);
  EXPECT_FALSE(s.contains("energy_mj"));
  EXPECT_FALSE(s.contains("sm_clock_mhz"));
  EXPECT_EQ(s["throttled"], nlohmann::json({0, 0, 0, 1, 0}));
  EXPECT_TRUE(summarizeTelemetry({}, 3, 1980u).empty());
}

} // namespace
} // namespace goodhart::cuda
