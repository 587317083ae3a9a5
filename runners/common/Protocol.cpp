//===- Protocol.cpp - Runner protocol messages and their JSON forms -------===//

#include "runners/common/Protocol.h"

#include "runners/common/JsonFields.h"

namespace goodhart {
namespace {

using nlohmann::json;

const char *modeName(MeasureMode mode) {
  switch (mode) {
  case MeasureMode::kLayers:
    return "layers";
  case MeasureMode::kModel:
    return "model";
  case MeasureMode::kBoth:
    return "both";
  }
  return "both";
}

json measurementToJson(const Measurement &m) {
  json j = {{"status", resultStatusName(m.status)},
            {"reason", m.reason},
            {"samples_ns", m.samplesNs},
            {"stats", m.stats.toJson()},
            {"stop_reason", m.stopReason}};
  if (m.extra.is_object() && !m.extra.empty())
    j["extra"] = m.extra;
  return j;
}

StatusOr<ResultStatus> parseResultStatus(const std::string &s,
                                         const std::string &where) {
  if (s == "ok")
    return ResultStatus::kOk;
  if (s == "skipped")
    return ResultStatus::kSkipped;
  if (s == "error")
    return ResultStatus::kError;
  return fieldError(where + ".status", "unknown status '" + s + "'");
}

Status measurementFromJson(const json &j, const std::string &where,
                           Measurement &m) {
  std::string status = "ok";
  GOODHART_RETURN_IF_ERROR(readRequired(j, "status", where, status));
  auto parsed = parseResultStatus(status, where);
  if (!parsed)
    return parsed.status();
  m.status = *parsed;
  GOODHART_RETURN_IF_ERROR(readOptional(j, "reason", where, m.reason));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "samples_ns", where, m.samplesNs));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "stop_reason", where, m.stopReason));
  if (j.contains("stats")) {
    auto stats = SampleStats::fromJson(j["stats"]);
    if (!stats)
      return stats.status().withContext(where + ".stats");
    m.stats = *stats;
  }
  if (j.contains("extra") && !j["extra"].is_null()) {
    if (!j["extra"].is_object())
      return fieldError(where + ".extra", "expected an object");
    m.extra = j["extra"];
  }
  return Status::ok();
}

StatusOr<CheckVerdict> parseVerdict(const std::string &s,
                                    const std::string &where) {
  for (CheckVerdict v : {CheckVerdict::kPassed, CheckVerdict::kMismatch,
                         CheckVerdict::kMistrusted, CheckVerdict::kSkipped})
    if (checkVerdictName(v) == s)
      return v;
  return fieldError(where, "unknown check verdict '" + s + "'");
}

} // namespace

std::string_view resultStatusName(ResultStatus status) {
  switch (status) {
  case ResultStatus::kOk:
    return "ok";
  case ResultStatus::kSkipped:
    return "skipped";
  case ResultStatus::kError:
    return "error";
  }
  return "error";
}

std::string_view checkVerdictName(CheckVerdict verdict) {
  switch (verdict) {
  case CheckVerdict::kPassed:
    return "passed";
  case CheckVerdict::kMismatch:
    return "mismatch";
  case CheckVerdict::kMistrusted:
    return "mistrusted";
  case CheckVerdict::kSkipped:
    return "skipped";
  }
  return "skipped";
}

json MeasureOptions::toJson() const {
  json j = {{"mode", modeName(mode)},
            {"layers", layers},
            {"seed", seed},
            {"warmup_ms", warmupMs},
            {"min_samples", minSamples},
            {"max_samples", maxSamples},
            {"min_time_ms", minTimeMs},
            {"max_time_ms", maxTimeMs},
            {"target_rsd", targetRsd},
            {"cold_cache", coldCache},
            {"check", check},
            {"threads", threads}};
  if (!measurePeak)
    j["measure_peak"] = false;
  if (tf32)
    j["tf32"] = true;
  if (layout != "nhwc")
    j["layout"] = layout;
  if (fusion != "eager")
    j["fusion"] = fusion;
  if (rounds > 1)
    j["rounds"] = rounds;
  return j;
}

