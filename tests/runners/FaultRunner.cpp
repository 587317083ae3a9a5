//===- FaultRunner.cpp - A runner that misbehaves on request --------------===//
//
// Test-only. Answers hello normally, then on `measure` does what the plan's
// model name says, or its variant name after "fault:" (a variant that
// misbehaves in a campaign that does not): ok, crash (abort), segv, hang,
// garbage, partial (half a line, then exit), exit3, stderr-flood. With
// --unavailable it answers hello with an "unavailable" error, as a GPU runner
// on a machine without a GPU. With --kill-parent-after N it SIGKILLs its parent
// (goodhart) on the N+1th measure request, as a kill of a campaign at that
// moment would. With --fixed-layer-times it also answers every selected layer,
// and the whole model, with samples that depend on the layers' FLOPs only: the
// same plan measures the same every time, whatever the machine's load
// (compare-confirm.test). --scale F multiplies those times (a slow machine,
// or a slower library), --library-version V names the stack it reports.
// --watts W adds a GPU runner's telemetry to those measurements: the
// reference plan draws W watts, every other plan 1.25 W with its second
// sample throttled (power.test).
//
// Given --plan (or --version) it runs in batch mode through the runner main
// every runner shares (runnerMain): fixed layer times, and the process
// faults (crash, segv, hang, exit3) on the plans that name them, as a
// vendor library would on a GPU host (gpu-check.test drives
// scripts/gpu-check.sh with it).
//
//===----------------------------------------------------------------------===//

#include "runners/common/Backend.h"
#include "runners/common/Protocol.h"
#include "runners/common/Stats.h"

#include <algorithm>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <unistd.h>

using namespace goodhart;

