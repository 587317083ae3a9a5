//===- MeasureCli.cpp - Measuring plans into the results database ---------===//

#include "generator/cli/MeasureCli.h"

#include "generator/cli/Backends.h"
#include "generator/cli/GoodhartVersion.h"
#include "generator/cli/Memoization.h"
#include "generator/cli/Progress.h"
#include "runners/common/RunnerProcess.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <unistd.h>

namespace goodhart::cli {
namespace fs = std::filesystem;

void addMeasureOptions(po::options_description &options) {
  options.add_options()("backend",
                        po::value<std::string>()->default_value("onednn"),
                        "backend: onednn, cudnn")(
      "runner", po::value<std::string>()->default_value(""),
      "run this protocol-speaking program instead of the backend's runner")(
      "db", po::value<std::string>()->default_value("goodhart.db"),
      "SQLite results database")(
      "mode", po::value<std::string>()->default_value("both"),
      "layers, model or both")("threads", po::value<int>()->default_value(0),
                               "runner threads (0: the backend's default)")(
      "warmup-ms", po::value<double>()->default_value(20),
      "warm-up time per measurement")("min-samples",
                                      po::value<int64_t>()->default_value(20),
                                      "samples per measurement at least")(
      "min-time-ms", po::value<double>()->default_value(100),
      "sampling time per measurement at least")(
      "max-time-ms", po::value<double>()->default_value(1000),
      "sampling time per measurement at most")(
      "target-rsd", po::value<double>()->default_value(0.005),
      "stop when the median's relative error is below this")(
      "cold-cache", po::bool_switch(),
      "flush the last-level cache before each sample")(
      "tf32", po::bool_switch(),
      "GPU: let f32 layers use TF32 tensor cores (default: strict f32)")(
      "layout", po::value<std::string>()->default_value("nhwc"),
      "GPU: device layout of rank-4 tensors, nhwc or nchw")(
      "fusion", po::value<std::string>()->default_value("eager"),
      "GPU: eager (a layer's bias and post-ops as separate kernels, as "
      "PyTorch's eager mode) or graph (fused into the layer's kernel where "
      "the library can)")(
      "rounds", po::value<int>()->default_value(1),
      "layers mode: measure all layers this many times in turn, each round "
      "with its share of the budget, and pool the samples")(
      "timeout-s", po::value<int64_t>()->default_value(600),
      "kill the runner when one plan takes longer")(
      "no-memo", po::bool_switch(),
      "measure every layer of every plan, even one the database already "
      "holds a result for");
}

MeasureCliOptions readMeasureOptions(const po::variables_map &vm) {
  MeasureCliOptions o;
  o.backend = vm["backend"].as<std::string>();
  o.runner = vm["runner"].as<std::string>();
  o.db = vm["db"].as<std::string>();
  std::string mode = vm["mode"].as<std::string>();
  o.measure.mode = mode == "layers"  ? MeasureMode::kLayers
                   : mode == "model" ? MeasureMode::kModel
                                     : MeasureMode::kBoth;
  o.measure.threads = vm["threads"].as<int>();
  o.measure.warmupMs = vm["warmup-ms"].as<double>();
  o.measure.minSamples = vm["min-samples"].as<int64_t>();
  o.measure.minTimeMs = vm["min-time-ms"].as<double>();
  o.measure.maxTimeMs = vm["max-time-ms"].as<double>();
  o.measure.targetRsd = vm["target-rsd"].as<double>();
  o.measure.coldCache = vm["cold-cache"].as<bool>();
  o.measure.tf32 = vm["tf32"].as<bool>();
  o.measure.layout = vm["layout"].as<std::string>();
  o.measure.fusion = vm["fusion"].as<std::string>();
  if (o.measure.fusion != "eager" && o.measure.fusion != "graph")
    throw po::error("--fusion must be eager or graph");
  o.measure.rounds = vm["rounds"].as<int>();
  if (o.measure.rounds < 1)
    throw po::error("--rounds must be at least 1");
  if (o.measure.layout != "nhwc" && o.measure.layout != "nchw")
    throw po::error("--layout must be nhwc or nchw");
  o.timeoutS = vm["timeout-s"].as<int64_t>();
  o.memo = !vm["no-memo"].as<bool>();
  if (mode != "layers" && mode != "model" && mode != "both")
    throw po::error("--mode must be layers, model or both");
  return o;
}

namespace {

StatusOr<PlanInput> readPlanInput(const std::string &path,
                                  const std::string &key) {
  StatusOr<Plan> plan = readPlanFile(path);
  if (!plan)
    return plan.status();
  PlanInput input;
  input.key = key;
  input.planPath = path;
  input.plan = std::move(plan).value();
  input.isReference = input.plan.variant == "reference";
  if (input.plan.metadata.contains("mutations") &&
      input.plan.metadata["mutations"].is_array())
    for (const auto &m : input.plan.metadata["mutations"])
      if (m.is_string())
        input.mutations.push_back(m.get<std::string>());
  const nlohmann::json &metadata = input.plan.metadata;
  if (metadata.contains("strategy") && metadata["strategy"].is_string())
    input.strategy = metadata["strategy"].get<std::string>();
  if (metadata.contains("seed") && metadata["seed"].is_number_unsigned())
    input.seed = metadata["seed"].get<uint64_t>();
  return input;
}

StatusOr<std::vector<PlanInput>> readManifest(const fs::path &dir) {
  fs::path manifestPath = dir / "manifest.json";
  std::ifstream in(manifestPath);
  nlohmann::json manifest = nlohmann::json::parse(in, nullptr, false);
  if (!in.is_open() || manifest.is_discarded() || !manifest.is_object())
    return invalidInput(manifestPath.string() + ": not a JSON manifest");
  std::vector<PlanInput> inputs;
  auto add = [&](const nlohmann::json &entry,
                 const std::string &where) -> Status {
    if (!entry.is_object() || !entry.contains("plan") ||
        !entry["plan"].is_string() || !entry.contains("id"))
      return invalidInput(manifestPath.string() + ": " + where +
                          " needs 'id' and 'plan'");
    auto input = readPlanInput((dir / entry["plan"].get<std::string>()),
                               entry["id"].get<std::string>());
    if (!input)
      return input.status();
    inputs.push_back(std::move(input).value());
    return Status::ok();
  };
  if (manifest.contains("reference"))
    GOODHART_RETURN_IF_ERROR(add(manifest["reference"], "reference"));
  if (manifest.contains("variants") && manifest["variants"].is_array())
    for (size_t i = 0; i < manifest["variants"].size(); ++i)
      GOODHART_RETURN_IF_ERROR(
          add(manifest["variants"][i], "variants[" + std::to_string(i) + "]"));
  return inputs;
}

std::string hostName() {
  char name[256] = {0};
  return gethostname(name, sizeof(name) - 1) == 0 ? name : "";
}

std::string findingKind(StatusCode code) {
  switch (code) {
  case StatusCode::kCrashed:
    return "crash";
  case StatusCode::kTimeout:
    return "hang";
  case StatusCode::kInvalidInput:
    return "protocol";
  default:
    return "error";
  }
}

} // namespace

StatusOr<std::vector<PlanInput>>
collectPlanInputs(const std::vector<std::string> &paths) {
  std::vector<PlanInput> inputs;
  for (const std::string &path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      auto fromDir = readManifest(path);
      if (!fromDir)
        return fromDir.status();
      for (PlanInput &p : *fromDir)
        inputs.push_back(std::move(p));
      continue;
    }
    auto input = readPlanInput(path, fs::path(path).stem().stem().string());
    if (!input)
      return input.status();
    inputs.push_back(std::move(input).value());
  }
  std::set<std::string> keys;
  for (const PlanInput &p : inputs)
    if (!keys.insert(p.key).second)
      return invalidInput("two plans are both named '" + p.key + "'");
  if (inputs.empty())
    return invalidInput("no plans to measure");
  return inputs;
}

