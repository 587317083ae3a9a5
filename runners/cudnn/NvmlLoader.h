//===- NvmlLoader.h - NVML loaded at run time, when present -----*- C++ -*-===//
//
// Clocks, clock event (throttle) reasons and energy come from NVML, which
// ships with the driver, not the toolkit: the runner loads it with dlopen
// and declares the few entry points it calls itself (signatures as in
// nvml.h), so it builds without nvml.h and runs without the library. A
// missing library or symbol is a clean kUnsupported, never a failure.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_CUDNN_NVMLLOADER_H
#define GOODHART_RUNNERS_CUDNN_NVMLLOADER_H

#include "runners/common/Status.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace goodhart::cuda {

/// nvml.h's nvmlClocksEventReason* (formerly nvmlClocksThrottleReason*)
/// bits that goodhart reads.
inline constexpr uint64_t kNvmlReasonGpuIdle = 0x1;
inline constexpr uint64_t kNvmlReasonSwPowerCap = 0x4;
inline constexpr uint64_t kNvmlReasonHwSlowdown = 0x8;
inline constexpr uint64_t kNvmlReasonSwThermalSlowdown = 0x20;
inline constexpr uint64_t kNvmlReasonHwThermalSlowdown = 0x40;
inline constexpr uint64_t kNvmlReasonHwPowerBrakeSlowdown = 0x80;
/// The reasons that mean the GPU is held below the clock it would run at.
inline constexpr uint64_t kNvmlThrottleReasons =
    kNvmlReasonSwPowerCap | kNvmlReasonHwSlowdown |
    kNvmlReasonSwThermalSlowdown | kNvmlReasonHwThermalSlowdown |
    kNvmlReasonHwPowerBrakeSlowdown;

/// One reading of the device; a field NVML could not give is empty.
struct NvmlReading {
  std::optional<uint32_t> smClockMhz;
  std::optional<uint64_t> reasons;  // clock event reason bits
  std::optional<uint64_t> energyMj; // since the driver loaded
};

struct NvmlApi; // the resolved entry points

/// NVML opened on one device; shuts NVML down and unloads it when
/// destroyed.
class NvmlDevice {
public:
  /// Loads `library` (dlopen), initializes NVML and finds the device with
  /// PCI bus id `pciBusId` (as cudaDeviceGetPCIBusId writes it).
  /// kUnsupported with the reason when any of it is not possible.
  static StatusOr<std::unique_ptr<NvmlDevice>>
  open(const std::string &pciBusId,
       const std::string &library = "libnvidia-ml.so.1");
  ~NvmlDevice();
  NvmlDevice(const NvmlDevice &) = delete;
  NvmlDevice &operator=(const NvmlDevice &) = delete;

  /// The device's maximum SM clock, when NVML gives it.
  std::optional<uint32_t> maxSmClockMhz() const { return maxSmClock; }
  /// The driver version string NVML reports ("580.65.06"), or "".
  const std::string &driverVersion() const { return driver; }
  /// The SM clock, clock event reasons and energy counter now.
  NvmlReading read() const;

private:
  NvmlDevice() = default;

  void *handle = nullptr;       // dlopen handle
  std::unique_ptr<NvmlApi> api; // resolved symbols
  void *device = nullptr;       // nvmlDevice_t
  std::optional<uint32_t> maxSmClock;
  std::string driver;
};

} // namespace goodhart::cuda

#endif // GOODHART_RUNNERS_CUDNN_NVMLLOADER_H
