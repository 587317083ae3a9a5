//===- Telemetry.cpp - Power and throttling from a measurement's extra ----===//

#include "oracle/Telemetry.h"

#include "oracle/RelativeThroughput.h"

#include <cmath>

namespace goodhart {

PowerReading powerOf(const Measurement &m) {
  PowerReading p;
  const nlohmann::json &extra = m.extra;
  if (!extra.is_object()) {
    p.missing = "not reported";
    return p;
  }
  auto power = extra.find("power_w");
  if (power != extra.end() && power->is_number() && power->get<double>() > 0) {
    auto window = extra.find("energy_wall_ms");
    if (window != extra.end() && window->is_number() &&
        window->get<double>() < kMinEnergyWindowMs) {
      p.missing = "energy over only " +
                  std::to_string(std::lround(window->get<double>())) +
                  " ms of sampling, too short for NVML's energy counter, "
                  "which steps every 20-100 ms";
      return p;
    }
    p.watts = power->get<double>();
    return p;
  }
  // The runner's own words for why there is no figure: an energy counter
  // that did not advance over a short sampling, or no NVML at all.
  for (const char *key : {"energy", "nvml"}) {
    auto why = extra.find(key);
    if (why != extra.end() && why->is_string()) {
      p.missing = why->get<std::string>();
      return p;
    }
  }
  // Runner 0.4.0 wrote 0 W where the counter had not advanced.
  p.missing =
      power != extra.end() ? "no energy drawn was recorded" : "not reported";
  return p;
}

ThrottleCount throttleOf(const Measurement &m) {
  ThrottleCount t;
  if (!m.extra.is_object())
    return t;
  auto flags = m.extra.find("throttled");
  if (flags != m.extra.end() && flags->is_array()) {
    t.reported = true;
    t.samples = static_cast<int64_t>(flags->size());
    for (const nlohmann::json &flag : *flags)
      t.throttled += flag.is_number() && flag.get<double>() != 0;
    return t;
  }
  auto count = m.extra.find("throttled_samples");
  if (count != m.extra.end() && count->is_number_integer()) {
    t.reported = true;
    t.throttled = count->get<int64_t>();
    t.samples = static_cast<int64_t>(m.samplesNs.size());
  }
  return t;
}

double gflopsPerWatt(int64_t flops, double ns, double watts) {
  if (flops <= 0 || ns <= 0 || watts <= 0)
    return 0;
  return static_cast<double>(flops) / ns / watts; // FLOP/ns = GFLOP/s
}

Efficiency efficiencyOf(int64_t flops, double ns, const Measurement &m) {
  Efficiency e;
  e.power = powerOf(m);
  e.gflopsPerWatt = gflopsPerWatt(flops, ns, e.power.watts);
  return e;
}

Efficiency efficiencyAgainst(int64_t flops, double ns, const Measurement &m,
                             const Measurement &ref, const Ratio &rel) {
  Efficiency e = efficiencyOf(flops, ns, m);
  PowerReading refPower = powerOf(ref);
  if (!rel.valid || !e.known() || !refPower.known())
    return e;
  double scale = refPower.watts / e.power.watts;
  e.hasRelative = true;
  e.rel = rel.value * scale;
  e.low = rel.low * scale;
  e.high = rel.high * scale;
  return e;
}

} // namespace goodhart
