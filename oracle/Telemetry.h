//===- Telemetry.h - Power and throttling from a measurement's extra -*- C++
//-*-===//
//
// A GPU runner reports, with each measurement, what the device did while it
// sampled (docs/RUNNER-PROTOCOL.md, "extra"): the SM clock and whether the
// device throttled, per sample, and the energy drawn. The oracle reads two
// things from it:
//
// - the average power, which turns throughput per FLOP into throughput per
//   watt: (F / t) / P is FLOPs per joule, so a variant's efficiency against
//   the reference's is rel * P_ref / P_var;
// - how many samples ran throttled, which makes a time, and a verdict built
//   on it, suspect.
//
// The power is NVML's energy counter over the whole sampling window, host
// gaps between samples included, so it is a lower bound of the kernels'
// own power and has no interval: the per-watt ratio's interval is rel's,
// scaled. Backends that report neither (oneDNN) leave both unknown.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_ORACLE_TELEMETRY_H
#define GOODHART_ORACLE_TELEMETRY_H

#include "runners/common/Protocol.h"

#include <cstdint>
#include <string>

namespace goodhart {

struct Ratio;

/// A power figure over a shorter window is not used: NVML's energy counter
/// steps every 20-100 ms, so over 15 ms it reads 0 or a whole step (the
/// H200 run of runner 0.4.0 gave one model 404 W and 479 W). The cuDNN
/// runner's energy window (power_source "energy window") is long enough.
inline constexpr double kMinEnergyWindowMs = 200;

/// The average power a measurement drew while sampling.
struct PowerReading {
  double watts = 0;    // > 0 when known
  std::string missing; // why unknown: the runner's reason or "not reported"
  bool known() const { return watts > 0; }
};
PowerReading powerOf(const Measurement &m);

/// How many of a measurement's samples ran throttled (the runner's
/// judgement: a GPU runner flags an SM clock below 90% of the maximum or a
/// power, thermal or hardware slowdown reason).
struct ThrottleCount {
  bool reported = false;
  int64_t throttled = 0, samples = 0;
  bool any() const { return throttled > 0; }
};
ThrottleCount throttleOf(const Measurement &m);

/// GFLOP/s per watt, which is GFLOP per joule, of `flops` in `ns` at
/// `watts`; 0 when any of them is not positive.
double gflopsPerWatt(int64_t flops, double ns, double watts);

/// Throughput per watt of one side of a comparison, and against the
/// reference: `rel` (throughput per FLOP) times P_ref / P_var, valid only
/// when both powers are known.
struct Efficiency {
  PowerReading power;       // this side's
  double gflopsPerWatt = 0; // this side's; 0 when its power is unknown
  bool hasRelative = false;
  double rel = 0, low = 0, high = 0; // against the reference
  bool known() const { return gflopsPerWatt > 0; }
};

/// The reference side alone (no relative figure).
Efficiency efficiencyOf(int64_t flops, double ns, const Measurement &m);
/// A variant side against the reference measurement `ref`.
Efficiency efficiencyAgainst(int64_t flops, double ns, const Measurement &m,
                             const Measurement &ref, const Ratio &rel);

} // namespace goodhart

#endif // GOODHART_ORACLE_TELEMETRY_H
