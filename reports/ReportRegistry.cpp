//===- ReportRegistry.cpp - The one place writers are registered ----------===//

#include "reports/ReportWriter.h"

#include <filesystem>
#include <fstream>

namespace goodhart {

const std::vector<std::unique_ptr<ReportWriter>> &reportWriters() {
  static const std::vector<std::unique_ptr<ReportWriter>> kWriters = [] {
    std::vector<std::unique_ptr<ReportWriter>> writers;
    writers.push_back(createMarkdownWriter());
    writers.push_back(createJsonWriter());
    writers.push_back(createCsvWriter());
    writers.push_back(createJUnitWriter());
    writers.push_back(createHtmlWriter());
    return writers;
  }();
  return kWriters;
}

std::vector<std::string> reportWriterNames() {
  std::vector<std::string> names;
  for (const auto &w : reportWriters())
    names.push_back(w->name());
  return names;
}

StatusOr<std::vector<std::string>>
writeReports(const ReportInput &input, const std::string &outDir,
             const std::vector<std::string> &writerNames) {
  std::vector<const ReportWriter *> selected;
  for (const std::string &name : writerNames) {
    const ReportWriter *found = nullptr;
    for (const auto &w : reportWriters())
      if (w->name() == name)
        found = w.get();
    if (!found) {
      std::string known;
      for (const std::string &n : reportWriterNames())
        known += (known.empty() ? "" : ", ") + n;
      return invalidInput("unknown report format '" + name +
                          "' (known: " + known + ")");
    }
    selected.push_back(found);
  }
  std::error_code ec;
  std::filesystem::create_directories(outDir, ec);
  if (ec)
    return Status(StatusCode::kIoError,
                  outDir + ": cannot create directory: " + ec.message());
  std::vector<std::string> paths;
  for (const ReportWriter *writer : selected) {
    std::string path = outDir + "/" + writer->fileName();
    std::ofstream out(path);
    if (!out)
      return Status(StatusCode::kIoError, path + ": cannot write");
    GOODHART_RETURN_IF_ERROR(writer->write(input, out));
    if (!out)
      return Status(StatusCode::kIoError, path + ": write failed");
    paths.push_back(path);
  }
  return paths;
}

} // namespace goodhart
