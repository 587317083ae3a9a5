//===- ReportCli.h - Judging and reporting from the command line -*- C++
//-*-===//
#ifndef GOODHART_GENERATOR_CLI_REPORTCLI_H
#define GOODHART_GENERATOR_CLI_REPORTCLI_H

#include "generator/cli/CliSupport.h"
#include "oracle/RelativeThroughput.h"
#include "oracle/ResultsDb.h"
#include "reports/ReportWriter.h"

namespace goodhart {
/// Lets Boost.Program_options read a TimeStatistic ("min", "median", "p10");
/// another text is an error that lists the accepted forms.
void validate(boost::any &value, const std::vector<std::string> &texts,
              TimeStatistic *, int);
} // namespace goodhart

namespace goodhart::cli {

/// --statistic: which statistic of the samples the oracle compares.
void addStatisticOption(po::options_description &options);
/// --statistic, --same-threshold, --cliff-threshold, --format.
void addOracleOptions(po::options_description &options);
OracleOptions readOracleOptions(const po::variables_map &vm);
std::vector<std::string> readFormats(const po::variables_map &vm);

/// Loads run `runId`, judges it and writes the reports; returns the paths.
StatusOr<std::vector<std::string>>
reportRun(ResultsDb &db, int64_t runId, const std::string &outDir,
          const std::vector<std::string> &formats, const OracleOptions &oracle);

} // namespace goodhart::cli

#endif // GOODHART_GENERATOR_CLI_REPORTCLI_H
