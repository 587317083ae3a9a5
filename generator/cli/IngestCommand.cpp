//===- IngestCommand.cpp - goodhart ingest --------------------------------===//
//
// Stores runners' batch results files (from a GPU host, a cluster node, any
// protocol-speaking runner) in the results database: one run per reference
// model in each file, variants keyed by their plans, findings as `run` would
// record them. `goodhart report` then treats it like any campaign. A file
// may be gzip-compressed (as scripts/gpu-check.sh brings them back); every
// file is read and parsed before anything is stored, so a bad one stores
// nothing and names itself.
//
//===----------------------------------------------------------------------===//

#include "generator/cli/MeasureCli.h"

#include "generator/cli/GoodhartVersion.h"
#include "generator/cli/Memoization.h"

#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>

#include <zlib.h>

namespace goodhart::cli {
namespace {

/// A results file's lines, plain or gzip-compressed (zlib reads both).
struct ResultLines {
  std::vector<std::string> lines;
  /// The last line has no newline: the runner was killed while writing it.
  bool lastLineCut = false;
  /// zlib's word for a compressed stream that ends early (a copy cut
  /// short); what it held is read.
  std::string streamCut;
};

StatusOr<ResultLines> readResultLines(const std::string &path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file)
    return invalidInput(path + ": cannot open: " + std::strerror(errno));
  ResultLines result;
  std::string pending;
  std::vector<char> buffer(1 << 16);
  for (;;) {
    int n = gzread(file, buffer.data(), static_cast<unsigned>(buffer.size()));
    if (n < 0) {
      int code = 0;
      std::string why = gzerror(file, &code);
      gzclose(file);
      return invalidInput(path + ": cannot read: " + why);
    }
    if (n == 0)
      break;
    const char *p = buffer.data(), *end = p + n;
    while (const char *nl =
               static_cast<const char *>(std::memchr(p, '\n', end - p))) {
      pending.append(p, nl);
      result.lines.push_back(std::move(pending));
      pending.clear();
      p = nl + 1;
    }
    pending.append(p, end);
  }
  // A gzip stream cut short reads as far as it goes, then says so.
  int code = 0;
  std::string why = gzerror(file, &code);
  gzclose(file);
  if (code == Z_BUF_ERROR)
    result.streamCut = why;
  else if (code != Z_OK)
    return invalidInput(path + ": cannot read: " + why);
  if (!pending.empty()) {
    result.lines.push_back(std::move(pending));
    result.lastLineCut = true;
  }
  return result;
}

struct IngestedRun {
  RunRecord run;
  std::vector<VariantRecord> variants;
  /// Per variant: the layers the runner copied from another plan of the
  /// batch (BatchMemo), resolved to stored rows once that plan is stored.
  std::vector<std::vector<BatchReuse>> fromOtherPlans;
  std::vector<FindingRecord> findings;
};

/// The stored rows the reused layers of `v` copy: each is the newest
/// measurement of its problem under the run's memo key, which the batch's
/// earlier plan (stored first, the file's order) has just stored.
Status resolveReuse(ResultsDb &db, VariantRecord &v,
                    const std::vector<BatchReuse> &fromOtherPlans) {
  for (const BatchReuse &r : fromOtherPlans) {
    if (r.id < 0 || r.id >= static_cast<int64_t>(v.plan.layers.size()))
      return invalidInput("variant '" + v.key + "': reused layer " +
                          std::to_string(r.id) + " is not in its plan");
    const std::string &hash = v.plan.layers[r.id].hash;
    auto hit = db.findMemoizedLayer(hash, v.memoKey);
    if (!hit)
      return hit.status();
    if (!*hit)
      return invalidInput("variant '" + v.key + "': layer " +
                          std::to_string(r.id) + " reuses layer " +
                          std::to_string(r.fromId) + " of " + r.fromPlan +
                          ", which is not stored before it");
    v.reused[r.id] = LayerReuse{(*hit)->measurementId, -1};
  }
  return Status::ok();
}

/// Parses one results file into its runs (one per model and source).
StatusOr<std::vector<IngestedRun>> readResults(const std::string &path,
                                               const Args &args) {
  StatusOr<ResultLines> read = readResultLines(path);
  if (!read)
    return read.status();
  if (!read->streamCut.empty())
    std::cerr << "goodhart ingest: warning: " << path << ": " << read->streamCut
              << " (a copy cut short?); ingesting the " << read->lines.size()
              << " lines it holds\n";
  std::map<std::string, IngestedRun> runs; // by model and source
  const size_t count = read->lines.size();
  for (size_t i = 0; i < count; ++i) {
    const std::string where = path + ":" + std::to_string(i + 1);
    StatusOr<BatchResultLine> parsed =
        parseBatchResultLine(read->lines[i], where);
    if (!parsed && i + 1 == count && read->lastLineCut) {
      std::cerr << "goodhart ingest: warning: " << where
                << ": the last line is incomplete (the runner was stopped "
                   "while writing it); skipped\n";
      break;
    }
    if (!parsed)
      return parsed.status();
    const Response &response = parsed->response;
    const Plan &plan = parsed->plan;
    IngestedRun &ingested = runs[plan.model + "\n" + plan.source];
    RunRecord &run = ingested.run;
    if (run.model.empty()) {
      run.model = plan.model;
      run.source = plan.source;
      run.goodhartVersion = GOODHART_VERSION;
      run.commandLine = commandLineString("ingest", args);
      run.options = parsed->options;
      if (response.runner) {
        const RunnerInfo &info = *response.runner;
        run.backend = info.name;
        run.library = info.library;
        run.libraryVersion = info.libraryVersion;
        run.device = info.device;
        run.isa = info.isa;
        run.threads = info.threads;
        run.runner = info.toJson();
      }
    }
    // The reference's plan carries no generator metadata: the run's
    // strategy and seed are those of its variants.
    if (run.strategy.empty() && !parsed->strategy.empty()) {
      run.strategy = parsed->strategy;
      run.seed = parsed->seed;
    }
    std::vector<BatchReuse> fromOtherPlans;
    VariantRecord v;
    // The memo key lets reused layers find their rows, and later runs of
    // the same runner and options reuse what this batch measured.
    if (response.runner) {
      StatusOr<MeasureOptions> options =
          MeasureOptions::fromJson(parsed->options);
      if (!options)
        return invalidInput(where + " options: " + options.status().message());
      v.memoKey = memoKey(*response.runner, *options);
      for (const BatchReuse &r : parsed->reused)
        if (r.fromPlan == parsed->planFile)
          v.reused[r.id] = LayerReuse{0, r.fromId};
        else
          fromOtherPlans.push_back(r);
    }
    v.key = plan.variant.empty()
                ? (parsed->planFile.empty() ? where : parsed->planFile)
                : plan.variant;
    v.isReference = plan.variant == "reference";
    v.sourcePath = parsed->planFile;
    v.mutations = parsed->mutations;
    v.plan = std::move(parsed->plan);
    if (response.error) {
      ingested.findings.push_back(
          {0, v.key, "error", std::nullopt,
           response.error->code + ": " + response.error->message,
           "plan: " + v.sourcePath, ""});
    } else if (response.measure) {
      v.layers = response.measure->layers;
      v.model = response.measure->model;
    }
    ingested.variants.push_back(std::move(v));
    ingested.fromOtherPlans.push_back(std::move(fromOtherPlans));
  }
  if (runs.empty())
    return invalidInput(path + ": no results");
  std::vector<IngestedRun> result;
  for (auto &[key, ingested] : runs)
    result.push_back(std::move(ingested));
  return result;
}

/// Stores one run with its variants and findings; returns its id.
StatusOr<int64_t> storeRun(ResultsDb &db, IngestedRun &ingested) {
  auto runId = db.beginRun(ingested.run);
  if (!runId)
    return runId.status();
  for (size_t i = 0; i < ingested.variants.size(); ++i) {
    VariantRecord &v = ingested.variants[i];
    Status s = resolveReuse(db, v, ingested.fromOtherPlans[i]);
    if (s.isOk())
      s = db.addVariant(*runId, v).status();
    if (s.isOk())
      s = recordLayerFindings(db, *runId, v.key, v.layers);
    if (!s.isOk())
      return s;
  }
  for (const FindingRecord &f : ingested.findings)
    if (Status s = db.addFinding(*runId, f); !s.isOk())
      return s;
  if (Status s = db.finishRun(*runId, "finished"); !s.isOk())
    return s;
  return *runId;
}

} // namespace

