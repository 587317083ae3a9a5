//===- ReportWriter.h - Report writers and their registry -------*- C++ -*-===//
//
// A writer turns a judged run into one file. Writers are registered in one
// place (ReportRegistry.cpp); `goodhart report --format` picks them by name.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_REPORTS_REPORTWRITER_H
#define GOODHART_REPORTS_REPORTWRITER_H

#include "oracle/RelativeThroughput.h"
#include "oracle/RunData.h"
#include "runners/common/Status.h"

#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace goodhart {

struct ReportInput {
  const RunData &run;
  const RunVerdict &verdict;
  OracleOptions options;
};

class ReportWriter {
public:
  virtual ~ReportWriter() = default;
  virtual std::string name() const = 0;     // "markdown"
  virtual std::string fileName() const = 0; // "report.md"
  virtual Status write(const ReportInput &input, std::ostream &os) const = 0;
};

/// Every writer, in the order reports list them.
const std::vector<std::unique_ptr<ReportWriter>> &reportWriters();
std::vector<std::string> reportWriterNames();

/// Writes the named writers' files into `outDir` (created if needed) and
/// returns their paths; an unknown name is an error naming the known ones.
StatusOr<std::vector<std::string>>
writeReports(const ReportInput &input, const std::string &outDir,
             const std::vector<std::string> &writerNames);

std::unique_ptr<ReportWriter> createMarkdownWriter();
std::unique_ptr<ReportWriter> createJsonWriter();
std::unique_ptr<ReportWriter> createCsvWriter();
std::unique_ptr<ReportWriter> createJUnitWriter();
std::unique_ptr<ReportWriter> createHtmlWriter();

} // namespace goodhart

#endif // GOODHART_REPORTS_REPORTWRITER_H