namespace {

struct FaultOptions {
  bool unavailable = false;
  bool fixedLayerTimes = false;
  int killParentAfter = -1;
  double scale = 1;
  double watts = 0;
  std::string libraryVersion;
};

const std::vector<double> kJitter = {1, 1.01, 1.02, 1.01, 1.03, 1.02};

void send(const Response &r) {
  std::cout << responseToJson(r).dump() << "\n" << std::flush;
}

RunnerInfo faultInfo(const FaultOptions &fault) {
  RunnerInfo info;
  info.name = "fault";
  info.library = "none";
  info.libraryVersion = fault.libraryVersion;
  return info;
}

/// What `plan` asks the runner to do.
std::string faultMode(const Plan &plan) {
  const std::string prefix = "fault:";
  if (plan.variant.rfind(prefix, 0) == 0)
    return plan.variant.substr(prefix.size());
  return plan.model;
}

/// The faults that end or stall the process; returns for any other mode.
void misbehave(const std::string &mode) {
  if (mode == "crash")
    std::abort();
  if (mode == "segv")
    std::raise(SIGSEGV);
  if (mode == "hang")
    std::this_thread::sleep_for(std::chrono::hours(1));
  if (mode == "exit3")
    std::exit(3);
}

/// A GPU runner's telemetry with --watts, else nothing.
nlohmann::json telemetryOf(const Plan &plan, const FaultOptions &fault) {
  if (fault.watts <= 0)
    return nlohmann::json::object();
  bool reference = plan.variant == "reference";
  std::vector<int> throttled(kJitter.size(), 0);
  throttled[1] = !reference;
  return {{"power_w", reference ? fault.watts : 1.25 * fault.watts},
          {"throttled", throttled},
          {"throttled_samples", reference ? 0 : 1}};
}

double layerNs(const Layer &layer, const FaultOptions &fault) {
  return fault.scale * (1000.0 + static_cast<double>(layer.flops) / 1e4);
}

Measurement jittered(double ns, const nlohmann::json &telemetry) {
  Measurement m;
  for (double j : kJitter)
    m.samplesNs.push_back(j * ns);
  m.stats = computeStats(m.samplesNs);
  m.extra = telemetry;
  return m;
}

/// Batch mode: the same answers behind the Backend interface.
class FaultBackend : public Backend {
public:
  explicit FaultBackend(FaultOptions fault) : fault(std::move(fault)) {}
  Status initialize() override {
    if (fault.unavailable)
      return Status(StatusCode::kUnsupported, "no device here (fault runner)");
    return Status::ok();
  }
  RunnerInfo info() const override { return faultInfo(fault); }
  LayerResult measureLayer(const Plan &plan, const Layer &layer,
                           const MeasureOptions &) override {
    misbehave(faultMode(plan));
    LayerResult result;
    result.impl = "fault:fixed";
    result.measurement =
        jittered(layerNs(layer, fault), telemetryOf(plan, fault));
    return result;
  }
  ModelResult measureModel(const Plan &plan, const MeasureOptions &) override {
    misbehave(faultMode(plan));
    double ns = 0;
    for (const Layer &layer : plan.layers)
      ns += layerNs(layer, fault);
    ModelResult model;
    model.measurement = jittered(ns, telemetryOf(plan, fault));
    return model;
  }

private:
  FaultOptions fault;
};

/// Protocol mode: one answer per request on stdin, with the faults that
/// only a protocol stream can have (garbage, half a line, a killed parent).
int serve(const FaultOptions &fault) {
  int measured = 0;
  std::string line;
  while (std::getline(std::cin, line)) {
    auto request = requestFromJson(nlohmann::json::parse(line));
    if (!request)
      return 1;
    Response r;
    r.id = request->id;
    r.type = request->type;
    RunnerInfo info = faultInfo(fault);
    if (request->type == "shutdown") {
      send(r);
      return 0;
    }
    if (request->type == "hello") {
      if (fault.unavailable)
        r.error = ErrorInfo{"unavailable", "no device here (fault runner)"};
      else
        r.runner = info;
      send(r);
      continue;
    }
    if (fault.killParentAfter >= 0 && measured++ == fault.killParentAfter) {
      kill(getppid(), SIGKILL);
      return 0;
    }
    const Plan &plan = *request->plan;
    const std::string mode = faultMode(plan);
    std::cerr << "fault runner: mode " << mode << std::endl;
    if (mode == "exit3")
      return 3;
    misbehave(mode);
    if (mode == "garbage") {
      std::cout << "this is not json\n" << std::flush;
      continue;
    }
    if (mode == "partial") {
      std::cout << "{\"protocol\":1,\"id\":" << std::flush;
      _exit(0);
    }
    if (mode == "stderr-flood")
      for (int i = 0; i < 20000; ++i)
        std::cerr << "noise line " << i << " ........................\n";
    MeasureResponse m;
    m.runner = info;
    const std::vector<int64_t> &selected = request->options.layers;
    nlohmann::json telemetry = telemetryOf(plan, fault);
    double modelNs = 0;
    for (const Layer &layer : plan.layers) {
      double ns = layerNs(layer, fault);
      modelNs += ns;
      if (!fault.fixedLayerTimes ||
          (!selected.empty() && std::find(selected.begin(), selected.end(),
                                          layer.id) == selected.end()))
        continue;
      LayerResult result;
      result.id = layer.id;
      result.hash = layer.hash;
      result.impl = "fault:fixed";
      result.measurement = jittered(ns, telemetry);
      m.layers.push_back(std::move(result));
    }
    ModelResult model;
    if (fault.fixedLayerTimes) {
      model.measurement = jittered(modelNs, telemetry);
    } else {
      size_t n = mode == "large" ? 200000 : 5;
      model.measurement.samplesNs.assign(n, 1234.5);
      model.measurement.stats.count = static_cast<int64_t>(n);
      model.measurement.stats.medianNs = 1234.5;
    }
    m.model = model;
    r.runner = info;
    r.measure = m;
    send(r);
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  FaultOptions fault;
  bool batch = false;
  // The fault flags are taken out; what is left is a runner's command line.
  std::vector<char *> runnerArgs = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool hasValue = i + 1 < argc;
    if (arg == "--unavailable")
      fault.unavailable = true;
    else if (arg == "--fixed-layer-times")
      fault.fixedLayerTimes = true;
    else if (arg == "--kill-parent-after" && hasValue)
      fault.killParentAfter = std::atoi(argv[++i]);
    else if (arg == "--scale" && hasValue)
      fault.scale = std::atof(argv[++i]);
    else if (arg == "--library-version" && hasValue)
      fault.libraryVersion = argv[++i];
    else if (arg == "--watts" && hasValue)
      fault.watts = std::atof(argv[++i]);
    else {
      batch = batch || arg == "--plan" || arg == "--version";
      runnerArgs.push_back(argv[i]);
    }
  }
  if (!batch)
    return serve(fault);
  return runnerMain(static_cast<int>(runnerArgs.size()), runnerArgs.data(),
                    [&] { return std::make_unique<FaultBackend>(fault); });
}
