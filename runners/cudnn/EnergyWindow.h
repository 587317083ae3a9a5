//===- EnergyWindow.h - Average power from a stepping energy counter -*- C++
//-*-===//
//
// NVML's energy counter does not count continuously: it advances in steps,
// every 20-100 ms on an H200. The energy between two arbitrary readings is
// therefore off by up to a step, and over the 10-80 ms a measurement
// samples it reads 0 or two steps: the H200 run of runner 0.4.0 gave the
// same ResNet-50 model 404 W in one identity variant and 479 W in the other.
//
// An EnergyWindow opens at the first reading whose counter differs from the
// reading before it and closes at the first such change at least `minMs`
// later. Both ends then lie on counter updates (to within one polling
// interval), so a whole number of steps is divided by the time they took.
// The caller keeps the device busy meanwhile (CudnnBackend: the model run
// back to back), so the figure is the work's steady power, not an average
// over host gaps. Pure logic: tested without a GPU (EnergyWindowTest).
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_CUDNN_ENERGYWINDOW_H
#define GOODHART_RUNNERS_CUDNN_ENERGYWINDOW_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace goodhart::cuda {

/// How long the cuDNN runner keeps a whole model running for its power, at
/// least and at most, and how much work it queues between two readings.
inline constexpr double kModelEnergyWindowMs = 250;
inline constexpr double kModelEnergyGiveUpMs = 2000;
inline constexpr double kEnergyBatchMs = 5;

class EnergyWindow {
public:
  EnergyWindow(double minMs, double giveUpMs);

  /// One reading of the counter at `atMs` (any origin, non-decreasing);
  /// nullopt when NVML gave none. True once the window is closed or has
  /// been given up (then summary() says why).
  bool add(double atMs, std::optional<uint64_t> energyMj);
  bool done() const { return closed || !failure.empty(); }

  /// When closed: "power_w", "energy_mj", "energy_wall_ms" and
  /// "energy_steps" (counter updates inside the window). Otherwise
  /// {"energy_window": why}.
  nlohmann::json summary() const;

private:
  double minMs, giveUpMs;
  std::optional<double> firstAtMs;
  std::optional<uint64_t> lastMj;
  std::optional<double> openAtMs, closeAtMs;
  uint64_t openMj = 0, closeMj = 0;
  int steps = 0;
  bool closed = false;
  std::string failure;
};

} // namespace goodhart::cuda

#endif // GOODHART_RUNNERS_CUDNN_ENERGYWINDOW_H
