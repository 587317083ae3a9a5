//===- EnergyWindowTest.cpp - Average power from a stepping counter -------===//

#include "runners/cudnn/EnergyWindow.h"

#include <gtest/gtest.h>

#include <cmath>

namespace goodhart::cuda {
namespace {

/// A counter as NVML keeps it: the energy drawn at `watts` since time 0,
/// updated only every `stepMs`.
uint64_t steppedCounter(double atMs, double watts, double stepMs) {
  double updatedAt = std::floor(atMs / stepMs) * stepMs;
  return static_cast<uint64_t>(watts * updatedAt); // W x ms = mJ
}

/// Feeds readings every `pollMs` from `startMs` until the window is done.
nlohmann::json poll(EnergyWindow &window, double startMs, double pollMs,
                    double watts, double stepMs) {
  for (double t = startMs; !window.add(t, steppedCounter(t, watts, stepMs));
       t += pollMs) {
  }
  return window.summary();
}

TEST(EnergyWindowTest, BothEndsSitOnCounterUpdates) {
  // 400 W, the counter stepping every 50 ms, read every 5 ms from t = 13:
  // the window opens at the update of t = 50 and closes on the update at
  // t = 300, the first at least 250 ms later: exactly 400 W.
  EnergyWindow window(250, 2000);
  nlohmann::json s = poll(window, 13, 5, 400, 50);
  ASSERT_TRUE(s.contains("power_w")) << s.dump();
  EXPECT_DOUBLE_EQ(s["power_w"].get<double>(), 400);
  EXPECT_DOUBLE_EQ(s["energy_wall_ms"].get<double>(), 250);
  EXPECT_EQ(s["energy_steps"], 5);
  // Two readings 60 ms apart, not aligned with the steps, would have said
  // 667 W (two steps of 50 ms in 60 ms): the bias the window removes.
  EXPECT_NEAR((steppedCounter(155, 400, 50) - steppedCounter(95, 400, 50)) /
                  60.0,
              666.7, 0.1);
}

TEST(EnergyWindowTest, APollingIntervalThatDoesNotDivideTheStepStaysClose) {
  // Read every 7 ms: each end lands up to 7 ms after its update.
  EnergyWindow window(250, 2000);
  nlohmann::json s = poll(window, 0, 7, 300, 100);
  ASSERT_TRUE(s.contains("power_w")) << s.dump();
  EXPECT_NEAR(s["power_w"].get<double>(), 300, 300 * 7.0 / 250);
  EXPECT_GE(s["energy_wall_ms"].get<double>(), 250);
}

TEST(EnergyWindowTest, GivesUpWithAReason) {
  EnergyWindow still(250, 500);
  for (double t = 0; !still.add(t, 1000); t += 10) {
  }
  EXPECT_EQ(still.summary()["energy_window"],
            "NVML's energy counter did not advance within 500 ms of running "
            "the work back to back");

  EnergyWindow none(250, 500);
  EXPECT_TRUE(none.add(0, std::nullopt));
  EXPECT_EQ(none.summary()["energy_window"], "NVML gave no energy reading");

  EnergyWindow back(250, 500);
  EXPECT_FALSE(back.add(0, 5000));
  EXPECT_TRUE(back.add(10, 4000));
  EXPECT_NE(
      back.summary()["energy_window"].get<std::string>().find("went backwards"),
      std::string::npos);
}

} // namespace
} // namespace goodhart::cuda
