//===- HtmlReport.cpp - index.html, the report people open first ----------===//
//
// One self-contained page: inline CSS, inline SVG charts drawn here, no
// script and nothing fetched. A summary of the run and its verdicts, the
// cliff picture for each mutated dimension, the variants, where the worst
// variants lose their time, the correctness findings and the reproducers.
// Every string that comes from the results database goes through
// markupEscape.
//
//===----------------------------------------------------------------------===//

#include "reports/HtmlCharts.h"
#include "reports/ReportText.h"
#include "reports/ReportWriter.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace goodhart {
namespace {

/// Worst variants whose time is attributed to layers.
constexpr size_t kAttributedVariants = 5;
/// Layers listed per attributed variant.
constexpr size_t kAttributedLayers = 8;

constexpr const char *kStyle = R"css(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;
  color:#1d232a;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:18px 28px 40px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:18px;margin:28px 0 8px;
  border-bottom:1px solid #d5d9de;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;background:#fff;margin:6px 0 12px}
th,td{border:1px solid #d5d9de;padding:3px 8px;text-align:left;
  vertical-align:top}
th{background:#eef0f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
table.meta th{width:170px}table.meta td{overflow-wrap:anywhere}
td.num{white-space:nowrap}
pre{background:#fff;border:1px solid #d5d9de;padding:8px;overflow-x:auto;
  margin:4px 0 12px}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace}
.counts span{display:inline-block;padding:2px 9px;margin:2px 4px 2px 0;
  border-radius:10px;color:#fff;font-weight:600}
.note{color:#56606b}
.chart{background:#fff;border:1px solid #d5d9de;display:block;margin:4px 0}
.chart .grid{stroke:#e6e8eb}.chart .axis{stroke:#7b848e}
.chart .tick,.chart .label,.chart text{font:11px system-ui,sans-serif;
  fill:#38414a}
.chart .unity{stroke:#38414a;stroke-dasharray:2 3}
.chart .cliff-threshold line{stroke:#c0392b;stroke-dasharray:6 4}
.chart .cliff-threshold text{fill:#c0392b}
.chart .ref-line{stroke:#2c6fbb;stroke-dasharray:3 3}
.chart .ref-marker{fill:#2c6fbb;stroke:#fff}
.chart .reference text{fill:#2c6fbb;font-weight:600}
.chart .whisker{stroke-width:1.5}
.chart .point .pt{stroke:#fff;stroke-width:1}
.chart .point.v-unmeasured .pt{fill:none;stroke-width:2}
.v-cliff{--c:#c0392b}.v-slower{--c:#e67e22}.v-same{--c:#7f8c8d}
.v-faster{--c:#27ae60}.v-noisy{--c:#8e44ad}.v-unmeasured{--c:#555}
.v-unchanged{--c:#aab2ba}
.chart .point .pt{fill:var(--c)}.chart .point .whisker,
.chart .point.v-unmeasured .pt{stroke:var(--c)}
.counts span,.verdict{background:var(--c)}
.verdict{color:#fff;border-radius:4px;padding:0 6px;font-weight:600;
  white-space:nowrap}
.switch{color:#c0392b;font-weight:600}
.bar{display:inline-block;height:10px;background:#c0392b;margin-right:6px;
  vertical-align:middle}
)css";

std::string esc(const std::string &text) { return markupEscape(text); }

/// " <span class="v-cliff">throttled: ...</span>" when a side ran
/// throttled, else "".
std::string throttleNote(const ThrottleCount &ref, const ThrottleCount &var) {
  std::string text = throttleString(ref, var);
  return text.empty() ? ""
                      : " <span class=\"v-cliff\">" + esc(text) + "</span>";
}

std::string verdictBadge(Verdict verdict, bool cliff) {
  std::string name(verdictName(verdict));
  return "<span class=\"verdict " + verdictClass(verdict, cliff) + "\">" +
         (cliff ? "cliff (" + name + ")" : name) + "</span>";
}

class HtmlWriter final : public ReportWriter {
public:
  std::string name() const override { return "html"; }
  std::string fileName() const override { return "index.html"; }
  Status write(const ReportInput &input, std::ostream &os) const override;

private:
  void writeSummary(const ReportInput &input, std::ostream &os) const;
  void writeRun(const RunRecord &r, std::ostream &os) const;
  void writeCharts(const ReportInput &input, std::ostream &os) const;
  void writeVariants(const ReportInput &input, std::ostream &os) const;
  void writeAttribution(const ReportInput &input, std::ostream &os) const;
  void writeFindings(const ReportInput &input, std::ostream &os) const;
  void writeReproduce(const ReportInput &input, std::ostream &os) const;
};

void HtmlWriter::writeSummary(const ReportInput &input,
                              std::ostream &os) const {
  const RunVerdict &v = input.verdict;
  std::map<Verdict, int> counts;
  int cliffs = 0;
  for (const VariantVerdict &vv : v.variants) {
    ++counts[vv.verdict];
    cliffs += vv.cliff;
  }
  os << "<section id=\"summary\"><h2>Summary</h2>\n<p class=\"counts\">"
     << v.variants.size() << " variants against the reference: ";
  os << fmt::format("<span class=\"v-cliff\">{} cliffs</span>", cliffs);
  for (Verdict verdict : {Verdict::kSlower, Verdict::kFaster, Verdict::kSame,
                          Verdict::kNoisy, Verdict::kUnmeasured})
    os << fmt::format("<span class=\"{}\">{} {}</span>",
                      verdictClass(verdict, false), counts[verdict],
                      verdictName(verdict));
  os << fmt::format("<span class=\"v-unmeasured\">{} findings</span></p>\n",
                    input.run.findings.size());
  os << fmt::format(
      "<p class=\"note\">Throughput per FLOP of each variant relative to the "
      "reference, with its 95% interval: below 1 the variant does less useful "
      "work per second than the benchmarked model. A cliff lies wholly below "
      "{:.2f}. {}</p>\n",
      input.options.cliffThreshold,
      v.noise.layers == 0
          ? std::string("Run-to-run noise: not measured (no layer the "
                        "mutations did not change was measured twice).")
          : fmt::format("Run-to-run noise of layers the mutations did not "
                        "change: up to {:.1f}% (95th percentile of {} "
                        "layers).",
                        100 * v.noise.floor, v.noise.layers));
  os << fmt::format("<p id=\"overfitting\"{}>{}</p>\n",
                    v.overfitting.oneShotTuning ? " class=\"v-cliff\"" : "",
                    esc(overfittingText(v.overfitting)));
  if (!v.variants.empty() && v.variants.front().rel.valid) {
    const VariantVerdict &worst = v.variants.front();
    os << fmt::format("<p>Worst variant: <b>{}</b> ({}) runs at {:.3f}x the "
                      "reference&apos;s throughput per FLOP.</p>\n",
                      esc(worst.key), esc(join(worst.mutations, "; ")),
                      worst.rel.value);
  }
  if (std::string energy = energyText(v); !energy.empty())
    os << "<p id=\"energy\">" << esc(energy) << "</p>\n";
  if (std::string throttle = throttleText(v); !throttle.empty())
    os << "<p id=\"throttling\" class=\"v-cliff\">" << esc(throttle)
       << "</p>\n";
  os << "</section>\n";
}

void HtmlWriter::writeRun(const RunRecord &r, std::ostream &os) const {
  os << "<section id=\"run\"><h2>Run</h2>\n<table class=\"meta\">\n";
  auto row = [&](const char *key, const std::string &value) {
    os << "<tr><th>" << key << "</th><td>" << esc(value.empty() ? "-" : value)
       << "</td></tr>\n";
  };
  row("run", std::to_string(r.id));
  row("model", r.model + " (" + r.source + ")");
  row("backend", r.backend);
  row("library", r.library + " " + r.libraryVersion);
  row("device", r.device);
  row("ISA", r.isa);
  row("threads", std::to_string(r.threads));
  row("host", r.host);
  row("strategy, seed", r.strategy + ", " + std::to_string(r.seed));
  row("measurement options", r.options.dump());
  row("goodhart", r.goodhartVersion);
  row("started, finished", r.startedAt + ", " + r.finishedAt);
  row("status", r.status);
  os << "</table></section>\n";
}

void HtmlWriter::writeCharts(const ReportInput &input, std::ostream &os) const {
  DimensionGroups groups = groupByDimension(input.run, input.verdict);
  os << "<section id=\"dimensions\"><h2>Relative throughput by mutated "
        "dimension</h2>\n";
  if (groups.series.empty())
    os << "<p>No variant changes a single dimension.</p>\n";
  for (const DimensionSeries &s : groups.series) {
    os << "<h3>" << esc(s.title())
       << "</h3>\n<p class=\"note\">variants: " << s.points.size()
       << "; reference value "
       << (s.referenceValue ? std::to_string(*s.referenceValue)
                            : std::string("unknown"))
       << (s.worst() ? fmt::format("; worst {:.3f}", *s.worst())
                     : std::string("; none measured"))
       << "</p>\n"
       << dimensionChartSvg(s, input.options);
  }
  if (!groups.ungrouped.empty())
    os << "<p class=\"note\">Shown only in the table (identity variants, "
          "the control group, and variants with several mutations): "
       << esc(join(groups.ungrouped, ", ")) << ".</p>\n";
  os << "</section>\n";
}

void HtmlWriter::writeVariants(const ReportInput &input,
                               std::ostream &os) const {
  bool power = input.verdict.hasPower;
  os << "<section id=\"variants\"><h2>Variants</h2>\n<table>\n<tr><th>"
        "variant</th><th>mutations</th><th>FLOPs vs reference</th><th>time ("
     << esc(input.options.statistic.name())
     << ")</th><th>throughput/FLOP vs reference</th><th>of peak (GFLOP/s)</th>"
     << (power ? "<th>throughput/W vs reference</th>" : "")
     << "<th>verdict</th><th>implementation switches</th></tr>\n";
  const Efficiency &refEnergy = input.verdict.referenceEnergy;
  if (const VariantRecord *ref = input.run.reference())
    os << "<tr><td>reference</td><td>-</td><td class=\"num\">1.000</td>"
          "<td class=\"num\">"
       << timeString(ref->model ? timeOf(ref->model->measurement,
                                         input.options.statistic)
                                : 0)
       << "</td><td class=\"num\">1</td><td class=\"num\">"
       << esc(peakString(input.verdict.referencePeak)) << "</td>"
       << (power ? "<td class=\"num\">" +
                       esc(referenceEfficiencyString(refEnergy)) + "</td>"
                 : "")
       << "<td>-</td><td>-</td></tr>\n";
  for (const VariantVerdict &vv : input.verdict.variants) {
    int switches = 0;
    for (const LayerVerdict &lv : vv.layers)
      switches += lv.implSwitch;
    os << "<tr><td>" << esc(vv.key) << "</td><td><code>"
       << esc(join(vv.mutations, "; ")) << "</code></td><td class=\"num\">"
       << fmt::format("{:.3f}", vv.flopRatio) << "</td><td class=\"num\">"
       << timeString(vv.varNs) << "</td><td class=\"num\">"
       << ratioString(vv.rel) << "</td><td class=\"num\">"
       << esc(peakString(vv.peak)) << "</td>"
       << (power ? "<td class=\"num\">" + esc(efficiencyString(vv.energy)) +
                       "</td>"
                 : "")
       << "<td>" << verdictBadge(vv.verdict, vv.cliff)
       << (vv.reason.empty() ? "" : " " + esc(vv.reason))
       << throttleNote(vv.throttledRef, vv.throttledVar) << "</td><td>"
       << switches << "</td></tr>\n";
  }
  os << "</table></section>\n";
}

/// Time a layer spends beyond what it would take at the reference's
/// throughput per FLOP (per byte for a layer that computes nothing).
double lostNs(const LayerVerdict &lv) {
  if (lv.refNs <= 0 || lv.varNs <= 0)
    return 0;
  double expected = lv.workRef > 0
                        ? lv.refNs * static_cast<double>(lv.workVar) /
                              static_cast<double>(lv.workRef)
                        : lv.refNs;
  return lv.varNs - expected;
}

void HtmlWriter::writeAttribution(const ReportInput &input,
                                  std::ostream &os) const {
  os << "<section id=\"attribution\"><h2>Where the worst variants lose "
        "time</h2>\n<p class=\"note\">Per layer, measured alone: the time "
        "beyond what the layer would take at the reference&apos;s throughput "
        "per FLOP, and the implementation the library chose for the reference "
        "and for the variant.</p>\n";
  size_t shown = 0;
  for (const VariantVerdict &vv : input.verdict.variants) {
    if (shown == kAttributedVariants)
      break;
    if (!vv.rel.valid || !(vv.cliff || vv.verdict == Verdict::kSlower))
      continue;
    ++shown;
    std::vector<const LayerVerdict *> layers;
    double total = 0;
    for (const LayerVerdict &lv : vv.layers)
      if (lostNs(lv) > 0 || lv.implSwitch) {
        layers.push_back(&lv);
        total += std::max(lostNs(lv), 0.0);
      }
    std::stable_sort(layers.begin(), layers.end(),
                     [](const LayerVerdict *a, const LayerVerdict *b) {
                       return lostNs(*a) > lostNs(*b);
                     });
    if (layers.size() > kAttributedLayers)
      layers.resize(kAttributedLayers);
    os << "<h3>" << esc(vv.key) << ": <code>" << esc(join(vv.mutations, "; "))
       << "</code> " << verdictBadge(vv.verdict, vv.cliff) << " "
       << ratioString(vv.rel) << "</h3>\n";
    if (layers.empty()) {
      os << "<p>No layer measured alone loses time; the loss is between "
            "layers.</p>\n";
      continue;
    }
    os << "<table>\n<tr><th>layer</th><th>kind</th><th>output</th><th>"
          "implementation (reference &#8594; variant)</th><th>reference</th>"
          "<th>variant</th><th>time lost</th><th>throughput/FLOP vs "
          "reference</th><th>verdict</th></tr>\n";
    for (const LayerVerdict *lv : layers) {
      double lost = std::max(lostNs(*lv), 0.0);
      double share = total > 0 ? lost / total : 0;
      std::string impl = lv->implSwitch
                             ? "<span class=\"switch\">" + esc(lv->implRef) +
                                   " &#8594; " + esc(lv->implVar) + "</span>"
                             : esc(lv->implVar);
      os << "<tr><td>" << (lv->changed ? "* " : "") << esc(lv->name)
         << "</td><td>" << esc(lv->kind) << "</td><td>" << esc(lv->shape)
         << "</td><td><code>" << impl << "</code></td><td class=\"num\">"
         << timeString(lv->refNs) << "</td><td class=\"num\">"
         << timeString(lv->varNs) << "</td><td class=\"num\">"
         << fmt::format("<span class=\"bar\" style=\"width:{:.0f}px\"></span>"
                        "{} ({:.0f}%)",
                        80 * share, timeString(lost), 100 * share)
         << "</td><td class=\"num\">" << layerRatioString(lv->rel, lv->perByte)
         << "</td><td>" << verdictBadge(lv->verdict, lv->cliff)
         << throttleNote(lv->throttledRef, lv->throttledVar) << "</td></tr>\n";
    }
    os << "</table>\n";
  }
  if (shown == 0)
    os << "<p>No variant is slower than the reference.</p>\n";
  os << "</section>\n";
}

void HtmlWriter::writeFindings(const ReportInput &input,
                               std::ostream &os) const {
  os << "<section id=\"findings\"><h2>Correctness findings</h2>\n";
  if (input.run.findings.empty()) {
    os << "<p>No crash, hang, protocol error, failed measurement or wrong "
          "result.</p></section>\n";
    return;
  }
  std::map<std::string, const VariantRecord *> variants;
  for (const VariantRecord &v : input.run.variants)
    variants[v.key] = &v;
  os << "<table>\n<tr><th>kind</th><th>variant</th><th>layer</th><th>"
        "message</th><th>reproducer</th></tr>\n";
  for (const FindingRecord &f : input.run.findings) {
    std::string layer = "-";
    if (f.layerId) {
      layer = std::to_string(*f.layerId);
      auto it = variants.find(f.variantKey);
      if (it != variants.end() && *f.layerId >= 0 &&
          *f.layerId < static_cast<int64_t>(it->second->plan.layers.size()))
        layer += " " + it->second->plan.layers[*f.layerId].name;
    }
    os << "<tr><td><span class=\"verdict v-cliff\">" << esc(f.kind)
       << "</span></td><td>" << esc(f.variantKey.empty() ? "-" : f.variantKey)
       << "</td><td>" << esc(layer) << "</td><td>" << esc(f.message)
       << "</td><td>"
       << (f.repro.empty() ? "-" : "<code>" + esc(f.repro) + "</code>")
       << "</td></tr>\n";
  }
  os << "</table></section>\n";
}

void HtmlWriter::writeReproduce(const ReportInput &input,
                                std::ostream &os) const {
  os << "<section id=\"reproduce\"><h2>Reproduce</h2>\n<p>The run:</p>\n"
        "<pre><code>"
     << esc(input.run.run.commandLine) << "</code></pre>\n";
  for (const VariantVerdict &vv : input.verdict.variants) {
    std::vector<std::string> lines = variantReproLines(input.run.run, vv);
    if (lines.empty())
      continue;
    os << "<p><b>" << esc(vv.key) << "</b> (<code>"
       << esc(join(vv.mutations, "; ")) << "</code>):</p>\n<pre><code>"
       << esc(join(lines, "\n")) << "</code></pre>\n";
  }
  os << "</section>\n";
}

Status HtmlWriter::write(const ReportInput &input, std::ostream &os) const {
  const RunRecord &r = input.run.run;
  std::string title = "goodhart report: " + r.model + " on " + r.library + " " +
                      r.libraryVersion;
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
        "charset=\"utf-8\">\n<meta name=\"viewport\" "
        "content=\"width=device-width, initial-scale=1\">\n"
        "<link rel=\"icon\" href=\"data:,\">\n<title>"
     << esc(title) << "</title>\n<style>" << kStyle
     << "</style>\n</head>\n<body>\n<main>\n<h1>" << esc(title) << "</h1>\n"
     << "<p class=\"note\">" << esc(r.device) << " &middot; " << esc(r.isa)
     << " &middot; goodhart " << esc(r.goodhartVersion) << "</p>\n";
  if (!input.verdict.hasReference) {
    os << "<p>This run holds no reference measurement, so nothing can be "
          "judged.</p>\n";
    writeRun(r, os);
    writeFindings(input, os);
  } else {
    writeSummary(input, os);
    writeCharts(input, os);
    writeVariants(input, os);
    writeAttribution(input, os);
    writeFindings(input, os);
    writeRun(r, os);
    writeReproduce(input, os);
  }
  os << "</main>\n</body>\n</html>\n";
  return Status::ok();
}

} // namespace

std::unique_ptr<ReportWriter> createHtmlWriter() {
  return std::make_unique<HtmlWriter>();
}

} // namespace goodhart
