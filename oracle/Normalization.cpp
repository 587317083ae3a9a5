//===- Normalization.cpp - A cross-device speed-up, normalized ------------===//

#include "oracle/Normalization.h"

#include "oracle/DeviceFacts.h"

#include <fmt/format.h>

namespace goodhart {
namespace {

/// One side's amount of a basis, or why there is none.
struct Amount {
  std::optional<double> value;
  std::string text, missing;
};

Ratio scaled(const Ratio &r, double factor) {
  Ratio out = r;
  out.value *= factor;
  out.low *= factor;
  out.high *= factor;
  return out;
}

/// speedup × baseline / candidate, or the reason one side has no amount.
NormalizedSpeedup normalized(const std::string &basis, const Ratio &speedup,
                             const Amount &b, const Amount &c) {
  NormalizedSpeedup n;
  n.basis = basis;
  n.baseline = b.value ? b.text : "-";
  n.candidate = c.value ? c.text : "-";
  if (!speedup.valid)
    n.missing = "the reference's whole model was not compared";
  else if (!b.value)
    n.missing = "baseline: " + b.missing;
  else if (!c.value)
    n.missing = "candidate: " + c.missing;
  else
    n.speedup = scaled(speedup, *b.value / *c.value);
  return n;
}

Amount gflopsOf(const RunVerdict &v) {
  if (v.referencePeak.gflops <= 0)
    return {std::nullopt, "", "whole model not measured"};
  return {v.referencePeak.gflops,
          fmt::format("{:.4g} GFLOP/s", v.referencePeak.gflops), ""};
}

Amount wattsOf(const RunVerdict &v) {
  const PowerReading &p = v.referenceEnergy.power;
  if (!p.known())
    return {std::nullopt, "",
            p.missing.empty()             ? "whole model not measured"
            : p.missing == "not reported" ? "the runner reports no power"
                                          : p.missing};
  return {p.watts, fmt::format("{:.0f} W", p.watts), ""};
}

Amount peakOf(const RunVerdict &v) {
  const PeakShare &p = v.referencePeak;
  if (!p.hasFraction() || p.fraction <= 0)
    return {std::nullopt, "",
            fmt::format("the runner measured no peak{}",
                        p.dtype.empty() ? "" : " for " + p.dtype)};
  double peak = p.gflops / p.fraction;
  return {peak, fmt::format("{:.4g} GFLOP/s {} peak", peak, p.dtype), ""};
}

Amount transistorsOf(const RunRecord &run, std::optional<double> given) {
  if (given)
    return {*given, fmt::format("{:.3g} billion (given)", *given), ""};
  if (std::optional<DeviceFact> fact = knownDevice(run.device))
    return {fact->transistorsBillions,
            fmt::format("{:.3g} billion ({})", fact->transistorsBillions,
                        fact->die),
            ""};
  return {std::nullopt, "",
          "'" + run.device +
              "' is not in the transistor table: give its count in billions"};
}

} // namespace

std::vector<NormalizedSpeedup>
normalizeSpeedup(const Ratio &speedup, const RunVerdict &baseline,
                 const RunVerdict &candidate, const RunRecord &baselineRun,
                 const RunRecord &candidateRun,
                 const TransistorCounts &transistors) {
  // Per FLOP: both ran the same plans, so the plain speed-up; the amounts
  // shown are the throughputs it is the ratio of.
  NormalizedSpeedup perFlop =
      normalized("FLOP", speedup, gflopsOf(baseline), gflopsOf(candidate));
  if (perFlop.missing.empty())
    perFlop.speedup = speedup;
  return {
      perFlop,
      normalized("watt", speedup, wattsOf(baseline), wattsOf(candidate)),
      normalized("peak", speedup, peakOf(baseline), peakOf(candidate)),
      normalized("transistor", speedup,
                 transistorsOf(baselineRun, transistors.baseline),
                 transistorsOf(candidateRun, transistors.candidate)),
  };
}

} // namespace goodhart
