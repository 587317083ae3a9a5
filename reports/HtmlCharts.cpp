//===- HtmlCharts.cpp - The cliff picture, as inline SVG ------------------===//

#include "reports/HtmlCharts.h"

#include "generator/MutationSpec.h"
#include "reports/ReportText.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace goodhart {
namespace {

/// "set_channels" changes "channels"; other kinds name their dimension the
/// same way.
std::string dimensionOf(const std::string &kind) {
  return kind.rfind("set_", 0) == 0 ? kind.substr(4) : kind;
}

/// The dimension's value in the reference: a layer's output channels are
/// the last (NHWC) dimension of its first output.
std::optional<int64_t> referenceValue(const VariantRecord *ref,
                                      const MutationSpec &spec) {
  if (!ref || spec.kind != "set_channels")
    return std::nullopt;
  for (const Layer &layer : ref->plan.layers) {
    if (layer.name != spec.layer || layer.outputs.empty())
      continue;
    int64_t id = layer.outputs.front();
    if (id < 0 || id >= static_cast<int64_t>(ref->plan.tensors.size()))
      return std::nullopt;
    const std::vector<int64_t> &shape = ref->plan.tensors[id].shape;
    if (shape.empty())
      return std::nullopt;
    return shape.back();
  }
  return std::nullopt;
}

/// A step of 1, 2 or 5 times a power of ten giving about `count` ticks.
double niceStep(double range, int count) {
  double raw = range / std::max(count, 1);
  if (raw <= 0)
    return 1;
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * magnitude)
      return m * magnitude;
  return 10 * magnitude;
}

std::string number(double v) {
  std::string s = fmt::format("{:.3f}", v);
  while (!s.empty() && s.back() == '0')
    s.pop_back();
  if (!s.empty() && s.back() == '.')
    s.pop_back();
  return s == "-0" ? "0" : s;
}

/// The y axis ends here at most: the picture is about what lies below 1;
/// points above are drawn as triangles at the top (their tooltip tells).
constexpr double kMaxY = 3;

// Chart geometry, in SVG user units.
constexpr double kWidth = 640, kHeight = 300;
constexpr double kLeft = 56, kRight = 20, kTop = 16, kBottom = 46;

} // namespace

std::optional<double> DimensionSeries::worst() const {
  std::optional<double> worst;
  for (const DimensionPoint &p : points)
    if (p.rel.valid)
      worst = std::min(worst.value_or(p.rel.value), p.rel.value);
  return worst;
}

std::string verdictClass(Verdict verdict, bool cliff) {
  if (cliff)
    return "v-cliff";
  return "v-" + std::string(verdictName(verdict));
}

DimensionGroups groupByDimension(const RunData &run,
                                 const RunVerdict &verdict) {
  DimensionGroups groups;
  const VariantRecord *ref = run.reference();
  std::map<std::pair<std::string, std::string>, DimensionSeries> byKey;
  std::vector<std::pair<std::string, std::string>> order;
  for (const VariantVerdict &vv : verdict.variants) {
    std::optional<MutationSpec> spec;
    if (vv.mutations.size() == 1)
      spec = MutationSpec::parse(vv.mutations.front());
    // Identity variants are the control group, not a dimension: they stay
    // in the table.
    if (!spec || spec->kind == "identity") {
      groups.ungrouped.push_back(vv.key);
      continue;
    }
    auto key = std::make_pair(spec->layer, dimensionOf(spec->kind));
    auto [it, inserted] = byKey.try_emplace(key);
    if (inserted) {
      it->second.layer = spec->layer;
      it->second.dimension = key.second;
      it->second.referenceValue = referenceValue(ref, *spec);
      order.push_back(key);
    }
    it->second.points.push_back({vv.key, vv.mutations.front(), spec->value,
                                 vv.rel, vv.verdict, vv.cliff});
  }
  for (const auto &key : order) {
    DimensionSeries &s = byKey[key];
    std::stable_sort(s.points.begin(), s.points.end(),
                     [](const DimensionPoint &a, const DimensionPoint &b) {
                       return a.value < b.value;
                     });
    groups.series.push_back(std::move(s));
  }
  std::stable_sort(groups.series.begin(), groups.series.end(),
                   [](const DimensionSeries &a, const DimensionSeries &b) {
                     // Unmeasured series last.
                     return a.worst().value_or(HUGE_VAL) <
                            b.worst().value_or(HUGE_VAL);
                   });
  return groups;
}