StatusOr<MeasureOptions> MeasureOptions::fromJson(const json &j) {
  MeasureOptions o;
  const std::string where = "options";
  if (j.is_null())
    return o;
  if (!j.is_object())
    return fieldError(where, "expected an object");
  std::string mode = "both";
  GOODHART_RETURN_IF_ERROR(readOptional(j, "mode", where, mode));
  if (mode == "layers")
    o.mode = MeasureMode::kLayers;
  else if (mode == "model")
    o.mode = MeasureMode::kModel;
  else if (mode == "both")
    o.mode = MeasureMode::kBoth;
  else
    return fieldError(where + ".mode", "must be layers, model or both");
  GOODHART_RETURN_IF_ERROR(readOptional(j, "layers", where, o.layers));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "seed", where, o.seed));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "warmup_ms", where, o.warmupMs));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "min_samples", where, o.minSamples));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "max_samples", where, o.maxSamples));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "min_time_ms", where, o.minTimeMs));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "max_time_ms", where, o.maxTimeMs));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "target_rsd", where, o.targetRsd));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "cold_cache", where, o.coldCache));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "check", where, o.check));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "threads", where, o.threads));
  GOODHART_RETURN_IF_ERROR(
      readOptional(j, "measure_peak", where, o.measurePeak));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "tf32", where, o.tf32));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "layout", where, o.layout));
  if (o.layout != "nhwc" && o.layout != "nchw")
    return fieldError(where + ".layout", "must be nhwc or nchw");
  GOODHART_RETURN_IF_ERROR(readOptional(j, "fusion", where, o.fusion));
  if (o.fusion != "eager" && o.fusion != "graph")
    return fieldError(where + ".fusion", "must be eager or graph");
  GOODHART_RETURN_IF_ERROR(readOptional(j, "rounds", where, o.rounds));
  if (o.rounds < 1)
    return fieldError(where + ".rounds", "must be at least 1");
  if (o.minSamples < 1 || o.maxSamples < o.minSamples)
    return fieldError(where, "need 1 <= min_samples <= max_samples");
  if (o.maxTimeMs <= 0 || o.minTimeMs < 0 || o.warmupMs < 0)
    return fieldError(where, "times must be positive");
  if (o.targetRsd <= 0)
    return fieldError(where + ".target_rsd", "must be positive");
  return o;
}

json RunnerInfo::toJson() const {
  json j = extra.is_object() ? extra : json::object();
  j["name"] = name;
  j["runner_version"] = runnerVersion;
  j["library"] = library;
  j["library_version"] = libraryVersion;
  j["device"] = device;
  j["isa"] = isa;
  j["threads"] = threads;
  j["kinds"] = kinds;
  j["dtypes"] = dtypes;
  return j;
}

StatusOr<RunnerInfo> RunnerInfo::fromJson(const json &j) {
  const std::string where = "runner";
  if (!j.is_object())
    return fieldError(where, "expected an object");
  RunnerInfo info;
  GOODHART_RETURN_IF_ERROR(readRequired(j, "name", where, info.name));
  GOODHART_RETURN_IF_ERROR(
      readOptional(j, "runner_version", where, info.runnerVersion));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "library", where, info.library));
  GOODHART_RETURN_IF_ERROR(
      readOptional(j, "library_version", where, info.libraryVersion));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "device", where, info.device));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "isa", where, info.isa));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "threads", where, info.threads));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "kinds", where, info.kinds));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "dtypes", where, info.dtypes));
  info.extra = json::object();
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!json({"name", "runner_version", "library", "library_version", "device",
               "isa", "threads", "kinds", "dtypes"})
             .contains(it.key()))
      info.extra[it.key()] = it.value();
  return info;
}

json SampleStats::toJson() const {
  return {{"count", count},
          {"median_ns", medianNs},
          {"min_ns", minNs},
          {"mean_ns", meanNs},
          {"rsd", rsd},
          {"ci_low_ns", ciLowNs},
          {"ci_high_ns", ciHighNs}};
}

StatusOr<SampleStats> SampleStats::fromJson(const json &j) {
  SampleStats s;
  const std::string where = "stats";
  if (!j.is_object())
    return fieldError(where, "expected an object");
  GOODHART_RETURN_IF_ERROR(readOptional(j, "count", where, s.count));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "median_ns", where, s.medianNs));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "min_ns", where, s.minNs));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "mean_ns", where, s.meanNs));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "rsd", where, s.rsd));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "ci_low_ns", where, s.ciLowNs));
  GOODHART_RETURN_IF_ERROR(readOptional(j, "ci_high_ns", where, s.ciHighNs));
  return s;
}

