//===- ReportText.cpp - Text helpers the report writers share -------------===//

#include "reports/ReportText.h"

#include "generator/MutationSpec.h"

#include <fmt/format.h>

namespace goodhart {

std::string markupEscape(const std::string &text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&apos;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

std::string timeString(double ns) {
  if (ns <= 0)
    return "-";
  if (ns >= 1e6)
    return fmt::format("{:.3f} ms", ns / 1e6);
  return fmt::format("{:.1f} us", ns / 1e3);
}

std::string ratioString(const Ratio &r) {
  if (!r.valid)
    return "-";
  return fmt::format("{:.3f} [{:.3f}, {:.3f}]", r.value, r.low, r.high);
}

std::string layerRatioString(const Ratio &r, bool perByte) {
  return r.valid && perByte ? ratioString(r) + " per byte" : ratioString(r);
}

std::string markdownCell(const std::string &text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out;
}

nlohmann::json runRecordJson(const RunRecord &r) {
  return {{"id", r.id},
          {"model", r.model},
          {"source", r.source},
          {"backend", r.backend},
          {"library", r.library},
          {"library_version", r.libraryVersion},
          {"device", r.device},
          {"isa", r.isa},
          {"threads", r.threads},
          {"host", r.host},
          {"strategy", r.strategy},
          {"seed", r.seed},
          {"options", r.options},
          {"goodhart_version", r.goodhartVersion},
          {"started_at", r.startedAt},
          {"finished_at", r.finishedAt},
          {"status", r.status},
          {"command_line", r.commandLine}};
}

void writeJUnitCases(std::ostream &os, const std::string &className,
                     const std::vector<JUnitCase> &cases) {
  for (const JUnitCase &c : cases) {
    os << "  <testcase classname=\"" << markupEscape(className) << "\" name=\""
       << markupEscape(c.name) << "\"";
    if (c.failure.empty()) {
      os << "/>\n";
      continue;
    }
    os << ">\n    <failure message=\"" << markupEscape(c.failure)
       << "\"/>\n  </testcase>\n";
  }
}

std::string peakString(const PeakShare &p) {
  if (!p.measured())
    return "-";
  std::string rate = p.perByte() ? fmt::format("{:.3g} GB/s", p.gbs)
                                 : fmt::format("{:.3g} GFLOP/s", p.gflops);
  if (!p.hasFraction())
    return rate;
  // Above 100%, the peak GEMM (or copy) itself ran slow (a busy machine),
  // or a small layer ran from cache: say so rather than print an
  // impossible share as if it meant something.
  return fmt::format("{:.1f}% ({}){}", 100 * p.fraction, rate,
                     p.fraction <= 1 ? ""
                     : !p.perByte()  ? ", above the measured peak: the peak "
                                       "measurement was disturbed"
                                     : ", above the measured copy peak: "
                                       "its data stayed in cache");
}

std::string efficiencyString(const Efficiency &e) {
  if (!e.known())
    return e.power.missing.empty() || e.power.missing == "not reported"
               ? "-"
               : "- (" + e.power.missing + ")";
  std::string watts = fmt::format("{:.0f} W", e.power.watts);
  if (!e.hasRelative)
    return watts;
  return fmt::format("{:.3f} [{:.3f}, {:.3f}] at {}", e.rel, e.low, e.high,
                     watts);
}

std::string referenceEfficiencyString(const Efficiency &e) {
  return (e.known() ? "1 at " : "") + efficiencyString(e);
}

std::string throttleString(const ThrottleCount &ref, const ThrottleCount &var) {
  std::vector<std::string> sides;
  if (var.any())
    sides.push_back(
        fmt::format("variant {}/{} samples", var.throttled, var.samples));
  if (ref.any())
    sides.push_back(
        fmt::format("reference {}/{} samples", ref.throttled, ref.samples));
  return sides.empty() ? "" : "throttled: " + join(sides, ", ");
}

std::string energyText(const RunVerdict &v) {
  const std::string &refMissing = v.referenceEnergy.power.missing;
  if (!v.hasPower)
    return refMissing.empty() || refMissing == "not reported"
               ? ""
               : "Energy: no power figure (the reference's whole model: " +
                     refMissing + ").";
  std::string text =
      fmt::format("Energy (NVML's energy counter, over at least {:.0f} ms): ",
                  kMinEnergyWindowMs);
  const Efficiency &ref = v.referenceEnergy;
  text +=
      ref.known()
          ? fmt::format("the reference drew {:.0f} W and did {:.3g} GFLOP "
                        "per joule.",
                        ref.power.watts, ref.gflopsPerWatt)
          : "the reference's whole model has no power figure" +
                (ref.power.missing.empty() ? std::string(".")
                                           : " (" + ref.power.missing + ").");
  const VariantVerdict *worst = nullptr;
  int without = 0;
  for (const VariantVerdict &vv : v.variants) {
    without += vv.rel.valid && !vv.energy.known();
    if (vv.energy.hasRelative && (!worst || vv.energy.rel < worst->energy.rel))
      worst = &vv;
  }
  if (worst)
    text += fmt::format(
        " Least efficient per watt: {} at {:.3f}x the reference's throughput "
        "per watt ({:.3f}x per FLOP).",
        worst->key, worst->energy.rel, worst->rel.value);
  if (without)
    text += fmt::format(" {} measured variant{} no whole-model power figure.",
                        without, without == 1 ? " has" : "s have");
  return text;
}

std::string throttleText(const RunVerdict &v) {
  if (v.throttledComparisons == 0)
    return "";
  return fmt::format(
      "Throttling: in {} comparisons a side has samples taken while the GPU "
      "throttled (SM clock below 90% of its maximum, or a power, thermal or "
      "hardware slowdown); their verdicts say so. A throttled sample is "
      "slower than the kernel, so such a verdict is suspect: measure it "
      "again on a cool device.",
      v.throttledComparisons);
}

std::string overfittingText(const OverfittingIndex &o) {
  if (!o.evaluated)
    return "Overfitting index: not evaluated (" + o.reason + ").";
  std::string text = fmt::format(
      "Overfitting index: {} (the reference's throughput per FLOP over the "
      "median of its {} equivalent variants'); the reference is faster than "
      "{:.0f}% of them.",
      ratioString(o.index), o.variants, 100 * o.percentile);
  std::string floor =
      o.noiseSource == "none"
          ? fmt::format("+-{:.1f}% (the floor alone: no identity variant and "
                        "no unchanged layer was measured twice)",
                        100 * o.threshold)
          : fmt::format("+-{:.1f}% ({} noise {:.1f}%{})", 100 * o.threshold,
                        o.noiseSource, 100 * o.noiseFloor,
                        o.identityVariants
                            ? fmt::format(", {} runs", o.identityVariants)
                            : "");
  if (o.oneShotTuning)
    return text + " One-shot tuning: the whole interval lies above 1 " + floor +
           ": the benchmarked model runs faster than its " + "neighborhood.";
  return text + " Not flagged: the interval does not clear 1 " + floor + ".";
}

std::string join(const std::vector<std::string> &items,
                 const std::string &separator) {
  std::string out;
  for (const std::string &item : items)
    out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string variantRepro(const RunRecord &run,
                         const std::vector<std::string> &mutations) {
  return goodhartOptLine(run.source, mutations);
}

std::string layerReproCommand(const std::string &backend,
                              const std::string &repro) {
  if (backend == "onednn")
    return "benchdnn " + repro;
  // The PyTorch lines quote strings with ' only (runners/cudnn/CudnnRepro.h).
  if (backend == "cudnn" && repro.find('"') == std::string::npos)
    return "python3 -c \"import torch; " + repro + "\"";
  return repro;
}

std::vector<std::string> variantReproLines(const RunRecord &run,
                                           const VariantVerdict &variant) {
  std::vector<std::string> lines;
  std::vector<std::string> steps = variant.baseMutations;
  steps.insert(steps.end(), variant.mutations.begin(), variant.mutations.end());
  if (std::string v = variantRepro(run, steps); !v.empty())
    lines.push_back("# the variant model\n" + v);
  for (const LayerVerdict &lv : variant.layers)
    if (lv.changed && !lv.repro.empty())
      lines.push_back("# " + lv.name + " (" + lv.kind + ")\n" +
                      layerReproCommand(run.backend, lv.repro));
  return lines;
}

} // namespace goodhart