Status recordLayerFindings(ResultsDb &db, int64_t runId,
                           const std::string &variantKey,
                           const std::vector<LayerResult> &layers) {
  for (const LayerResult &l : layers) {
    if (l.measurement.status == ResultStatus::kError)
      GOODHART_RETURN_IF_ERROR(
          db.addFinding(runId, {0, variantKey, "error", l.id,
                                l.measurement.reason, l.repro, ""}));
    if (l.check.verdict == CheckVerdict::kMismatch ||
        l.check.verdict == CheckVerdict::kMistrusted)
      GOODHART_RETURN_IF_ERROR(db.addFinding(
          runId, {0, variantKey, std::string(checkVerdictName(l.check.verdict)),
                  l.id, l.check.reason, l.repro, ""}));
  }
  return Status::ok();
}

namespace {

StatusOr<RunnerProcessOptions>
runnerProcessOptions(const MeasureCliOptions &options) {
  StatusOr<std::string> runner = findRunner(options.backend, options.runner);
  if (!runner)
    return runner.status();
  RunnerProcessOptions processOptions;
  processOptions.executable = *runner;
  processOptions.requestTimeoutMs = options.timeoutS * 1000;
  return processOptions;
}

Status cannotRunHere(const Status &status, const MeasureCliOptions &options) {
  return status.withContext("backend '" + options.backend +
                            "' cannot run here");
}

} // namespace

