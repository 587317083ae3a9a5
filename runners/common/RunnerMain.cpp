//===- RunnerMain.cpp - The protocol loop every runner shares -------------===//
//
// A runner's stdout carries protocol lines only: at start the real stdout is
// kept for the protocol and file descriptor 1 is pointed at stderr, so
// whatever a vendor library prints cannot corrupt the stream.
//
//===----------------------------------------------------------------------===//

#include "runners/common/Backend.h"
#include "runners/common/BatchMemo.h"
#include "runners/common/JsonNumbers.h"
#include "runners/common/Stats.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <unistd.h>

namespace goodhart {

namespace {

/// The options of one of `options.rounds` rounds: its share of the sample
/// and time budgets; only the first round checks the output.
MeasureOptions roundOptions(const MeasureOptions &options, int round) {
  MeasureOptions o = options;
  int n = std::max(1, options.rounds);
  if (n == 1)
    return o;
  auto share = [n](int64_t v) { return std::max<int64_t>(1, (v + n - 1) / n); };
  o.minSamples = share(options.minSamples);
  o.maxSamples = std::max(o.minSamples, share(options.maxSamples));
  o.minTimeMs = options.minTimeMs / n;
  o.maxTimeMs = options.maxTimeMs / n;
  o.check = options.check && round == 0;
  return o;
}

/// Adds a later round's samples to `into`; a round that failed makes the
/// layer's result that failure (a measurement is whole or it is not).
void poolRound(LayerResult &into, LayerResult round) {
  Measurement &m = into.measurement;
  if (m.status != ResultStatus::kOk)
    return;
  if (round.measurement.status != ResultStatus::kOk) {
    m = std::move(round.measurement);
    return;
  }
  m.samplesNs.insert(m.samplesNs.end(), round.measurement.samplesNs.begin(),
                     round.measurement.samplesNs.end());
}

} // namespace

MeasureResponse measurePlan(Backend &backend, const Plan &plan,
                            const MeasureOptions &options) {
  MeasureResponse response;
  if (options.mode != MeasureMode::kModel) {
    std::vector<const Layer *> selected;
    for (const Layer &layer : plan.layers)
      if (options.layers.empty() ||
          std::find(options.layers.begin(), options.layers.end(), layer.id) !=
              options.layers.end())
        selected.push_back(&layer);
    int rounds = std::max(1, options.rounds);
    for (int round = 0; round < rounds; ++round) {
      MeasureOptions o = roundOptions(options, round);
      for (size_t i = 0; i < selected.size(); ++i) {
        LayerResult result = backend.measureLayer(plan, *selected[i], o);
        result.id = selected[i]->id;
        result.hash = selected[i]->hash;
        if (round == 0)
          response.layers.push_back(std::move(result));
        else
          poolRound(response.layers[i], std::move(result));
      }
    }
    if (rounds > 1)
      for (LayerResult &l : response.layers)
        if (l.measurement.status == ResultStatus::kOk) {
          l.measurement.stats = computeStats(l.measurement.samplesNs);
          l.measurement.stopReason =
              std::to_string(rounds) + " rounds, " + l.measurement.stopReason;
        }
  }
  if (options.mode != MeasureMode::kLayers)
    response.model = backend.measureModel(plan, options);
  // After measuring: what the backend learnt doing so (its peak) is in it.
  response.runner = backend.info();
  return response;
}

namespace {

/// Writes protocol lines to the saved stdout.
class ProtocolWriter {
public:
  explicit ProtocolWriter(int fd) : out(fdopen(fd, "w")) {}
  ~ProtocolWriter() {
    if (out)
      fclose(out);
  }
  void write(const Response &response) {
    std::string line = responseToJson(response).dump() + "\n";
    fwrite(line.data(), 1, line.size(), out);
    fflush(out);
  }

private:
  FILE *out;
};

Response errorResponse(int64_t id, const std::string &type,
                       const std::string &code, const std::string &message) {
  Response r;
  r.id = id;
  r.type = type.empty() ? "error" : type;
  r.error = ErrorInfo{code, message};
  return r;
}

std::string wireCode(StatusCode code) {
  switch (code) {
  case StatusCode::kInvalidInput:
    return "invalid_input";
  case StatusCode::kUnsupported:
    return "unsupported";
  case StatusCode::kBackendError:
    return "backend_error";
  default:
    return "internal";
  }
}

/// Lazily initializes the backend once and remembers a failure.
class BackendHolder {
public:
  explicit BackendHolder(const BackendFactory &factory) : factory(factory) {}
  Backend *get(Status &status) {
    if (!initialized) {
      initialized = true;
      backend = factory();
      initStatus = backend ? backend->initialize()
                           : Status(StatusCode::kInternal, "no backend");
    }
    status = initStatus;
    return initStatus.isOk() ? backend.get() : nullptr;
  }

private:
  const BackendFactory &factory;
  std::unique_ptr<Backend> backend;
  Status initStatus;
  bool initialized = false;
};

int serve(const BackendFactory &factory, int protocolFd) {
  ProtocolWriter writer(protocolFd);
  BackendHolder holder(factory);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty())
      continue;
    nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_discarded()) {
      writer.write(errorResponse(0, "", "invalid_input",
                                 "request is not a JSON object"));
      continue;
    }
    // Echoed in an error response where readable; json::value() would throw
    // on an id or type of another type.
    int64_t id = 0;
    std::string type;
    if (json.is_object()) {
      auto it = json.find("id");
      if (it != json.end() && it->is_number_integer() &&
          jsonFitsInteger<int64_t>(*it))
        id = it->get<int64_t>();
      it = json.find("type");
      if (it != json.end() && it->is_string())
        type = it->get<std::string>();
    }
    StatusOr<Request> request = requestFromJson(json);
    if (!request) {
      writer.write(errorResponse(id, type, wireCode(request.status().code()),
                                 request.status().message()));
      continue;
    }
    Response response;
    response.id = request->id;
    response.type = request->type;
    if (request->type == "shutdown") {
      writer.write(response);
      return kRunnerExitOk;
    }
    Status status;
    Backend *backend = holder.get(status);
    if (!backend) {
      writer.write(errorResponse(request->id, request->type,
                                 status.code() == StatusCode::kUnsupported
                                     ? "unavailable"
                                     : wireCode(status.code()),
                                 status.message()));
      continue;
    }
    response.runner = backend->info();
    if (request->type == "measure") {
      try {
        response.measure =
            measurePlan(*backend, *request->plan, request->options);
        response.runner = response.measure->runner;
      } catch (const std::exception &e) {
        response = errorResponse(request->id, request->type, "internal",
                                 std::string("backend threw: ") + e.what());
      }
    }
    writer.write(response);
  }
  return kRunnerExitOk;
}

