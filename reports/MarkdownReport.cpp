//===- MarkdownReport.cpp - report.md, for pasting into a vendor bug ------===//
//
// The run's provenance, the whole-model and per-layer throughput per FLOP of
// each variant relative to the reference, the findings, and the lines that
// reproduce each changed layer with the vendor's own tool.
//
//===----------------------------------------------------------------------===//

#include "reports/ReportText.h"
#include "reports/ReportWriter.h"

#include <fmt/format.h>

#include <map>

namespace goodhart {
namespace {

std::string verdictString(Verdict v, bool cliff) {
  std::string s(verdictName(v));
  return cliff ? "**cliff** (" + s + ")" : s;
}

/// "|---|---|\n" for `columns` columns.
std::string tableRule(int columns) {
  std::string rule = "|";
  for (int i = 0; i < columns; ++i)
    rule += "---|";
  return rule + "\n";
}

/// A verdict, why it is unmeasured, and whether its samples ran throttled.
std::string verdictCell(Verdict v, bool cliff, const std::string &reason,
                        const ThrottleCount &ref, const ThrottleCount &var) {
  std::string cell = v == Verdict::kUnmeasured && !reason.empty()
                         ? "unmeasured: " + markdownCell(reason)
                         : verdictString(v, cliff);
  if (v != Verdict::kUnmeasured && !reason.empty())
    cell += ": " + markdownCell(reason);
  if (std::string t = throttleString(ref, var); !t.empty())
    cell += " (**" + t + "**)";
  return cell;
}

std::string checkString(const CheckResult &c) {
  switch (c.verdict) {
  case CheckVerdict::kPassed:
    // The share of the tolerance says how close it came to failing; a
    // relative error near a zero reference says little (bf16 sums that
    // cancel).
    return c.toleranceUsed > 0
               ? fmt::format("passed ({} points, max rel. err {:.1e}, {:.0f}% "
                             "of the tolerance)",
                             c.points, c.maxRelErr, 100 * c.toleranceUsed)
               : fmt::format("passed ({} points, max rel. err {:.1e})",
                             c.points, c.maxRelErr);
  case CheckVerdict::kSkipped:
    return "-";
  default:
    return "**" + std::string(checkVerdictName(c.verdict)) +
           "**: " + markdownCell(c.reason);
  }
}

class MarkdownWriter final : public ReportWriter {
public:
  std::string name() const override { return "markdown"; }
  std::string fileName() const override { return "report.md"; }
  Status write(const ReportInput &input, std::ostream &os) const override;

private:
  void writeRun(const RunRecord &r, std::ostream &os) const;
  void writeSummary(const ReportInput &input, std::ostream &os) const;
  void writeModelTable(const ReportInput &input, std::ostream &os) const;
  void writeLayerTables(const ReportInput &input, std::ostream &os) const;
  void writeFindings(const ReportInput &input, std::ostream &os) const;
  void writeReproduce(const ReportInput &input, std::ostream &os) const;
};

void MarkdownWriter::writeRun(const RunRecord &r, std::ostream &os) const {
  os << "## Run\n\n| | |\n|---|---|\n";
  auto row = [&](const char *key, const std::string &value) {
    os << "| " << key << " | " << markdownCell(value.empty() ? "-" : value)
       << " |\n";
  };
  row("run", std::to_string(r.id));
  row("model", r.model + " (" + r.source + ")");
  row("backend", r.backend + ": " + r.library + " " + r.libraryVersion);
  row("device", r.device);
  row("ISA", r.isa);
  row("threads", std::to_string(r.threads));
  row("host", r.host);
  row("strategy, seed", r.strategy + ", " + std::to_string(r.seed));
  row("measurement options", r.options.dump());
  row("goodhart", r.goodhartVersion);
  row("started, finished", r.startedAt + ", " + r.finishedAt);
  row("status", r.status);
  os << "\n";
}

void MarkdownWriter::writeSummary(const ReportInput &input,
                                  std::ostream &os) const {
  const RunVerdict &v = input.verdict;
  std::map<Verdict, int> counts;
  int cliffs = 0;
  for (const VariantVerdict &vv : v.variants) {
    ++counts[vv.verdict];
    cliffs += vv.cliff;
  }
  os << fmt::format(
      "{} variants against the reference: {} slower, {} faster, {} same, "
      "{} noisy, {} unmeasured; {} cliffs (throughput per FLOP below {:.2f} "
      "of the reference).\n\n",
      v.variants.size(), counts[Verdict::kSlower], counts[Verdict::kFaster],
      counts[Verdict::kSame], counts[Verdict::kNoisy],
      counts[Verdict::kUnmeasured], cliffs, input.options.cliffThreshold);
  if (v.noise.layers == 0)
    os << fmt::format(
        "Run-to-run noise: not measured (no layer the mutations did not "
        "change was measured twice: no identity variant, unchanged layers "
        "reused). Changed layers are judged against +-{:.0f}%",
        100 * input.options.sameThreshold);
  else
    os << fmt::format(
        "Run-to-run noise: layers the mutations did not change "
        "differ from their reference measurement by up to {:.1f}% "
        "(95th percentile of {} layers). Changed layers are judged "
        "against their kind's noise, at least +-{:.0f}%:",
        100 * v.noise.floor, v.noise.layers, 100 * input.options.sameThreshold);
  for (const auto &[kind, floor] : v.noiseByKind)
    os << fmt::format(" {} +-{:.1f}%{}", kind,
                      100 * v.layerThreshold(kind, input.options),
                      floor.layers >= kMinNoiseLayers ? "" : " (overall)");
  os << ".\n\n";
  os << (v.overfitting.oneShotTuning ? "**" : "")
     << overfittingText(v.overfitting)
     << (v.overfitting.oneShotTuning ? "**" : "") << "\n\n";
  if (!v.variants.empty() && v.variants.front().rel.valid) {
    const VariantVerdict &worst = v.variants.front();
    os << fmt::format("Worst variant: **{}** ({}) runs at {:.3f}x the "
                      "reference's throughput per FLOP.\n\n",
                      worst.key, markdownCell(join(worst.mutations, "; ")),
                      worst.rel.value);
  }
  if (std::string energy = energyText(v); !energy.empty())
    os << energy << "\n\n";
  if (std::string throttle = throttleText(v); !throttle.empty())
    os << "**" << throttle << "**\n\n";
}

void MarkdownWriter::writeModelTable(const ReportInput &input,
                                     std::ostream &os) const {
  bool power = input.verdict.hasPower;
  os << "## Whole model\n\nThroughput per FLOP relative to the reference "
        "(above 1: more useful work per second), with its 95% interval.\n\n"
        "| variant | mutations | FLOPs vs reference | time ("
     << input.options.statistic.name()
     << ") | throughput/FLOP vs reference | of peak (GFLOP/s) | "
     << (power ? "throughput/W vs reference | " : "") << "verdict |\n"
     << tableRule(power ? 8 : 7);
  const VariantRecord *ref = input.run.reference();
  if (ref)
    os << "| reference | - | 1.000 | "
       << timeString(ref->model ? timeOf(ref->model->measurement,
                                         input.options.statistic)
                                : 0)
       << " | 1 | " << peakString(input.verdict.referencePeak) << " | "
       << (power ? markdownCell(referenceEfficiencyString(
                       input.verdict.referenceEnergy)) +
                       " | "
                 : "")
       << "- |\n";
  for (const VariantVerdict &vv : input.verdict.variants)
    os << "| " << markdownCell(vv.key) << " | "
       << markdownCell(join(vv.mutations, "; ")) << " | "
       << fmt::format("{:.3f}", vv.flopRatio) << " | " << timeString(vv.varNs)
       << " | " << ratioString(vv.rel) << " | " << peakString(vv.peak) << " | "
       << (power ? markdownCell(efficiencyString(vv.energy)) + " | " : "")
       << verdictCell(vv.verdict, vv.cliff, vv.reason, vv.throttledRef,
                      vv.throttledVar)
       << " |\n";
  os << "\n";
}

void MarkdownWriter::writeLayerTables(const ReportInput &input,
                                      std::ostream &os) const {
  // A column only where some layer has a power figure: a GPU runner's
  // layers are mostly sampled for less than its energy counter needs.
  bool power = false;
  for (const VariantVerdict &vv : input.verdict.variants)
    for (const LayerVerdict &lv : vv.layers)
      power = power || lv.energy.known();
  os << "## Per layer\n\nEach layer measured alone. `*` marks layers whose "
        "problem the mutation changed; the others solve the reference's "
        "problem and show the noise between runs.\n\n";
  for (const VariantVerdict &vv : input.verdict.variants) {
    os << "### " << markdownCell(vv.key) << ": "
       << markdownCell(join(vv.mutations, "; "))
       << "\n\n| layer | kind | output | implementation (reference → "
          "variant) | reference | variant | throughput/FLOP vs reference | "
          "of peak (GFLOP/s, or GB/s moved) | "
       << (power ? "throughput/W vs reference | " : "") << "verdict | check |\n"
       << tableRule(power ? 11 : 10);
    for (const LayerVerdict &lv : vv.layers) {
      std::string impl = lv.implSwitch
                             ? "**" + lv.implRef + " → " + lv.implVar + "**"
                             : lv.implVar;
      os << "| " << (lv.changed ? "*" : "") << markdownCell(lv.name) << " | "
         << lv.kind << " | " << lv.shape << " | " << markdownCell(impl) << " | "
         << timeString(lv.refNs) << " | " << timeString(lv.varNs) << " | "
         << layerRatioString(lv.rel, lv.perByte) << " | " << peakString(lv.peak)
         << " | "
         << (power ? markdownCell(efficiencyString(lv.energy)) + " | " : "")
         << verdictCell(lv.verdict, lv.cliff, lv.reason, lv.throttledRef,
                        lv.throttledVar)
         << " | " << checkString(lv.check) << " |\n";
    }
    os << "\n";
  }
}

void MarkdownWriter::writeFindings(const ReportInput &input,
                                   std::ostream &os) const {
  os << "## Findings\n\n";
  if (input.run.findings.empty()) {
    os << "No crash, hang, protocol error, failed measurement or wrong "
          "result.\n\n";
    return;
  }
  os << "| kind | variant | layer | message |\n|---|---|---|---|\n";
  for (const FindingRecord &f : input.run.findings)
    os << "| " << markdownCell(f.kind) << " | " << markdownCell(f.variantKey)
       << " | " << (f.layerId ? std::to_string(*f.layerId) : "-") << " | "
       << markdownCell(f.message) << " |\n";
  os << "\n";
}

void MarkdownWriter::writeReproduce(const ReportInput &input,
                                    std::ostream &os) const {
  os << "## Reproduce\n\nThe run:\n\n```sh\n"
     << input.run.run.commandLine << "\n```\n\n";
  for (const VariantVerdict &vv : input.verdict.variants) {
    std::vector<std::string> lines = variantReproLines(input.run.run, vv);
    if (lines.empty())
      continue;
    os << "**" << vv.key << "** (" << join(vv.mutations, "; ")
       << "):\n\n```sh\n"
       << join(lines, "\n") << "\n```\n\n";
  }
}

Status MarkdownWriter::write(const ReportInput &input, std::ostream &os) const {
  const RunRecord &r = input.run.run;
  os << "# goodhart report: " << markdownCell(r.model) << " on "
     << markdownCell(r.library) << " " << markdownCell(r.libraryVersion)
     << "\n\n";
  if (!input.verdict.hasReference) {
    os << "This run holds no reference measurement, so nothing can be "
          "judged.\n\n";
    writeRun(r, os);
    writeFindings(input, os);
    return Status::ok();
  }
  writeSummary(input, os);
  writeRun(r, os);
  writeModelTable(input, os);
  writeLayerTables(input, os);
  writeFindings(input, os);
  writeReproduce(input, os);
  return Status::ok();
}

} // namespace

std::unique_ptr<ReportWriter> createMarkdownWriter() {
  return std::make_unique<MarkdownWriter>();
}

} // namespace goodhart