json requestToJson(const Request &r) {
  json j = {{"protocol", kProtocolVersion}, {"id", r.id}, {"type", r.type}};
  if (r.type == "measure") {
    if (r.plan)
      j["plan"] = planToJson(*r.plan);
    j["options"] = r.options.toJson();
  }
  return j;
}

StatusOr<Request> requestFromJson(const json &j) {
  const std::string where = "request";
  if (!j.is_object())
    return fieldError(where, "expected a JSON object");
  int protocol = 0;
  GOODHART_RETURN_IF_ERROR(readRequired(j, "protocol", where, protocol));
  if (protocol != kProtocolVersion)
    return unsupported("request.protocol " + std::to_string(protocol) +
                       " is not supported (this runner speaks " +
                       std::to_string(kProtocolVersion) + ")");
  Request r;
  GOODHART_RETURN_IF_ERROR(readRequired(j, "id", where, r.id));
  GOODHART_RETURN_IF_ERROR(readRequired(j, "type", where, r.type));
  if (r.type == "hello" || r.type == "shutdown")
    return r;
  if (r.type != "measure")
    return fieldError(where + ".type", "unknown request type '" + r.type +
                                           "' (hello, measure, shutdown)");
  if (!j.contains("plan"))
    return fieldError(where, "measure needs a 'plan'");
  auto plan = planFromJson(j["plan"], "request.plan");
  if (!plan)
    return plan.status();
  r.plan = std::move(plan).value();
  auto options = MeasureOptions::fromJson(j.value("options", json()));
  if (!options)
    return options.status().withContext("request");
  r.options = *options;
  return r;
}

json responseToJson(const Response &r) {
  json j = {{"protocol", kProtocolVersion},
            {"id", r.id},
            {"type", r.type},
            {"status", r.error ? "error" : "ok"}};
  if (r.error)
    j["error"] = {{"code", r.error->code}, {"message", r.error->message}};
  if (r.runner)
    j["runner"] = r.runner->toJson();
  if (r.measure) {
    json layers = json::array();
    for (const LayerResult &l : r.measure->layers) {
      json lj = measurementToJson(l.measurement);
      lj["id"] = l.id;
      lj["hash"] = l.hash;
      lj["impl"] = l.impl;
      lj["repro"] = l.repro;
      lj["check"] = {{"verdict", checkVerdictName(l.check.verdict)},
                     {"points", l.check.points},
                     {"max_abs_err", l.check.maxAbsErr},
                     {"max_rel_err", l.check.maxRelErr},
                     {"tolerance_used", l.check.toleranceUsed},
                     {"reason", l.check.reason}};
      layers.push_back(std::move(lj));
    }
    j["layers"] = std::move(layers);
    if (r.measure->model)
      j["model"] = measurementToJson(r.measure->model->measurement);
  }
  return j;
}

