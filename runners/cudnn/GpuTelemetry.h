//===- GpuTelemetry.h - Clocks, throttling and energy of a measurement -*- C++
//-*-===//
//
// The GPU runner reads NVML after every call of a measurement's sample
// function (warm-up included: the harness does not say which call is
// which) and, once the measurement is done, keeps the readings of the
// timed samples: per-sample SM clocks and clock event reasons, which
// samples ran throttled, and the energy drawn while sampling. The result
// is the measurement's "extra" object (docs/RUNNER-PROTOCOL.md).
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_CUDNN_GPUTELEMETRY_H
#define GOODHART_RUNNERS_CUDNN_GPUTELEMETRY_H

#include "runners/cudnn/NvmlLoader.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace goodhart::cuda {

struct TelemetryReading {
  NvmlReading nvml;
  double atMs = 0; // since the recorder started
};

/// A sample counts as throttled when its SM clock is below this fraction
/// of the device's maximum, or NVML gives a throttling reason.
inline constexpr double kThrottleClockFraction = 0.9;

/// The "extra" facts of a measurement from `readings`, one per sample
/// function call, of which the last `sampled` were the timed samples.
/// Keys are left out where NVML did not give what they need.
nlohmann::json summarizeTelemetry(const std::vector<TelemetryReading> &readings,
                                  size_t sampled,
                                  std::optional<uint32_t> maxSmClockMhz);

/// Collects readings for one measurement. Without NVML (null device) the
/// summary is {"nvml": why}.
class TelemetryRecorder {
public:
  TelemetryRecorder(const NvmlDevice *device, std::string unavailableReason);
  /// Reads NVML now (after a sample completed on the device).
  void afterSample();
  nlohmann::json summary(size_t sampled) const;

private:
  const NvmlDevice *device;
  std::string unavailableReason;
  std::chrono::steady_clock::time_point start;
  std::vector<TelemetryReading> readings;
};

} // namespace goodhart::cuda

#endif // GOODHART_RUNNERS_CUDNN_GPUTELEMETRY_H
