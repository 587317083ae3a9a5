//===- Memoization.cpp - Measure each distinct layer once -----------------===//

#include "generator/cli/Memoization.h"

#include <algorithm>

namespace goodhart::cli {

std::string memoKey(const RunnerInfo &runner, const MeasureOptions &options) {
  nlohmann::json timing = options.toJson();
  timing.erase("mode");
  timing.erase("layers");
  nlohmann::json key = {
      {"backend", runner.name},    {"runner_version", runner.runnerVersion},
      {"library", runner.library}, {"library_version", runner.libraryVersion},
      {"device", runner.device},   {"isa", runner.isa},
      {"threads", runner.threads}, {"options", timing}};
  return key.dump(); // nlohmann::json sorts object keys: canonical
}

StatusOr<MemoPlan> planMemoized(ResultsDb &db, const Plan &plan,
                                const std::string &key,
                                const std::vector<int64_t> &selected) {
  MemoPlan memo;
  std::map<std::string, int64_t> measuredHere; // hash -> layer measured
  for (const Layer &layer : plan.layers) {
    if (!selected.empty() &&
        std::find(selected.begin(), selected.end(), layer.id) == selected.end())
      continue;
    auto here = measuredHere.find(layer.hash);
    if (here != measuredHere.end()) {
      memo.repeats[layer.id] = here->second;
      memo.reused[layer.id] = LayerReuse{0, here->second};
      continue;
    }
    auto hit = db.findMemoizedLayer(layer.hash, key);
    if (!hit)
      return hit.status();
    if (*hit) {
      LayerResult result = (*hit)->result;
      result.id = layer.id;
      result.hash = layer.hash;
      result.repro = renameRepro(result.repro, (*hit)->layerName, layer.name);
      memo.fromDb[layer.id] = std::move(result);
      memo.reused[layer.id] = LayerReuse{(*hit)->measurementId, -1};
      continue;
    }
    measuredHere[layer.hash] = layer.id;
    memo.toMeasure.push_back(layer.id);
  }
  return memo;
}

std::vector<LayerResult> mergeMemoized(const Plan &plan, const MemoPlan &memo,
                                       std::vector<LayerResult> measured) {
  std::map<int64_t, LayerResult> byId;
  for (LayerResult &l : measured)
    byId[l.id] = std::move(l);
  std::vector<LayerResult> merged;
  for (const Layer &layer : plan.layers) {
    if (auto it = byId.find(layer.id); it != byId.end()) {
      merged.push_back(it->second);
    } else if (auto db = memo.fromDb.find(layer.id); db != memo.fromDb.end()) {
      merged.push_back(db->second);
    } else if (auto rep = memo.repeats.find(layer.id);
               rep != memo.repeats.end()) {
      auto source = byId.find(rep->second);
      if (source == byId.end())
        continue; // the runner did not answer for the measured layer
      LayerResult copy = source->second;
      copy.id = layer.id;
      copy.hash = layer.hash;
      for (const Layer &from : plan.layers)
        if (from.id == rep->second)
          copy.repro = renameRepro(copy.repro, from.name, layer.name);
      merged.push_back(std::move(copy));
    }
  }
  return merged;
}

StatusOr<MeasureResponse> measureMemoized(RunnerProcess &process, ResultsDb &db,
                                          const Plan &plan,
                                          const MeasureOptions &options,
                                          const std::string &key,
                                          VariantRecord &record) {
  if (options.mode == MeasureMode::kModel)
    return process.measure(plan, options);
  auto memo = planMemoized(db, plan, key, options.layers);
  if (!memo)
    return memo.status();
  MeasureOptions request = options;
  request.layers = memo->toMeasure;
  MeasureResponse response;
  response.runner = process.info();
  if (!memo->toMeasure.empty() || options.mode == MeasureMode::kBoth) {
    // With no layer left to measure, `both` only needs the model (an empty
    // `layers` list would mean every layer).
    if (memo->toMeasure.empty())
      request.mode = MeasureMode::kModel;
    auto answered = process.measure(plan, request);
    if (!answered)
      return answered.status();
    response = std::move(answered).value();
  }
  response.layers = mergeMemoized(plan, *memo, std::move(response.layers));
  record.reused.clear();
  for (const LayerResult &l : response.layers)
    if (auto it = memo->reused.find(l.id); it != memo->reused.end())
      record.reused[l.id] = it->second;
  return response;
}

} // namespace goodhart::cli
