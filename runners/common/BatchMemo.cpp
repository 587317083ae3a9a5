//===- BatchMemo.cpp - Each distinct layer once per batch process ---------===//

#include "runners/common/BatchMemo.h"

#include <algorithm>
#include <set>

namespace goodhart {

std::string renameRepro(const std::string &repro, const std::string &from,
                        const std::string &to) {
  if (from.empty() || from == to)
    return repro;
  const std::string quotedFrom = '"' + from + '"', quotedTo = '"' + to + '"';
  std::string out;
  size_t start = 0;
  for (size_t at; (at = repro.find(quotedFrom, start)) != std::string::npos;
       start = at + quotedFrom.size())
    out += repro.substr(start, at - start) + quotedTo;
  return out + repro.substr(start);
}

bool isControlPlan(const Plan &plan) {
  auto it = plan.metadata.find("mutations");
  if (it == plan.metadata.end() || !it->is_array() || it->empty())
    return false;
  return std::all_of(it->begin(), it->end(), [](const nlohmann::json &m) {
    return m.is_string() && m.get<std::string>().rfind("identity(", 0) == 0;
  });
}

namespace {

/// Errors and outputs the check rejected are measured again, never copied.
bool reusable(const LayerResult &r) {
  return r.measurement.status != ResultStatus::kError &&
         r.check.verdict != CheckVerdict::kMismatch &&
         r.check.verdict != CheckVerdict::kMistrusted;
}

} // namespace

MeasureResponse BatchMemo::measure(Backend &backend, const Plan &plan,
                                   const std::string &planFile,
                                   const MeasureOptions &options,
                                   std::vector<BatchReuse> &reused) {
  reused.clear();
  if (options.mode == MeasureMode::kModel)
    return measurePlan(backend, plan, options);
  // A control reuses nothing measured for another plan; its repeats of one
  // problem are measured once, as the reference's are.
  const bool control = isControlPlan(plan);
  std::vector<int64_t> toMeasure;
  std::map<std::string, int64_t> measuredHere; // hash -> layer of this plan
  std::set<int64_t> copied;                    // layers copied, not measured
  for (const Layer &layer : plan.layers) {
    if (!options.layers.empty() &&
        std::find(options.layers.begin(), options.layers.end(), layer.id) ==
            options.layers.end())
      continue;
    if ((!control && byHash_.count(layer.hash)) ||
        measuredHere.count(layer.hash)) {
      copied.insert(layer.id);
      continue;
    }
    measuredHere[layer.hash] = layer.id;
    toMeasure.push_back(layer.id);
  }
  MeasureOptions request = options;
  request.layers = toMeasure;
  MeasureResponse response;
  response.runner = backend.info();
  if (!toMeasure.empty() || options.mode == MeasureMode::kBoth) {
    // With no layer left, `both` only needs the model (an empty `layers`
    // list would mean every layer).
    if (toMeasure.empty())
      request.mode = MeasureMode::kModel;
    response = measurePlan(backend, plan, request);
  }
  // This plan's measurements, by hash: a repeat copies its first one even
  // when it failed (the same problem, the same process); only good results
  // are kept for later plans.
  std::map<std::string, Source> here;
  std::map<int64_t, LayerResult> byId;
  for (LayerResult &l : response.layers)
    byId[l.id] = std::move(l);
  for (const Layer &layer : plan.layers)
    if (auto it = byId.find(layer.id);
        it != byId.end() && !here.count(layer.hash)) {
      here[layer.hash] = {planFile, layer.name, it->second};
      if (!control && reusable(it->second) && !byHash_.count(layer.hash))
        byHash_[layer.hash] = here[layer.hash];
    }
  std::vector<LayerResult> merged;
  for (const Layer &layer : plan.layers) {
    if (auto it = byId.find(layer.id); it != byId.end()) {
      merged.push_back(std::move(it->second));
      continue;
    }
    if (!copied.count(layer.id))
      continue; // not selected
    const Source *source = nullptr;
    if (auto it = here.find(layer.hash); it != here.end())
      source = &it->second;
    else if (auto old = byHash_.find(layer.hash);
             !control && old != byHash_.end())
      source = &old->second;
    if (!source)
      continue; // the backend did not answer for its first occurrence
    LayerResult copy = source->result;
    copy.id = layer.id;
    copy.hash = layer.hash;
    copy.repro = renameRepro(copy.repro, source->layerName, layer.name);
    merged.push_back(std::move(copy));
    reused.push_back({layer.id, source->planFile, source->result.id});
  }
  response.layers = std::move(merged);
  return response;
}

} // namespace goodhart
