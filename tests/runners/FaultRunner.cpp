//===- FaultRunner.cpp - A runner that misbehaves on request --------------===//
//
// Test-only. Answers hello normally, then on `measure` does what the plan's
// model name says: ok, crash (abort), segv, hang, garbage, partial (half a
// line, then exit), exit3, stderr-flood. With --unavailable it answers hello
// with an "unavailable" error, as a GPU runner on a machine without a GPU.
// With --kill-parent-after N it SIGKILLs its parent (goodhart) on the
// N+1th measure request, as a kill of a campaign at that moment would.
// With --fixed-layer-times it also answers every selected layer, and the
// whole model, with samples that depend on the layers' FLOPs only: the same
// plan measures the same every time, whatever the machine's load
// (compare-confirm.test). --scale F multiplies those times (a slow machine,
// or a slower library), --library-version V names the stack it reports.
// --watts W adds a GPU runner's telemetry to those measurements: the
// reference plan draws W watts, every other plan 1.25 W with its second
// sample throttled (power.test).
//
//===----------------------------------------------------------------------===//

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

static void send(const Response &r) {
  std::cout << responseToJson(r).dump() << "\n" << std::flush;
}

int main(int argc, char **argv) {
  bool unavailable = false, fixedLayerTimes = false;
  int killParentAfter = -1, measured = 0;
  double scale = 1, watts = 0;
  std::string libraryVersion;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    bool hasValue = i + 1 < argc;
    if (arg == "--unavailable")
      unavailable = true;
    else if (arg == "--fixed-layer-times")
      fixedLayerTimes = true;
    else if (arg == "--kill-parent-after" && hasValue)
      killParentAfter = std::atoi(argv[++i]);
    else if (arg == "--scale" && hasValue)
      scale = std::atof(argv[++i]);
    else if (arg == "--library-version" && hasValue)
      libraryVersion = argv[++i];
    else if (arg == "--watts" && hasValue)
      watts = std::atof(argv[++i]);
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    auto request = requestFromJson(nlohmann::json::parse(line));
    if (!request)
      return 1;
    Response r;
    r.id = request->id;
    r.type = request->type;
    RunnerInfo info;
    info.name = "fault";
    info.library = "none";
    info.libraryVersion = libraryVersion;
    if (request->type == "shutdown") {
      send(r);
      return 0;
    }
    if (request->type == "hello") {
      if (unavailable)
        r.error = ErrorInfo{"unavailable", "no device here (fault runner)"};
      else
        r.runner = info;
      send(r);
      continue;
    }
    if (killParentAfter >= 0 && measured++ == killParentAfter) {
      kill(getppid(), SIGKILL);
      return 0;
    }
    const std::string mode = request->plan->model;
    std::cerr << "fault runner: mode " << mode << std::endl;
    if (mode == "crash")
      std::abort();
    if (mode == "segv")
      std::raise(SIGSEGV);
    if (mode == "hang")
      std::this_thread::sleep_for(std::chrono::hours(1));
    if (mode == "garbage") {
      std::cout << "this is not json\n" << std::flush;
      continue;
    }
    if (mode == "partial") {
      std::cout << "{\"protocol\":1,\"id\":" << std::flush;
      _exit(0);
    }
    if (mode == "exit3")
      return 3;
    if (mode == "stderr-flood")
      for (int i = 0; i < 20000; ++i)
        std::cerr << "noise line " << i << " ........................\n";
    MeasureResponse m;
    m.runner = info;
    const std::vector<int64_t> &selected = request->options.layers;
    const std::vector<double> jitter = {1, 1.01, 1.02, 1.01, 1.03, 1.02};
    nlohmann::json telemetry = nlohmann::json::object();
    if (watts > 0) {
      bool reference = request->plan->variant == "reference";
      std::vector<int> throttled(jitter.size(), 0);
      throttled[1] = !reference;
      telemetry = {{"power_w", reference ? watts : 1.25 * watts},
                   {"throttled", throttled},
                   {"throttled_samples", reference ? 0 : 1}};
    }
    double modelNs = 0;
    for (const Layer &layer : request->plan->layers) {
      double ns = scale * (1000.0 + static_cast<double>(layer.flops) / 1e4);
      modelNs += ns;
      if (!fixedLayerTimes ||
          (!selected.empty() && std::find(selected.begin(), selected.end(),
                                          layer.id) == selected.end()))
        continue;
      LayerResult result;
      result.id = layer.id;
      result.hash = layer.hash;
      result.impl = "fault:fixed";
      for (double j : jitter)
        result.measurement.samplesNs.push_back(j * ns);
      result.measurement.stats = computeStats(result.measurement.samplesNs);
      result.measurement.extra = telemetry;
      m.layers.push_back(std::move(result));
    }
    ModelResult model;
    if (fixedLayerTimes) {
      for (double j : jitter)
        model.measurement.samplesNs.push_back(j * modelNs);
      model.measurement.stats = computeStats(model.measurement.samplesNs);
      model.measurement.extra = telemetry;
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