int batch(const BackendFactory &factory, const std::vector<std::string> &plans,
          const std::string &optionsPath, const std::string &outPath, bool memo,
          const char *argv0) {
  MeasureOptions options;
  if (!optionsPath.empty()) {
    std::ifstream in(optionsPath);
    nlohmann::json json = nlohmann::json::parse(in, nullptr, false);
    if (!in.is_open() || json.is_discarded()) {
      std::cerr << argv0 << ": " << optionsPath
                << ": cannot read JSON options\n";
      return kRunnerExitBadInput;
    }
    auto parsed = MeasureOptions::fromJson(json);
    if (!parsed) {
      std::cerr << argv0 << ": " << optionsPath << ": "
                << parsed.status().message() << "\n";
      return kRunnerExitBadInput;
    }
    options = *parsed;
  }
  std::vector<Plan> loaded;
  for (const std::string &path : plans) {
    auto plan = readPlanFile(path);
    if (!plan) {
      std::cerr << argv0 << ": " << plan.status().message() << "\n";
      return kRunnerExitBadInput;
    }
    loaded.push_back(std::move(plan).value());
  }
  BackendHolder holder(factory);
  Status status;
  Backend *backend = holder.get(status);
  if (!backend) {
    std::cerr << argv0 << ": backend unavailable: " << status.message() << "\n";
    return kRunnerExitUnavailable;
  }
  std::ofstream out(outPath);
  if (!out) {
    std::cerr << argv0 << ": " << outPath << ": cannot write\n";
    return kRunnerExitUsage;
  }
  BatchMemo memoized;
  for (size_t i = 0; i < loaded.size(); ++i) {
    Response response;
    response.id = static_cast<int64_t>(i + 1);
    response.type = "measure";
    std::vector<BatchReuse> reused;
    const auto started = std::chrono::steady_clock::now();
    try {
      response.measure = memo ? memoized.measure(*backend, loaded[i], plans[i],
                                                 options, reused)
                              : measurePlan(*backend, loaded[i], options);
      response.runner = response.measure->runner;
    } catch (const std::exception &e) {
      response = errorResponse(response.id, response.type, "internal",
                               std::string("backend threw: ") + e.what());
      response.runner = backend->info();
    }
    nlohmann::json line = responseToJson(response);
    if (!reused.empty()) {
      nlohmann::json list = nlohmann::json::array();
      for (const BatchReuse &r : reused)
        list.push_back(
            {{"id", r.id}, {"from_plan", r.fromPlan}, {"from_id", r.fromId}});
      line["reused"] = std::move(list);
    }
    line["plan_file"] = plans[i];
    line["options"] = options.toJson();
    line["plan"] = planToJson(loaded[i]);
    out << line.dump() << "\n" << std::flush;
    // Wall time per plan: where a batch's time goes on a lent GPU host.
    const double seconds = std::chrono::duration<double>(
                               std::chrono::steady_clock::now() - started)
                               .count();
    std::cerr << argv0 << ": measured " << plans[i] << " (";
    if (response.measure)
      std::cerr << response.measure->layers.size() - reused.size()
                << " layers measured, " << reused.size() << " reused, ";
    std::ostringstream took;
    took << std::fixed << std::setprecision(1) << seconds << " s)";
    std::cerr << took.str() << "\n";
  }
  return kRunnerExitOk;
}

