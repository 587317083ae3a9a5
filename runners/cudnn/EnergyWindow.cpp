//===- EnergyWindow.cpp - Average power from a stepping energy counter ----===//

#include "runners/cudnn/EnergyWindow.h"

#include <cmath>

namespace goodhart::cuda {

EnergyWindow::EnergyWindow(double minMs, double giveUpMs)
    : minMs(minMs), giveUpMs(giveUpMs) {}

bool EnergyWindow::add(double atMs, std::optional<uint64_t> energyMj) {
  if (done())
    return true;
  if (!energyMj) {
    failure = "NVML gave no energy reading";
    return true;
  }
  if (!firstAtMs)
    firstAtMs = atMs;
  if (lastMj && *energyMj < *lastMj) {
    failure = "NVML's energy counter went backwards (the driver reloaded?)";
    return true;
  }
  const bool stepped = lastMj && *energyMj != *lastMj;
  lastMj = energyMj;
  if (stepped) {
    if (!openAtMs) {
      openAtMs = atMs;
      openMj = *energyMj;
    } else {
      ++steps;
      if (atMs - *openAtMs >= minMs) {
        closeAtMs = atMs;
        closeMj = *energyMj;
        closed = true;
        return true;
      }
    }
  }
  if (atMs - *firstAtMs >= giveUpMs)
    failure =
        "NVML's energy counter " +
        (openAtMs ? "advanced only " + std::to_string(steps + 1) + " times"
                  : std::string("did not advance")) +
        " within " + std::to_string(std::lround(atMs - *firstAtMs)) +
        " ms of running the work back to back";
  return done();
}

nlohmann::json EnergyWindow::summary() const {
  if (!closed)
    return {{"energy_window", failure.empty()
                                  ? std::string("the window did not close")
                                  : failure}};
  const double mj = static_cast<double>(closeMj - openMj);
  const double ms = *closeAtMs - *openAtMs;
  return {{"power_w", mj / ms},
          {"energy_mj", mj},
          {"energy_wall_ms", ms},
          {"energy_steps", steps}};
}

} // namespace goodhart::cuda