std::string dimensionChartSvg(const DimensionSeries &series,
                              const OracleOptions &options) {
  // Ranges: every value and the reference's on x; 0 to above 1, every
  // interval and the threshold on y.
  double xMin = 0, xMax = 0, yMax = 1.25;
  bool first = true;
  auto takeX = [&](double v) {
    xMin = first ? v : std::min(xMin, v);
    xMax = first ? v : std::max(xMax, v);
    first = false;
  };
  for (const DimensionPoint &p : series.points) {
    takeX(static_cast<double>(p.value));
    if (p.rel.valid)
      yMax = std::max(yMax, std::min(p.rel.high * 1.08, kMaxY));
  }
  if (series.referenceValue)
    takeX(static_cast<double>(*series.referenceValue));
  yMax = std::max(yMax, options.cliffThreshold * 1.2);
  double pad = std::max((xMax - xMin) * 0.06, 1.0);
  xMin -= pad;
  xMax += pad;

  const double plotW = kWidth - kLeft - kRight;
  const double plotH = kHeight - kTop - kBottom;
  auto px = [&](double v) {
    return kLeft + (v - xMin) / (xMax - xMin) * plotW;
  };
  auto py = [&](double r) {
    return kTop + (1 - std::clamp(r, 0.0, yMax) / yMax) * plotH;
  };

  const std::string title = markupEscape(series.title());
  std::string svg = fmt::format(
      "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
      "viewBox=\"0 0 {0} {1}\" width=\"{0}\" height=\"{1}\" role=\"img\" "
      "aria-label=\"relative throughput per FLOP against {2}\">\n"
      "<title>relative throughput per FLOP against {2}</title>\n",
      kWidth, kHeight, title);

  // Grid, ticks and axes.
  double yStep = niceStep(yMax, 5);
  for (double t = 0; t <= yMax + 1e-9; t += yStep)
    svg += fmt::format("<line class=\"grid\" x1=\"{:.1f}\" y1=\"{:.1f}\" "
                       "x2=\"{:.1f}\" y2=\"{:.1f}\"/>"
                       "<text class=\"tick\" x=\"{:.1f}\" y=\"{:.1f}\" "
                       "text-anchor=\"end\">{}</text>\n",
                       kLeft, py(t), kLeft + plotW, py(t), kLeft - 6, py(t) + 4,
                       number(t));
  double xStep = std::max(1.0, std::round(niceStep(xMax - xMin, 8)));
  for (double t = std::ceil(xMin / xStep) * xStep; t <= xMax; t += xStep)
    svg += fmt::format("<line class=\"axis\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" "
                       "x2=\"{0:.1f}\" y2=\"{2:.1f}\"/>"
                       "<text class=\"tick\" x=\"{0:.1f}\" y=\"{3:.1f}\" "
                       "text-anchor=\"middle\">{4}</text>\n",
                       px(t), kTop + plotH, kTop + plotH + 5, kTop + plotH + 18,
                       number(t));
  svg += fmt::format(
      "<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2:.1f}\"/>"
      "<line class=\"axis\" x1=\"{0}\" y1=\"{2:.1f}\" x2=\"{3:.1f}\" "
      "y2=\"{2:.1f}\"/>\n"
      "<text class=\"label\" x=\"{4:.1f}\" y=\"{5:.1f}\" "
      "text-anchor=\"middle\">{6}</text>\n"
      "<text class=\"label\" transform=\"translate(14 {7:.1f}) rotate(-90)\" "
      "text-anchor=\"middle\">throughput/FLOP vs reference</text>\n",
      kLeft, kTop, kTop + plotH, kLeft + plotW, kLeft + plotW / 2, kHeight - 8,
      title, kTop + plotH / 2);

  // The reference's level and the cliff threshold.
  svg += fmt::format("<line class=\"unity\" x1=\"{:.1f}\" y1=\"{:.1f}\" "
                     "x2=\"{:.1f}\" y2=\"{:.1f}\"/>\n",
                     kLeft, py(1), kLeft + plotW, py(1));
  svg += fmt::format(
      "<g class=\"cliff-threshold\"><line x1=\"{:.1f}\" y1=\"{:.1f}\" "
      "x2=\"{:.1f}\" y2=\"{:.1f}\"/><text x=\"{:.1f}\" y=\"{:.1f}\" "
      "text-anchor=\"end\">cliff {}</text></g>\n",
      kLeft, py(options.cliffThreshold), kLeft + plotW,
      py(options.cliffThreshold), kLeft + plotW - 4,
      py(options.cliffThreshold) - 4, number(options.cliffThreshold));

  if (series.referenceValue) {
    double x = px(static_cast<double>(*series.referenceValue)), y = py(1);
    svg += fmt::format(
        "<g class=\"reference\"><line class=\"ref-line\" x1=\"{0:.1f}\" "
        "y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\"/>"
        "<path class=\"ref-marker\" d=\"M{0:.1f} {3:.1f} l7 7 l-7 7 l-7 -7 "
        "z\"><title>reference: {4} {5}, throughput/FLOP 1</title></path>"
        "<text x=\"{6:.1f}\" y=\"{7:.1f}\">reference {5}</text></g>\n",
        x, kTop, kTop + plotH, y - 7, markupEscape(series.dimension),
        *series.referenceValue, x + 9, y - 9);
  }

  for (const DimensionPoint &p : series.points) {
    double x = px(static_cast<double>(p.value));
    std::string cls = verdictClass(p.verdict, p.cliff);
    std::string tip = markupEscape(
        fmt::format("{} {}: {} = {}, throughput/FLOP {}, {}", p.key, p.mutation,
                    series.dimension, p.value, ratioString(p.rel),
                    p.cliff ? "cliff" : verdictName(p.verdict)));
    if (!p.rel.valid) {
      double y = kTop + plotH - 8;
      svg += fmt::format("<g class=\"point {}\"><path class=\"pt\" "
                         "d=\"M{:.1f} {:.1f} l8 8 m0 -8 l-8 8\">"
                         "<title>{}</title></path></g>\n",
                         cls, x - 4, y - 4, tip);
      continue;
    }
    std::string marker =
        p.rel.value > yMax
            ? fmt::format("<path class=\"pt clipped\" d=\"M{:.1f} {:.1f} l5 9 "
                          "l-10 0 z\">",
                          x, kTop)
            : fmt::format("<circle class=\"pt\" cx=\"{:.1f}\" cy=\"{:.1f}\" "
                          "r=\"4.5\">",
                          x, py(p.rel.value));
    std::string close = p.rel.value > yMax ? "</path>" : "</circle>";
    svg += fmt::format(
        "<g class=\"point {0}\"><line class=\"whisker\" x1=\"{1:.1f}\" "
        "y1=\"{2:.1f}\" x2=\"{1:.1f}\" y2=\"{3:.1f}\"/>"
        "<line class=\"whisker\" x1=\"{4:.1f}\" y1=\"{2:.1f}\" x2=\"{5:.1f}\" "
        "y2=\"{2:.1f}\"/>{6}{7}<title>{8}</title>{9}</g>\n",
        cls, x, py(p.rel.low), py(p.rel.high), x - 3, x + 3,
        p.rel.high > yMax
            ? ""
            : fmt::format("<line class=\"whisker\" x1=\"{:.1f}\" "
                          "y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>",
                          x - 3, py(p.rel.high), x + 3, py(p.rel.high)),
        marker, tip, close);
  }
  svg += "</svg>\n";
  return svg;
}

} // namespace goodhart