/// The runner's command line. Runners must build on accelerator hosts that
/// have only the vendor stack (Boost.Program_options was missing on the
/// H200 host), so its six flags are parsed here.
struct RunnerArgs {
  bool help = false, version = false, serve = false, memo = true;
  std::vector<std::string> plans;
  std::string options, out;
};

StatusOr<RunnerArgs> parseRunnerArgs(int argc, char **argv) {
  RunnerArgs args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const std::string &flag) -> StatusOr<std::string> {
      if (i + 1 >= argc)
        return invalidInput(flag + " needs a value");
      return std::string(argv[++i]);
    };
    if (arg == "--help" || arg == "-h") {
      args.help = true;
    } else if (arg == "--version") {
      args.version = true;
    } else if (arg == "--serve") {
      args.serve = true;
    } else if (arg == "--no-memo") {
      args.memo = false;
    } else if (arg == "--plan" || arg == "--options" || arg == "--out") {
      auto v = value(arg);
      if (!v)
        return v.status();
      if (arg == "--plan")
        args.plans.push_back(*v);
      else
        (arg == "--options" ? args.options : args.out) = *v;
    } else {
      return invalidInput("unknown argument '" + arg + "'");
    }
  }
  return args;
}

const char *kRunnerUsage =
    "usage: RUNNER --serve\n"
    "       RUNNER --plan FILE [--plan FILE ...] [--options FILE] --out FILE\n"
    "\n"
    "  --serve      speak the runner protocol on stdin/stdout\n"
    "  --plan FILE  batch mode: a plan to measure (repeatable)\n"
    "  --options F  batch mode: measurement options (JSON)\n"
    "  --out FILE   batch mode: results file (JSON Lines)\n"
    "  --no-memo    batch mode: measure every layer of every plan (default:\n"
    "               a layer measured earlier in the batch is reused)\n"
    "  --version    print versions\n";

} // namespace

int runnerMain(int argc, char **argv, const BackendFactory &factory) {
  StatusOr<RunnerArgs> args = parseRunnerArgs(argc, argv);
  if (!args) {
    std::cerr << argv[0] << ": " << args.status().message() << "\n"
              << kRunnerUsage;
    return kRunnerExitUsage;
  }
  if (args->help) {
    std::cout << kRunnerUsage << "Speaks goodhart runner protocol "
              << kProtocolVersion << " (docs/RUNNER-PROTOCOL.md).\n";
    return kRunnerExitOk;
  }
  if (args->version) {
    auto backend = factory();
    RunnerInfo info = backend->info();
    std::cout << info.name << " runner " << info.runnerVersion << ", "
              << info.library << " " << info.libraryVersion << ", protocol "
              << kProtocolVersion << "\n";
    return kRunnerExitOk;
  }
  if (args->serve) {
    // Keep the real stdout for protocol lines; send fd 1 to stderr.
    int protocolFd = dup(STDOUT_FILENO);
    dup2(STDERR_FILENO, STDOUT_FILENO);
    return serve(factory, protocolFd);
  }
  if (!args->plans.empty()) {
    if (args->out.empty()) {
      std::cerr << argv[0] << ": batch mode needs --out FILE\n";
      return kRunnerExitUsage;
    }
    return batch(factory, args->plans, args->options, args->out, args->memo,
                 argv[0]);
  }
  std::cerr << argv[0] << ": give --serve or --plan FILE --out FILE\n"
            << kRunnerUsage;
  return kRunnerExitUsage;
}

} // namespace goodhart
