//===- ReportText.h - Text helpers the report writers share -----*- C++ -*-===//
//
// Formatting and escaping used by more than one writer: markup escaping for
// HTML and XML, times, ratios with their interval, the goodhart-opt line
// that rebuilds a variant and the commands that reproduce its layers.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_REPORTS_REPORTTEXT_H
#define GOODHART_REPORTS_REPORTTEXT_H

#include "oracle/RelativeThroughput.h"
#include "oracle/RunData.h"

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace goodhart {

/// Escapes &, <, >, " and ' for HTML and XML text and attribute values.
std::string markupEscape(const std::string &text);

/// `text` made safe inside a Markdown table cell: '|' escaped, line breaks
/// as spaces.
std::string markdownCell(const std::string &text);

/// A run's provenance as findings.json and compare.json write it.
nlohmann::json runRecordJson(const RunRecord &run);

/// One JUnit test case: it fails when `failure` is not empty.
struct JUnitCase {
  std::string name, failure;
};

/// The <testcase> elements of `cases` under `className`, escaped.
void writeJUnitCases(std::ostream &os, const std::string &className,
                     const std::vector<JUnitCase> &cases);

/// "1.234 ms" or "56.7 us"; "-" when not measured.
std::string timeString(double ns);

/// "0.500 [0.490, 0.510]"; "-" when invalid.
std::string ratioString(const Ratio &ratio);
/// A layer's ratio, with " per byte" when it counts bytes, not FLOPs
/// (layerWork: a layer that moves data and computes nothing).
std::string layerRatioString(const Ratio &ratio, bool perByte);

std::string join(const std::vector<std::string> &items,
                 const std::string &separator);

/// "41.2% (812 GFLOP/s)": the share of the backend's peak and the achieved
/// GFLOP/s; only the GFLOP/s without a peak for its dtype; "-" unmeasured.
std::string peakString(const PeakShare &peak);

/// "1.333 [1.200, 1.467] at 300 W": throughput per watt against the
/// reference and the power it drew; "- (REASON)" without a power figure,
/// "-" when the backend reports none.
std::string efficiencyString(const Efficiency &energy);

/// The reference's own cell: "1 at 400 W" (its ratio to itself), or
/// efficiencyString's "-" forms without a power figure.
std::string referenceEfficiencyString(const Efficiency &energy);

/// "" when neither side ran throttled, else "throttled: variant 1/3
/// samples, reference 2/30 samples" (only the sides that did).
std::string throttleString(const ThrottleCount &ref, const ThrottleCount &var);

/// A plain-text paragraph on power for runs whose backend reported it
/// (RunVerdict::hasPower): the reference's watts and GFLOP per joule, and
/// the variant least efficient per watt; "" otherwise.
std::string energyText(const RunVerdict &verdict);

/// A plain-text warning when some comparison ran on throttled samples;
/// "" otherwise.
std::string throttleText(const RunVerdict &verdict);

/// The overfitting index as a plain-text paragraph (escape it for markup):
/// the index and its interval, the reference's percentile, the floor and
/// whether one-shot tuning is flagged, or why it was not evaluated.
std::string overfittingText(const OverfittingIndex &index);

/// A goodhart-opt line that rebuilds a variant from its reference; "" when
/// a mutation has no goodhart-opt pass.
std::string variantRepro(const RunRecord &run,
                         const std::vector<std::string> &mutations);

/// A layer's repro line as a command the backend's users run: oneDNN's
/// problem line after `benchdnn`, cuDNN's PyTorch statements in
/// `python3 -c "import torch; ..."`; another backend's line as it is.
std::string layerReproCommand(const std::string &backend,
                              const std::string &repro);

/// A variant's reproducers, each a "# title" line and its command: the
/// goodhart-opt line that rebuilds the variant, then each changed layer's
/// command. Empty when there is none.
std::vector<std::string> variantReproLines(const RunRecord &run,
                                           const VariantVerdict &variant);

} // namespace goodhart

#endif // GOODHART_REPORTS_REPORTTEXT_H
