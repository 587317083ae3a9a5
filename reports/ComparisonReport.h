//===- ComparisonReport.h - Reports of a run comparison ---------*- C++ -*-===//
//
// `goodhart compare` writes a comparison of two runs as Markdown (compare.md,
// for people and bug reports), JSON (compare.json, schema
// "goodhart.comparison" version 1, documented in docs/NIGHTLY.md) and JUnit
// XML (compare-junit.xml: a test case per variant, regressions fail, plus
// one case for the benchmark-only improvement check).
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_REPORTS_COMPARISONREPORT_H
#define GOODHART_REPORTS_COMPARISONREPORT_H

#include "oracle/RunComparison.h"
#include "runners/common/Status.h"

#include <ostream>
#include <string>
#include <vector>

namespace goodhart {

/// 2: median_ns_* became time_ns_* (the oracle's statistic,
/// oracle.statistic).
inline constexpr int kComparisonSchemaVersion = 2;

struct ComparisonInput {
  const RunComparison &comparison;
  OracleOptions options;
};

/// "markdown", "json", "junit".
std::vector<std::string> comparisonFormatNames();
/// The file a format is written to in an output directory, "" if unknown.
std::string comparisonFileName(const std::string &format);

/// Writes one format; an unknown name is an error naming the known ones.
Status writeComparison(const ComparisonInput &input, const std::string &format,
                       std::ostream &os);

Status writeComparisonMarkdown(const ComparisonInput &input, std::ostream &os);
Status writeComparisonJson(const ComparisonInput &input, std::ostream &os);
Status writeComparisonJUnit(const ComparisonInput &input, std::ostream &os);

} // namespace goodhart

#endif // GOODHART_REPORTS_COMPARISONREPORT_H