StatusOr<Response> responseFromJson(const json &j) {
  const std::string where = "response";
  if (!j.is_object())
    return fieldError(where, "expected a JSON object");
  int protocol = 0;
  GOODHART_RETURN_IF_ERROR(readRequired(j, "protocol", where, protocol));
  if (protocol != kProtocolVersion)
    return unsupported("response.protocol " + std::to_string(protocol) +
                       " is not supported");
  Response r;
  std::string status;
  GOODHART_RETURN_IF_ERROR(readRequired(j, "id", where, r.id));
  GOODHART_RETURN_IF_ERROR(readRequired(j, "type", where, r.type));
  GOODHART_RETURN_IF_ERROR(readRequired(j, "status", where, status));
  if (status == "error") {
    ErrorInfo e;
    const json &ej = j.value("error", json::object());
    GOODHART_RETURN_IF_ERROR(
        readOptional(ej, "code", where + ".error", e.code));
    GOODHART_RETURN_IF_ERROR(
        readOptional(ej, "message", where + ".error", e.message));
    r.error = e;
    return r;
  }
  if (status != "ok")
    return fieldError(where + ".status", "must be ok or error");
  if (j.contains("runner")) {
    auto info = RunnerInfo::fromJson(j["runner"]);
    if (!info)
      return info.status().withContext(where);
    r.runner = *info;
  }
  if (r.type != "measure")
    return r;
  MeasureResponse m;
  if (r.runner)
    m.runner = *r.runner;
  const json &layers = j.value("layers", json::array());
  if (!layers.is_array())
    return fieldError(where + ".layers", "expected an array");
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string lw = where + ".layers[" + std::to_string(i) + "]";
    const json &lj = layers[i];
    LayerResult l;
    GOODHART_RETURN_IF_ERROR(readRequired(lj, "id", lw, l.id));
    GOODHART_RETURN_IF_ERROR(readOptional(lj, "hash", lw, l.hash));
    GOODHART_RETURN_IF_ERROR(readOptional(lj, "impl", lw, l.impl));
    GOODHART_RETURN_IF_ERROR(readOptional(lj, "repro", lw, l.repro));
    GOODHART_RETURN_IF_ERROR(measurementFromJson(lj, lw, l.measurement));
    if (lj.contains("check") && lj["check"].is_object()) {
      const json &cj = lj["check"];
      std::string verdict = "skipped";
      GOODHART_RETURN_IF_ERROR(readOptional(cj, "verdict", lw, verdict));
      auto v = parseVerdict(verdict, lw + ".check.verdict");
      if (!v)
        return v.status();
      l.check.verdict = *v;
      GOODHART_RETURN_IF_ERROR(readOptional(cj, "points", lw, l.check.points));
      GOODHART_RETURN_IF_ERROR(
          readOptional(cj, "max_abs_err", lw, l.check.maxAbsErr));
      GOODHART_RETURN_IF_ERROR(
          readOptional(cj, "max_rel_err", lw, l.check.maxRelErr));
      GOODHART_RETURN_IF_ERROR(
          readOptional(cj, "tolerance_used", lw, l.check.toleranceUsed));
      GOODHART_RETURN_IF_ERROR(readOptional(cj, "reason", lw, l.check.reason));
    }
    m.layers.push_back(std::move(l));
  }
  if (j.contains("model") && !j["model"].is_null()) {
    ModelResult model;
    GOODHART_RETURN_IF_ERROR(
        measurementFromJson(j["model"], where + ".model", model.measurement));
    m.model = model;
  }
  r.measure = std::move(m);
  return r;
}

StatusOr<BatchResultLine> parseBatchResultLine(const std::string &line,
                                               const std::string &where) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("plan"))
    return invalidInput(where + ": not a batch result line (JSON with 'plan')");
  BatchResultLine result;
  StatusOr<Plan> plan = planFromJson(j["plan"], where + " plan");
  if (!plan)
    return plan.status();
  result.plan = std::move(plan).value();
  StatusOr<Response> response = responseFromJson(j);
  if (!response)
    return response.status().withContext(where);
  result.response = std::move(response).value();
  GOODHART_RETURN_IF_ERROR(
      readOptional(j, "plan_file", where, result.planFile));
  if (j.contains("options"))
    result.options = j["options"];
  if (auto reused = j.find("reused"); reused != j.end()) {
    if (!reused->is_array())
      return invalidInput(where + ": 'reused' must be an array");
    for (const json &r : *reused) {
      BatchReuse entry;
      const std::string rw = where + " reused";
      if (!r.is_object() || !r.contains("id") || !r.contains("from_id"))
        return invalidInput(rw + ": each entry needs 'id' and 'from_id'");
      GOODHART_RETURN_IF_ERROR(readOptional(r, "id", rw, entry.id));
      GOODHART_RETURN_IF_ERROR(readOptional(r, "from_id", rw, entry.fromId));
      GOODHART_RETURN_IF_ERROR(
          readOptional(r, "from_plan", rw, entry.fromPlan));
      result.reused.push_back(std::move(entry));
    }
  }
  const json &metadata = result.plan.metadata;
  if (metadata.is_object()) {
    const std::string mw = where + " plan.metadata";
    GOODHART_RETURN_IF_ERROR(
        readOptional(metadata, "strategy", mw, result.strategy));
    GOODHART_RETURN_IF_ERROR(readOptional(metadata, "seed", mw, result.seed));
    auto mutations = metadata.find("mutations");
    if (mutations != metadata.end() && mutations->is_array())
      for (const json &m : *mutations)
        if (m.is_string())
          result.mutations.push_back(m.get<std::string>());
  }
  return result;
}

} // namespace goodhart
