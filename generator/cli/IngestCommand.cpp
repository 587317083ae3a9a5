//===- IngestCommand.cpp - goodhart ingest --------------------------------===//
//
// Stores a runner's batch results file (from a GPU host, a cluster node, any
// protocol-speaking runner) in the results database: one run per reference
// model in the file, variants keyed by their plans, findings as `run` would
// record them. `goodhart report` then treats it like any campaign.
//
//===----------------------------------------------------------------------===//

#include "generator/cli/MeasureCli.h"

#include "generator/cli/GoodhartVersion.h"
#include "generator/cli/Memoization.h"

#include <fstream>
#include <iostream>
#include <map>

namespace goodhart::cli {
namespace {

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

} // namespace

int runIngest(const Args &args) {
  po::options_description options("ingest options");
  options.add_options()("results", po::value<std::string>()->required(),
                        "runner batch results (JSON Lines)")(
      "db", po::value<std::string>()->default_value("goodhart.db"),
      "SQLite results database");
  po::positional_options_description positional;
  positional.add("results", 1);
  po::variables_map vm;
  if (auto code = parseCommandLine("ingest", "RESULTS.jsonl [--db FILE]",
                                   options, positional, args, vm))
    return *code;
  const std::string path = vm["results"].as<std::string>();
  std::ifstream in(path);
  if (!in) {
    printError("ingest", path + ": cannot open");
    return kExitFailure;
  }
  std::map<std::string, IngestedRun> runs; // by model and source
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string where = path + ":" + std::to_string(number);
    StatusOr<BatchResultLine> parsed = parseBatchResultLine(line, where);
    if (!parsed) {
      printError("ingest", parsed.status().message());
      return kExitFailure;
    }
    const Response &response = parsed->response;
    const Plan &plan = parsed->plan;
    IngestedRun &ingested = runs[plan.model + "\n" + plan.source];
    RunRecord &run = ingested.run;
    if (run.model.empty()) {
      run.model = plan.model;
      run.source = plan.source;
      run.goodhartVersion = GOODHART_VERSION;
      run.commandLine = commandLineString("ingest", args);
      run.strategy = parsed->strategy;
      run.seed = parsed->seed;
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
    std::vector<BatchReuse> fromOtherPlans;
    VariantRecord v;
    // The memo key lets reused layers find their rows, and later runs of
    // the same runner and options reuse what this batch measured.
    if (response.runner) {
      StatusOr<MeasureOptions> options =
          MeasureOptions::fromJson(parsed->options);
      if (!options) {
        printError("ingest", where + " options: " + options.status().message());
        return kExitFailure;
      }
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
  if (runs.empty()) {
    printError("ingest", path + ": no results");
    return kExitFailure;
  }
  auto db = ResultsDb::open(vm["db"].as<std::string>());
  if (!db) {
    printError("ingest", db.status().message());
    return kExitFailure;
  }
  for (auto &[key, ingested] : runs) {
    auto runId = (*db)->beginRun(ingested.run);
    if (!runId) {
      printError("ingest", runId.status().message());
      return kExitFailure;
    }
    for (size_t i = 0; i < ingested.variants.size(); ++i) {
      VariantRecord &v = ingested.variants[i];
      Status s = resolveReuse(**db, v, ingested.fromOtherPlans[i]);
      if (s.isOk())
        s = (*db)->addVariant(*runId, v).status();
      if (s.isOk())
        s = recordLayerFindings(**db, *runId, v.key, v.layers);
      if (!s.isOk()) {
        printError("ingest", s.message());
        return kExitFailure;
      }
    }
    for (const FindingRecord &f : ingested.findings)
      if (Status s = (*db)->addFinding(*runId, f); !s.isOk()) {
        printError("ingest", s.message());
        return kExitFailure;
      }
    if (Status s = (*db)->finishRun(*runId, "finished"); !s.isOk()) {
      printError("ingest", s.message());
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
