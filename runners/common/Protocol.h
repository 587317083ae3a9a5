//===- Protocol.h - Runner protocol messages (docs/RUNNER-PROTOCOL.md) -*- C++
//-*-===//
//
// The request and response objects of the runner protocol, version 1, and
// their JSON forms. Both sides use these: runners to read requests and write
// responses, the goodhart controller to write requests and read responses.
// Readers validate and return a Status that names the offending field.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_COMMON_PROTOCOL_H
#define GOODHART_RUNNERS_COMMON_PROTOCOL_H

#include "runners/common/Plan.h"
#include "runners/common/Status.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace goodhart {

inline constexpr int kProtocolVersion = 1;

/// Process exit codes of runners (docs/RUNNER-PROTOCOL.md section 3).
enum RunnerExitCode : int {
  kRunnerExitOk = 0,
  kRunnerExitInternal = 1,
  kRunnerExitUsage = 2,
  kRunnerExitUnavailable = 3,
  kRunnerExitBadInput = 4,
};

enum class MeasureMode { kLayers, kModel, kBoth };

struct MeasureOptions {
  MeasureMode mode = MeasureMode::kBoth;
  std::vector<int64_t> layers; // empty: all layers
  uint64_t seed = 1;
  double warmupMs = 20;
  int64_t minSamples = 10;
  int64_t maxSamples = 10000;
  double minTimeMs = 50;
  double maxTimeMs = 1000;
  double targetRsd = 0.01;
  bool coldCache = false;
  bool check = true;
  int threads = 0;
  /// Measure the backend's peak GFLOP/s once per runner process and report
  /// it in the runner info (extra "peak_gflops"); off to keep tests fast.
  /// toJson writes it only when false: the default's canonical form (and so
  /// memoization keys and stored options) stays what it was before it.
  bool measurePeak = true;
  /// GPU runners: let f32 layers use TF32 tensor cores (cuDNN engines with
  /// the tensor-core numerical note, cuBLASLt's FAST_TF32 compute type).
  /// false (default): strict f32. Written only when true.
  bool tf32 = false;
  /// Physical layout of rank-4 tensors on the device: "nhwc" (default, the
  /// plan's own) or "nchw" (runners transpose on upload and download; the
  /// plan and the check stay NHWC). Written only when not "nhwc".
  std::string layout = "nhwc";
  /// GPU runners: how a layer's bias and post-ops run. "eager" (default):
  /// as PyTorch's eager mode, separate kernels after the layer's own (only
  /// an inner product's bias is cuBLASLt's epilogue, as in F.linear).
  /// "graph": fused into the layer's kernel where the library can, as a
  /// compiling framework would (a cuDNN conv + pointwise graph, cuBLASLt
  /// epilogues and beta), eager kernels where it cannot. Written only when
  /// not "eager".
  std::string fusion = "eager";
  /// Layers mode: measure every selected layer, then all of them again,
  /// `rounds` times, each round with 1/rounds of the sample and time
  /// budgets, and pool each layer's samples. A machine whose speed for
  /// short layers drifts between regimes over seconds (shared VMs) then
  /// decides no layer's median by when it happened to run. Written only
  /// when above 1.
  int rounds = 1;

  /// Canonical JSON, also used as part of the memoization key.
  nlohmann::json toJson() const;
  static StatusOr<MeasureOptions> fromJson(const nlohmann::json &json);
};

/// What a runner says about itself; unknown keys are kept in `extra`.
struct RunnerInfo {
  std::string name;
  std::string runnerVersion;
  std::string library;
  std::string libraryVersion;
  std::string device;
  std::string isa;
  int threads = 0;
  std::vector<std::string> kinds;
  std::vector<std::string> dtypes;
  nlohmann::json extra = nlohmann::json::object();

  nlohmann::json toJson() const;
  static StatusOr<RunnerInfo> fromJson(const nlohmann::json &json);
};

