//===- GpuTelemetry.h - Clocks, throttling and energy of a measurement -*- C++
//-*-===//
//
// The GPU runner reads NVML after the calls of a measurement's sample
// function (warm-up included: the harness does not say which call is
// which) and, once the measurement is done, keeps the readings of the
// timed samples: per-sample SM clocks and clock event reasons, which
// samples ran throttled, and the energy drawn while sampling. The result
// is the measurement's "extra" object (docs/RUNNER-PROTOCOL.md).
//
// A reading costs milliseconds on some hosts (3.4 ms per sample on an
// H200 virtual machine, where a ResNet-50 convolution takes 40 us), so
// NVML is read again only when `intervalMs` have passed since the last
// reading; the samples in between carry the last reading, and one more is
// taken after the last sample so the energy window closes on it.
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

/// How often the GPU runner reads NVML while sampling.
inline constexpr double kTelemetryIntervalMs = 20;

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
  TelemetryRecorder(const NvmlDevice *device, std::string unavailableReason,
                    double intervalMs = 0);
  /// After a sample completed on the device: reads NVML when `intervalMs`
  /// have passed since the last reading (or none was taken), else gives
  /// the sample the last reading.
  void afterSample();
  /// After the last sample: a fresh reading replaces the last sample's.
  void finish();
  /// With "nvml_reads" (readings taken) and "nvml_read_ms" (their median
  /// cost) besides summarizeTelemetry's keys.
  nlohmann::json summary(size_t sampled) const;

private:
  TelemetryReading readNow();

  const NvmlDevice *device;
  std::string unavailableReason;
  double intervalMs;
  std::chrono::steady_clock::time_point start;
  std::vector<TelemetryReading> readings;
  std::vector<double> readCostMs;
};

} // namespace goodhart::cuda

#endif // GOODHART_RUNNERS_CUDNN_GPUTELEMETRY_H