int runIngest(const Args &args) {
  po::options_description options("ingest options");
  options.add_options()(
      "results", po::value<std::vector<std::string>>()->required(),
      "runner batch results (JSON Lines, plain or .gz); one or more")(
      "db", po::value<std::string>()->default_value("goodhart.db"),
      "SQLite results database");
  po::positional_options_description positional;
  positional.add("results", -1);
  po::variables_map vm;
  if (auto code =
          parseCommandLine("ingest", "RESULTS.jsonl[.gz]... [--db FILE]",
                           options, positional, args, vm))
    return *code;
  // Every file is parsed before anything is stored.
  std::vector<IngestedRun> runs;
  for (const std::string &path : vm["results"].as<std::vector<std::string>>()) {
    auto read = readResults(path, args);
    if (!read) {
      printError("ingest", read.status().message());
      return kExitFailure;
    }
    for (IngestedRun &run : *read)
      runs.push_back(std::move(run));
  }
  auto db = ResultsDb::open(vm["db"].as<std::string>());
  if (!db) {
    printError("ingest", db.status().message());
    return kExitFailure;
  }
  for (IngestedRun &ingested : runs) {
    auto runId = storeRun(**db, ingested);
    if (!runId) {
      printError("ingest", runId.status().message());
      return kExitFailure;
    }
    std::cout << "run " << *runId << ": " << ingested.run.model << " on "
              << ingested.run.library << " " << ingested.run.libraryVersion
              << " (" << ingested.run.device << "), "
              << ingested.variants.size() << " plans\n";
  }
  return kExitOk;
}

} // namespace goodhart::cli