StatusOr<RunnerInfo> queryRunnerInfo(const MeasureCliOptions &options) {
  StatusOr<RunnerProcessOptions> processOptions = runnerProcessOptions(options);
  if (!processOptions)
    return processOptions.status();
  RunnerProcess process(*processOptions);
  Status started = process.start();
  if (!started.isOk())
    return cannotRunHere(started, options);
  return process.info();
}

StatusOr<std::unique_ptr<MeasureSession>>
MeasureSession::start(const MeasureCliOptions &options, RunRecord run,
                      ResultsDb &db, bool resume) {
  StatusOr<RunnerProcessOptions> processOptions = runnerProcessOptions(options);
  if (!processOptions)
    return processOptions.status();
  std::unique_ptr<MeasureSession> session(
      new MeasureSession(options, db, *processOptions));
  Status started = session->process_.start();
  if (!started.isOk())
    return cannotRunHere(started, options);

  const RunnerInfo &info = session->process_.info();
  run.goodhartVersion = GOODHART_VERSION;
  // The runner's own name: with --runner it is not the --backend default.
  run.backend = info.name.empty() ? options.backend : info.name;
  run.library = info.library;
  run.libraryVersion = info.libraryVersion;
  run.device = info.device;
  run.isa = info.isa;
  run.threads = info.threads;
  run.host = hostName();
  run.runner = info.toJson();
  run.options = options.measure.toJson();
  session->memoKey_ = cli::memoKey(info, options.measure);

  std::optional<int64_t> runId;
  if (resume) {
    auto previous = db.findResumableRun(run.commandLine);
    if (!previous)
      return previous.status();
    runId = *previous;
    if (runId) {
      auto keys = db.variantKeys(*runId);
      if (!keys)
        return keys.status();
      session->done_.insert(keys->begin(), keys->end());
    }
  }
  if (!runId) {
    auto id = db.beginRun(run);
    if (!id)
      return id.status();
    runId = *id;
  }
  session->runId_ = *runId;
  session->run_ = std::move(run);
  return session;
}

MeasureSession::MeasureSession(const MeasureCliOptions &options, ResultsDb &db,
                               RunnerProcessOptions processOptions)
    : options_(options), db_(db), process_(std::move(processOptions)) {}

