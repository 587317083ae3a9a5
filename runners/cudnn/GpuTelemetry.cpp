//===- GpuTelemetry.cpp - Clocks, throttling and energy of a measurement --===//

#include "runners/cudnn/GpuTelemetry.h"

#include <algorithm>

namespace goodhart::cuda {

nlohmann::json summarizeTelemetry(const std::vector<TelemetryReading> &readings,
                                  size_t sampled,
                                  std::optional<uint32_t> maxSmClockMhz) {
  nlohmann::json extra = nlohmann::json::object();
  sampled = std::min(sampled, readings.size());
  if (sampled == 0)
    return extra;
  const size_t first = readings.size() - sampled;
  std::vector<uint32_t> clocks;
  std::vector<uint64_t> reasons;
  for (size_t i = first; i < readings.size(); ++i) {
    if (readings[i].nvml.smClockMhz)
      clocks.push_back(*readings[i].nvml.smClockMhz);
    if (readings[i].nvml.reasons)
      reasons.push_back(*readings[i].nvml.reasons);
  }
  const bool allClocks = clocks.size() == sampled;
  const bool allReasons = reasons.size() == sampled;
  if (maxSmClockMhz)
    extra["sm_clock_max_mhz"] = *maxSmClockMhz;
  if (allClocks) {
    extra["sm_clock_mhz"] = clocks;
    std::vector<uint32_t> sorted = clocks;
    std::sort(sorted.begin(), sorted.end());
    extra["sm_clock_min_mhz"] = sorted.front();
    extra["sm_clock_median_mhz"] = sorted[sorted.size() / 2];
  }
  if (allReasons)
    extra["throttle_reasons"] = reasons;
  const bool byClock = allClocks && maxSmClockMhz && *maxSmClockMhz > 0;
  if (byClock || allReasons) {
    std::vector<int> throttled(sampled, 0);
    int64_t count = 0;
    for (size_t i = 0; i < sampled; ++i) {
      bool slow =
          byClock && clocks[i] < kThrottleClockFraction *
                                     static_cast<double>(*maxSmClockMhz);
      bool reason = allReasons && (reasons[i] & kNvmlThrottleReasons) != 0;
      throttled[i] = slow || reason;
      count += throttled[i];
    }
    extra["throttled"] = throttled;
    extra["throttled_samples"] = count;
  }
  // Energy over the timed samples: from the reading after the last warm-up
  // call to the reading after the last sample.
  if (first > 0 && readings[first - 1].nvml.energyMj &&
      readings.back().nvml.energyMj &&
      *readings.back().nvml.energyMj >= *readings[first - 1].nvml.energyMj) {
    const double mj = static_cast<double>(*readings.back().nvml.energyMj -
                                          *readings[first - 1].nvml.energyMj);
    const double ms = readings.back().atMs - readings[first - 1].atMs;
    if (mj > 0 && ms > 0) {
      extra["energy_mj"] = mj;
      extra["energy_wall_ms"] = ms;
      extra["power_w"] = mj / ms;
    } else {
      // The counter advances in steps (about every 20-100 ms on an H200):
      // over a shorter window it reads 0, which is no measurement of 0 W.
      extra["energy"] = "NVML's energy counter did not advance over the " +
                        std::to_string(static_cast<int64_t>(ms)) +
                        " ms of sampling";
    }
  }
  return extra;
}

TelemetryRecorder::TelemetryRecorder(const NvmlDevice *device,
                                     std::string unavailableReason,
                                     double intervalMs)
    : device(device), unavailableReason(std::move(unavailableReason)),
      intervalMs(intervalMs), start(std::chrono::steady_clock::now()) {}

TelemetryReading TelemetryRecorder::readNow() {
  auto before = std::chrono::steady_clock::now();
  TelemetryReading r;
  r.nvml = device->read();
  auto after = std::chrono::steady_clock::now();
  r.atMs = std::chrono::duration<double, std::milli>(after - start).count();
  readCostMs.push_back(
      std::chrono::duration<double, std::milli>(after - before).count());
  return r;
}

void TelemetryRecorder::afterSample() {
  if (!device)
    return;
  const double now = std::chrono::duration<double, std::milli>(
                         std::chrono::steady_clock::now() - start)
                         .count();
  if (readings.empty() || now - readings.back().atMs >= intervalMs)
    readings.push_back(readNow());
  else
    readings.push_back(readings.back());
}

void TelemetryRecorder::finish() {
  if (device && !readings.empty())
    readings.back() = readNow();
}

nlohmann::json TelemetryRecorder::summary(size_t sampled) const {
  if (!device)
    return {{"nvml", unavailableReason}};
  nlohmann::json extra =
      summarizeTelemetry(readings, sampled, device->maxSmClockMhz());
  if (!readCostMs.empty()) {
    std::vector<double> costs = readCostMs;
    std::sort(costs.begin(), costs.end());
    extra["nvml_reads"] = costs.size();
    extra["nvml_read_ms"] = costs[costs.size() / 2];
  }
  return extra;
}

} // namespace goodhart::cuda
