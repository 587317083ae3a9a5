//===- HtmlCharts.h - The cliff picture, as inline SVG ----------*- C++ -*-===//
//
// Groups judged variants by the dimension their mutation changes
// ("block1.conv2 channels") and draws, for each dimension, the relative
// throughput per FLOP of every variant against the dimension's value: CI
// whiskers, the reference marked at its own value, the cliff threshold drawn.
// The SVG is plain markup (no script); every string in it is escaped.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_REPORTS_HTMLCHARTS_H
#define GOODHART_REPORTS_HTMLCHARTS_H

#include "oracle/RelativeThroughput.h"
#include "oracle/RunData.h"

#include <optional>
#include <string>
#include <vector>

namespace goodhart {

struct DimensionPoint {
  std::string key;      // the variant, "v001"
  std::string mutation; // "set_channels(block1.conv2, 65)"
  int64_t value = 0;    // the dimension's value in this variant
  Ratio rel;
  Verdict verdict = Verdict::kUnmeasured;
  bool cliff = false;
};

struct DimensionSeries {
  std::string layer;     // "block1.conv2"
  std::string dimension; // "channels"
  /// The dimension's value in the reference, when its plan tells.
  std::optional<int64_t> referenceValue;
  std::vector<DimensionPoint> points; // by value

  std::string title() const { return layer + " " + dimension; }
  /// The lowest relative throughput among the points; none when no point
  /// was measured.
  std::optional<double> worst() const;
};

struct DimensionGroups {
  std::vector<DimensionSeries> series; // worst first
  /// Variants left out: several mutations, or one the parser cannot read.
  std::vector<std::string> ungrouped;
};

/// Groups the judged variants of `verdict` by the layer and dimension their
/// single mutation changes; reference values come from `run`'s reference.
DimensionGroups groupByDimension(const RunData &run, const RunVerdict &verdict);

/// CSS class of a verdict's colour: "v-cliff", "v-slower", ...
std::string verdictClass(Verdict verdict, bool cliff);

/// One <svg> element: relative throughput per FLOP against the value.
std::string dimensionChartSvg(const DimensionSeries &series,
                              const OracleOptions &options);

} // namespace goodhart

#endif // GOODHART_REPORTS_HTMLCHARTS_H