struct SampleStats {
  int64_t count = 0;
  double medianNs = 0;
  double minNs = 0;
  double meanNs = 0;
  double rsd = 0; // relative standard deviation of the median
  double ciLowNs = 0;
  double ciHighNs = 0;

  nlohmann::json toJson() const;
  static StatusOr<SampleStats> fromJson(const nlohmann::json &json);
};

enum class ResultStatus { kOk, kSkipped, kError };
std::string_view resultStatusName(ResultStatus status);

enum class CheckVerdict { kPassed, kMismatch, kMistrusted, kSkipped };
std::string_view checkVerdictName(CheckVerdict verdict);

struct CheckResult {
  CheckVerdict verdict = CheckVerdict::kSkipped;
  int64_t points = 0;
  double maxAbsErr = 0;
  double maxRelErr = 0;
  /// The largest error over its point's tolerance: at most 1 when passed.
  /// Relative errors read oddly where the reference is near zero (a bf16
  /// sum that cancels); this says how close the check came to failing.
  double toleranceUsed = 0;
  std::string reason;
};

/// One measured execution target: a single layer or the whole model.
struct Measurement {
  ResultStatus status = ResultStatus::kOk;
  std::string reason; // why skipped or failed
  std::vector<double> samplesNs;
  SampleStats stats;
  std::string stopReason; // which stopping criterion ended sampling
  /// Backend facts about this measurement (GPU runners: SM clocks per
  /// sample, throttled samples, energy); written as "extra" when not empty.
  nlohmann::json extra = nlohmann::json::object();
};

struct LayerResult {
  int64_t id = -1;
  std::string hash;
  std::string impl;  // the backend's implementation name (impl_info_str)
  std::string repro; // a line the vendor's own tool understands
  Measurement measurement;
  CheckResult check;
};

struct ModelResult {
  Measurement measurement;
};

struct MeasureResponse {
  RunnerInfo runner;
  std::vector<LayerResult> layers;
  std::optional<ModelResult> model;
};

/// Envelopes. `type` is "hello", "measure" or "shutdown".
struct Request {
  int64_t id = 0;
  std::string type;
  std::optional<Plan> plan; // measure only
  MeasureOptions options;   // measure only
};

nlohmann::json requestToJson(const Request &request);
StatusOr<Request> requestFromJson(const nlohmann::json &json);

/// Error codes on the wire: invalid_input, unsupported, unavailable,
/// backend_error, internal.
struct ErrorInfo {
  std::string code;
  std::string message;
};

struct Response {
  int64_t id = 0;
  std::string type;
  std::optional<ErrorInfo> error;         // set: status "error"
  std::optional<RunnerInfo> runner;       // hello and measure
  std::optional<MeasureResponse> measure; // measure
};

nlohmann::json responseToJson(const Response &response);
StatusOr<Response> responseFromJson(const nlohmann::json &json);

/// One line of a batch results file (`RUNNER --plan ... --out FILE`): a
/// measure response plus the plan it measured, the plan file as given and
/// the options, and the provenance `goodhart ingest` takes from the plan's
/// metadata (strategy, seed, mutations).
/// A layer result a batch run copied from an earlier measurement of the
/// same problem (runners/common/BatchMemo.h) instead of measuring it again.
struct BatchReuse {
  int64_t id = -1;      // the layer that reuses
  std::string fromPlan; // the plan file measured (this one for a repeat)
  int64_t fromId = -1;  // the layer of that plan
};

struct BatchResultLine {
  Response response;
  std::vector<BatchReuse> reused;
  Plan plan;
  std::string planFile;
  nlohmann::json options = nlohmann::json::object();
  std::string strategy;
  uint64_t seed = 0;
  std::vector<std::string> mutations;
};

/// Parses one line; `where` ("results.jsonl:3") prefixes error messages.
StatusOr<BatchResultLine> parseBatchResultLine(const std::string &line,
                                               const std::string &where);

} // namespace goodhart

#endif // GOODHART_RUNNERS_COMMON_PROTOCOL_H