StatusOr<MeasureOutcome> MeasureSession::measure(const PlanInput &input) {
  MeasureOutcome outcome;
  VariantRecord &record = outcome.record;
  record.key = input.key;
  record.isReference = input.isReference;
  record.plan = input.plan;
  record.mutations = input.mutations;
  record.sourcePath = input.planPath;
  record.memoKey = memoKey_;
  // Identity variants are the control group: their layers are measured
  // again, never reused, and in a new runner process, so the run's noise
  // floor has fresh evidence of what differs from one run to the next
  // (memory placement, thread wake-up: short memory-bound layers differ by
  // tens of percent between processes but hardly within one).
  bool control = !input.mutations.empty() &&
                 std::all_of(input.mutations.begin(), input.mutations.end(),
                             [](const std::string &m) {
                               return m.rfind("identity(", 0) == 0;
                             });
  bool memo = options_.memo && !control;
  Status fresh = control ? process_.startFresh() : Status::ok();
  StatusOr<MeasureResponse> response =
      !fresh.isOk() ? StatusOr<MeasureResponse>(fresh)
      : memo ? measureMemoized(process_, db_, input.plan, options_.measure,
                               memoKey_, record)
             : process_.measure(input.plan, options_.measure);
  std::string what;
  if (response) {
    record.layers = response->layers;
    record.model = response->model;
    // The runner measures its peak GFLOP/s with the first plan: keep it
    // with the run's other runner facts.
    if (response->runner.extra.contains("peak_gflops") &&
        !run_.runner.contains("peak_gflops")) {
      run_.runner = response->runner.toJson();
      GOODHART_RETURN_IF_ERROR(db_.updateRunRunner(runId_, run_.runner));
    }
    if (record.model && record.model->measurement.status == ResultStatus::kOk)
      what = fmt::format("model {:.3f} ms",
                         record.model->measurement.stats.medianNs / 1e6);
    else
      what = "done";
    GOODHART_RETURN_IF_ERROR(
        recordLayerFindings(db_, runId_, input.key, record.layers));
    if (memo && options_.measure.mode != MeasureMode::kModel)
      outcome.memoNote = fmt::format(
          "goodhart: {}: runner measured {} of {} layers, {} reused", input.key,
          record.layers.size() - record.reused.size(), record.layers.size(),
          record.reused.size());
  } else {
    what = "failed";
    outcome.failure = response.status();
    GOODHART_RETURN_IF_ERROR(db_.addFinding(
        runId_,
        {0, input.key, findingKind(response.status().code()), std::nullopt,
         response.status().message(), "plan: " + input.planPath, ""}));
  }
  auto stored = db_.addVariant(runId_, record);
  if (!stored)
    return stored.status();
  outcome.summary = what;
  return outcome;
}

Status MeasureSession::finish(const std::string &status) {
  return db_.finishRun(runId_, status);
}

StatusOr<int64_t> measureIntoDb(const std::vector<PlanInput> &inputs,
                                const MeasureCliOptions &options, RunRecord run,
                                ResultsDb &db, bool resume) {
  auto session = MeasureSession::start(options, std::move(run), db, resume);
  if (!session)
    return session.status();
  const std::set<std::string> &done = (*session)->done();
  if (!done.empty())
    std::cerr << "goodhart: resuming run " << (*session)->runId() << " ("
              << done.size() << " of " << inputs.size()
              << " plans already measured)\n";
  size_t index = 0;
  Progress progress(std::cerr, inputs.size(), done.size(),
                    Progress::stderrIsTerminal());
  for (const PlanInput &input : inputs) {
    ++index;
    if (done.count(input.key))
      continue;
    std::string what = input.key;
    for (const std::string &m : input.mutations)
      what += " " + m;
    progress.begin(index, what, Progress::Clock::now());
    auto outcome = (*session)->measure(input);
    if (!outcome)
      return outcome.status();
    progress.end(outcome->summary, Progress::Clock::now());
    if (outcome->failure)
      std::cerr << "goodhart: " << outcome->failure->message() << "\n";
    if (!outcome->memoNote.empty())
      std::cerr << outcome->memoNote << "\n";
  }
  GOODHART_RETURN_IF_ERROR((*session)->finish("finished"));
  return (*session)->runId();
}

} // namespace goodhart::cli
