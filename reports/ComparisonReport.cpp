//===- ComparisonReport.cpp - compare.md, compare.json, compare-junit.xml -===//
//
// Three views of one RunComparison: Markdown for people (what changed, the
// benchmark-only check, each variant, the layers that moved), JSON for
// programs (schema "goodhart.comparison", docs/NIGHTLY.md) and JUnit XML for
// CI systems (a failing test case per regressed variant).
//
//===----------------------------------------------------------------------===//

#include "reports/ComparisonReport.h"
#include "reports/ReportText.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace goodhart {
namespace {

using nlohmann::json;

/// A duration with a unit that keeps three significant digits.
std::string timeText(double ns) {
  if (ns <= 0)
    return "-";
  if (ns < 1e3)
    return fmt::format("{:.0f} ns", ns);
  if (ns < 1e6)
    return fmt::format("{:.3g} us", ns / 1e3);
  if (ns < 1e9)
    return fmt::format("{:.3g} ms", ns / 1e6);
  return fmt::format("{:.3g} s", ns / 1e9);
}

std::string joined(const std::vector<std::string> &items,
                   const std::string &separator) {
  std::string out;
  for (const std::string &item : items)
    out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string runLabel(const RunRecord &r) {
  return fmt::format("run {} ({} {} on {})", r.id, r.library, r.libraryVersion,
                     r.device.empty() ? "unknown device" : r.device);
}

std::string changeText(Change change) {
  std::string name(changeName(change));
  return change == Change::kSlower ? "**" + name + "**" : name;
}

std::string cliffText(CliffChange cliff) {
  switch (cliff) {
  case CliffChange::kNew:
    return "**new cliff**";
  case CliffChange::kFixed:
    return "fixed cliff";
  case CliffChange::kKept:
    return "cliff (both)";
  case CliffChange::kNone:
    break;
  }
  return "-";
}

std::string summaryLine(const RunComparison &c) {
  return fmt::format(
      "{} variants compared: {} regressed, {} faster, {} new cliffs, {} "
      "fixed cliffs, {} new findings, benchmark-only improvement: {}",
      c.variants.size(), c.regressions(), c.improvements(), c.newCliffs(),
      c.fixedCliffs(), c.newFindings.size(),
      c.benchmarkOnly.flagged ? "yes" : "no");
}

void writeRunsTable(const RunComparison &c, std::ostream &os) {
  os << "| | baseline | candidate |\n|---|---|---|\n";
  auto row = [&](const std::string &name, const std::string &b,
                 const std::string &k) {
    os << "| " << name << " | " << markdownCell(b) << " | " << markdownCell(k)
       << " |\n";
  };
  const RunRecord &b = c.baseline, &k = c.candidate;
  row("run", std::to_string(b.id), std::to_string(k.id));
  row("model", b.model, k.model);
  row("backend", b.backend, k.backend);
  row("library", b.library + " " + b.libraryVersion,
      k.library + " " + k.libraryVersion);
  row("device", b.device, k.device);
  row("isa", b.isa, k.isa);
  row("host", b.host, k.host);
  row("threads", std::to_string(b.threads), std::to_string(k.threads));
  row("goodhart", b.goodhartVersion, k.goodhartVersion);
  row("started", b.startedAt, k.startedAt);
}

/// The widest band any comparison was judged with.
double widestBand(const RunComparison &c) {
  double band = c.modelThreshold;
  for (const VariantComparison &v : c.variants)
    for (const LayerComparison &l : v.layers)
      band = std::max(band, l.threshold);
  return band;
}

/// Past this band a slowdown must lose this fraction of the throughput to
/// be seen: the runs are too noisy for a nightly.
constexpr double kTooNoisyBand = 0.5;

void writeWarnings(const RunComparison &c, std::ostream &os) {
  double band = widestBand(c);
  if (c.mismatches.empty() && c.onlyInBaseline.empty() &&
      c.onlyInCandidate.empty() && band < kTooNoisyBand)
    return;
  os << "\n## Warnings\n\n";
  if (band >= kTooNoisyBand)
    os << fmt::format("- the runs' noise floor widens the band to {:.3f}: "
                      "slowdowns smaller than that cannot be seen; measure "
                      "both runs on a quiet machine\n",
                      band);
  for (const RunMismatch &m : c.mismatches)
    os << "- the runs differ in `" << m.field << "`: " << m.baseline
       << " (baseline) vs " << m.candidate << " (candidate)\n";
  if (!c.onlyInBaseline.empty())
    os << "- variants only in the baseline: " << joined(c.onlyInBaseline, ", ")
       << "\n";
  if (!c.onlyInCandidate.empty())
    os << "- variants only in the candidate: "
       << joined(c.onlyInCandidate, ", ") << "\n";
}

void writeBenchmarkOnly(const BenchmarkOnlyImprovement &b, std::ostream &os) {
  os << "\n## Benchmark-only improvement\n\n";
  if (!b.evaluated) {
    os << "Not evaluated: " << b.reason << ".\n";
    return;
  }
  os << (b.flagged ? "**Benchmark-only improvement**: the reference got "
                     "faster while its variants did not.\n\n"
                   : "No benchmark-only improvement.\n\n");
  os << "- reference speed-up: " << ratioString(b.reference) << "\n"
     << "- median speed-up of " << b.variants
     << " variants: " << ratioString(b.medianVariants) << "\n"
     << "- gap (reference / variants): " << ratioString(b.gap)
     << fmt::format(", flagged when the reference is faster and the whole "
                    "gap is above {:.3f}\n",
                    1 + b.threshold);
}

void writeNormalized(const RunComparison &c, std::ostream &os) {
  if (c.normalized.empty())
    return;
  os << "\n## The reference model, normalized\n\nThe candidate's "
        "whole-model throughput over the baseline's, per what each side had "
        "to work with: its power, its backend's measured peak, its "
        "transistors. Across devices, these say which design does more with "
        "what it has.\n\n| per | baseline | candidate | speed-up |\n"
        "|---|---|---|---|\n";
  for (const NormalizedSpeedup &n : c.normalized)
    os << "| " << n.basis << " | " << markdownCell(n.baseline) << " | "
       << markdownCell(n.candidate) << " | "
       << (n.speedup.valid ? ratioString(n.speedup)
                           : "- (" + markdownCell(n.missing) + ")")
       << " |\n";
}

void writeVariants(const RunComparison &c, const OracleOptions &o,
                   std::ostream &os) {
  os << "\n## Variants\n\nTimes: the " << o.statistic.name()
     << " of each measurement's samples; speed-up: the candidate's "
        "throughput per FLOP over the baseline's, with its interval; band: "
        "the noise-aware threshold it was judged with.\n\n"
        "| variant | mutations | baseline | candidate | speed-up | "
        "band | change | cliff | layers slower / faster |\n"
        "|---|---|---|---|---|---|---|---|---|\n";
  for (const VariantComparison &v : c.variants)
    os << "| " << markdownCell(v.key) << " | "
       << markdownCell(joined(v.mutations, "; ")) << " | "
       << timeText(v.baselineNs) << " | " << timeText(v.candidateNs) << " | "
       << ratioString(v.speedup) << " | " << fmt::format("{:.3f}", v.threshold)
       << " | "
       << (v.change == Change::kUnmeasured
               ? "unmeasured: " + markdownCell(v.reason)
               : changeText(v.change))
       << (v.confirmation.empty() ? ""
                                  : " (" + markdownCell(v.confirmation) + ")")
       << " | " << cliffText(v.cliff) << " | " << v.slowerLayers() << " / "
       << v.fasterLayers() << " |\n";
}

void writeLayers(const RunComparison &c, std::ostream &os) {
  std::string rows;
  for (const VariantComparison &v : c.variants)
    for (const LayerComparison &l : v.layers) {
      if (l.change == Change::kSame && l.cliff == CliffChange::kNone &&
          !l.implSwitch && l.confirmation.empty())
        continue;
      std::string impl = l.implSwitch
                             ? l.implBaseline + " -> " + l.implCandidate
                             : l.implCandidate;
      rows +=
          "| " + markdownCell(v.key) + " | " + markdownCell(l.name) + " | " +
          l.kind + " | " + markdownCell(impl) + " | " + timeText(l.baselineNs) +
          " | " + timeText(l.candidateNs) + " | " +
          layerRatioString(l.speedup, l.perByte) + " | " +
          fmt::format("{:.3f}", l.threshold) + " | " +
          (l.change == Change::kUnmeasured
               ? "unmeasured: " + markdownCell(l.reason)
               : changeText(l.change)) +
          (l.confirmation.empty() ? ""
                                  : " (" + markdownCell(l.confirmation) + ")") +
          " | " + cliffText(l.cliff) + " |\n";
    }
  os << "\n## Layers that changed or sit on a cliff\n\n";
  if (rows.empty()) {
    os << "Every compared layer is the same within its band.\n";
    return;
  }
  os << "| variant | layer | kind | implementation | baseline | "
        "candidate | speed-up | band | change | cliff |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n"
     << rows;
}

void writeFindings(const RunComparison &c, std::ostream &os) {
  if (c.newFindings.empty())
    return;
  os << "\n## New findings in the candidate\n\n";
  for (const FindingRecord &f : c.newFindings)
    os << "- **" << f.kind << "** "
       << (f.variantKey.empty() ? "(run)" : f.variantKey)
       << (f.layerId ? " layer " + std::to_string(*f.layerId) : "") << ": "
       << markdownCell(f.message)
       << (f.repro.empty() ? "" : " (`" + f.repro + "`)") << "\n";
}

json ratioJson(const Ratio &r) {
  if (!r.valid)
    return nullptr;
  return {{"value", r.value}, {"low", r.low}, {"high", r.high}};
}

json layerJson(const LayerComparison &l) {
  return {{"name", l.name},
          {"kind", l.kind},
          {"hash", l.hash},
          {"baseline_id", l.baselineId},
          {"candidate_id", l.candidateId},
          {"impl_baseline", l.implBaseline},
          {"impl_candidate", l.implCandidate},
          {"impl_switch", l.implSwitch},
          {"time_ns_baseline", l.baselineNs},
          {"time_ns_candidate", l.candidateNs},
          {"speedup", ratioJson(l.speedup)},
          {"per", l.perByte ? "byte" : "FLOP"},
          {"threshold", l.threshold},
          {"change", changeName(l.change)},
          {"relative_baseline", ratioJson(l.relBaseline)},
          {"relative_candidate", ratioJson(l.relCandidate)},
          {"cliff", cliffChangeName(l.cliff)},
          {"reason", l.reason},
          {"confirmation", l.confirmation}};
}

json variantJson(const VariantComparison &v) {
  json layers = json::array();
  for (const LayerComparison &l : v.layers)
    layers.push_back(layerJson(l));
  return {{"key", v.key},
          {"mutations", v.mutations},
          {"is_reference", v.isReference},
          {"time_ns_baseline", v.baselineNs},
          {"time_ns_candidate", v.candidateNs},
          {"speedup", ratioJson(v.speedup)},
          {"threshold", v.threshold},
          {"change", changeName(v.change)},
          {"relative_baseline", ratioJson(v.relBaseline)},
          {"relative_candidate", ratioJson(v.relCandidate)},
          {"cliff", cliffChangeName(v.cliff)},
          {"regressed", v.regressed()},
          {"reason", v.reason},
          {"confirmation", v.confirmation},
          {"unmatched_layers", v.unmatchedLayers},
          {"layers", layers}};
}

} // namespace

std::vector<std::string> comparisonFormatNames() {
  return {"markdown", "json", "junit"};
}

std::string comparisonFileName(const std::string &format) {
  if (format == "markdown")
    return "compare.md";
  if (format == "json")
    return "compare.json";
  if (format == "junit")
    return "compare-junit.xml";
  return "";
}

Status writeComparison(const ComparisonInput &input, const std::string &format,
                       std::ostream &os) {
  if (format == "markdown")
    return writeComparisonMarkdown(input, os);
  if (format == "json")
    return writeComparisonJson(input, os);
  if (format == "junit")
    return writeComparisonJUnit(input, os);
  return invalidInput("unknown comparison format '" + format + "' (known: " +
                      joined(comparisonFormatNames(), ", ") + ")");
}

Status writeComparisonMarkdown(const ComparisonInput &in, std::ostream &os) {
  const RunComparison &c = in.comparison;
  os << "# goodhart compare: " << c.candidate.model << ", "
     << runLabel(c.candidate) << " against " << runLabel(c.baseline) << "\n\n";
  writeRunsTable(c, os);
  os << "\n**Result: " << (c.failed() ? "FAILED" : "clean") << "**. "
     << summaryLine(c) << ".\n";
  writeWarnings(c, os);
  writeBenchmarkOnly(c.benchmarkOnly, os);
  writeNormalized(c, os);
  writeVariants(c, in.options, os);
  writeLayers(c, os);
  writeFindings(c, os);
  os << fmt::format("\nTimes: the {} of each measurement's samples. "
                    "Thresholds: same within 1 +- {:.3f} (whole models: "
                    "{:.3f}, layers: per kind, widened to the runs' noise "
                    "floors), cliff below {:.3f}.\n",
                    in.options.statistic.name(), in.options.sameThreshold,
                    c.modelThreshold, in.options.cliffThreshold);
  return Status::ok();
}

Status writeComparisonJson(const ComparisonInput &in, std::ostream &os) {
  const RunComparison &c = in.comparison;
  json mismatches = json::array();
  for (const RunMismatch &m : c.mismatches)
    mismatches.push_back({{"field", m.field},
                          {"baseline", m.baseline},
                          {"candidate", m.candidate}});
  json variants = json::array();
  for (const VariantComparison &v : c.variants)
    variants.push_back(variantJson(v));
  json findings = json::array();
  for (const FindingRecord &f : c.newFindings)
    findings.push_back({{"kind", f.kind},
                        {"variant", f.variantKey},
                        {"layer", f.layerId ? json(*f.layerId) : json()},
                        {"message", f.message},
                        {"repro", f.repro}});
  json normalized = json::array();
  for (const NormalizedSpeedup &n : c.normalized)
    normalized.push_back({{"basis", n.basis},
                          {"baseline", n.baseline},
                          {"candidate", n.candidate},
                          {"speedup", ratioJson(n.speedup)},
                          {"missing", n.missing}});
  const BenchmarkOnlyImprovement &b = c.benchmarkOnly;
  json doc = {{"format", "goodhart.comparison"},
              {"version", kComparisonSchemaVersion},
              {"result", c.failed() ? "failed" : "clean"},
              {"baseline", runRecordJson(c.baseline)},
              {"candidate", runRecordJson(c.candidate)},
              {"oracle",
               {{"statistic", in.options.statistic.name()},
                {"same_threshold", in.options.sameThreshold},
                {"cliff_threshold", in.options.cliffThreshold},
                {"model_threshold", c.modelThreshold},
                {"widest_threshold", widestBand(c)}}},
              {"summary",
               {{"variants", c.variants.size()},
                {"regressions", c.regressions()},
                {"improvements", c.improvements()},
                {"new_cliffs", c.newCliffs()},
                {"fixed_cliffs", c.fixedCliffs()},
                {"new_findings", c.newFindings.size()},
                {"benchmark_only_improvement", b.flagged}}},
              {"mismatches", mismatches},
              {"only_in_baseline", c.onlyInBaseline},
              {"only_in_candidate", c.onlyInCandidate},
              {"benchmark_only",
               {{"evaluated", b.evaluated},
                {"reason", b.reason},
                {"variants", b.variants},
                {"reference", ratioJson(b.reference)},
                {"median_variants", ratioJson(b.medianVariants)},
                {"gap", ratioJson(b.gap)},
                {"threshold", b.threshold},
                {"flagged", b.flagged}}},
              {"normalized", normalized},
              {"variants", variants},
              {"new_findings", findings}};
  os << doc.dump(1) << "\n";
  return Status::ok();
}

Status writeComparisonJUnit(const ComparisonInput &in, std::ostream &os) {
  const RunComparison &c = in.comparison;
  std::vector<JUnitCase> cases;
  for (const VariantComparison &v : c.variants) {
    std::vector<std::string> why;
    if (v.change == Change::kSlower)
      why.push_back("whole model slower: speed-up " + ratioString(v.speedup));
    if (v.cliff == CliffChange::kNew)
      why.push_back("new cliff: relative throughput " +
                    ratioString(v.relCandidate));
    for (const LayerComparison &l : v.layers) {
      if (l.change == Change::kSlower)
        why.push_back("layer " + l.name + " slower: speed-up " +
                      layerRatioString(l.speedup, l.perByte));
      if (l.cliff == CliffChange::kNew)
        why.push_back("layer " + l.name + " new cliff");
    }
    cases.push_back({v.key, joined(why, "; ")});
  }
  const BenchmarkOnlyImprovement &b = c.benchmarkOnly;
  cases.push_back(
      {"benchmark-only improvement",
       b.flagged ? "the reference got faster (" + ratioString(b.reference) +
                       ") while the median of its variants did not (" +
                       ratioString(b.medianVariants) + ")"
                 : ""});
  for (const FindingRecord &f : c.newFindings)
    cases.push_back({"finding " + f.kind + " " + f.variantKey,
                     "new in the candidate: " + f.message});
  size_t failures = 0;
  for (const JUnitCase &k : cases)
    failures += !k.failure.empty();
  std::string suite = "goodhart.compare." + c.candidate.model;
  os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
     << "<testsuite name=\"" << markupEscape(suite) << "\" tests=\""
     << cases.size() << "\" failures=\"" << failures << "\">\n";
  if (!c.mismatches.empty()) {
    os << "  <system-out>";
    for (const RunMismatch &m : c.mismatches)
      os << markupEscape("the runs differ in " + m.field + ": " + m.baseline +
                         " vs " + m.candidate + "\n");
    os << "</system-out>\n";
  }
  writeJUnitCases(os, suite, cases);
  os << "</testsuite>\n</testsuites>\n";
  return Status::ok();
}

} // namespace goodhart
