//===- Confirmation.cpp - A slower layer must be slower again -------------===//

#include "generator/cli/Confirmation.h"

#include "generator/cli/Backends.h"
#include "runners/common/RunnerProcess.h"
#include "runners/common/Stats.h"

#include <fmt/format.h>

#include <map>

namespace goodhart::cli {
namespace {

const VariantRecord *variantByKey(const RunData &run, const std::string &key) {
  for (const VariantRecord &v : run.variants)
    if (v.key == key)
      return &v;
  return nullptr;
}

const LayerResult *resultFor(const VariantRecord &v, int64_t id) {
  for (const LayerResult &l : v.layers)
    if (l.id == id)
      return &l;
  return nullptr;
}

const Layer *layerFor(const Plan &plan, int64_t id) {
  for (const Layer &l : plan.layers)
    if (l.id == id)
      return &l;
  return nullptr;
}

/// The runner that measured `candidate`, started; an error when the runner
/// here runs another library version or device than the candidate did.
Status startCandidateRunner(RunnerProcess &process, const RunData &candidate) {
  const RunRecord &run = candidate.run;
  GOODHART_RETURN_IF_ERROR(process.start().withContext(
      "--confirm: backend '" + run.backend + "' cannot run here"));
  const RunnerInfo &info = process.info();
  if (info.libraryVersion != run.libraryVersion || info.device != run.device)
    return unsupported(fmt::format(
        "--confirm re-measures on the candidate's stack: run {} used {} {} "
        "on {}, the runner here is {} {} on {}",
        run.id, run.library, run.libraryVersion, run.device, info.library,
        info.libraryVersion, info.device));
  return Status::ok();
}

/// Re-judges `l` by `again`, its candidate layer measured anew.
bool rejudge(LayerComparison &l, const Measurement &again,
             const VariantRecord &bv, const VariantRecord &cv,
             const OracleOptions &oracle) {
  const LayerResult *br = resultFor(bv, l.baselineId);
  const Layer *bl = layerFor(bv.plan, l.baselineId);
  const Layer *cl = layerFor(cv.plan, l.candidateId);
  if (!br || !bl || !cl)
    return true; // nothing to compare with: the verdict stands
  Ratio first = l.speedup;
  Ratio r =
      relativeThroughput(bl->flops, br->measurement, cl->flops, again, oracle);
  Change change = judgeChange(r, l.threshold, oracle);
  if (change == Change::kSlower) {
    l.confirmation =
        fmt::format("reproduced: speed-up {:.3f} [{:.3f}, {:.3f}] measured "
                    "again",
                    r.value, r.low, r.high);
    return true;
  }
  l.confirmation = fmt::format(
      "did not reproduce: speed-up {:.3f} at first, {:.3f} [{:.3f}, {:.3f}] "
      "measured again",
      first.value, r.value, r.low, r.high);
  l.speedup = r;
  l.candidateNs = timeOf(again, oracle.statistic);
  l.change = change;
  return false;
}

} // namespace

StatusOr<ConfirmSummary> confirmSlowerLayers(RunComparison &comparison,
                                             const RunData &baseline,
                                             const RunData &candidate,
                                             const ConfirmOptions &options,
                                             const OracleOptions &oracle) {
  ConfirmSummary summary;
  if (options.runs <= 0)
    return summary;
  bool any = false;
  for (const VariantComparison &v : comparison.variants)
    any = any || v.slowerLayers() > 0;
  if (!any)
    return summary;
  StatusOr<std::string> executable =
      findRunner(candidate.run.backend, options.runner);
  if (!executable)
    return executable.status().withContext("--confirm");
  RunnerProcessOptions processOptions;
  processOptions.executable = *executable;
  processOptions.requestTimeoutMs = options.timeoutS * 1000;
  RunnerProcess process(processOptions);
  GOODHART_RETURN_IF_ERROR(startCandidateRunner(process, candidate));
  StatusOr<MeasureOptions> measureOptions =
      MeasureOptions::fromJson(candidate.run.options);
  if (!measureOptions)
    return measureOptions.status().withContext(
        "--confirm: the options of run " + std::to_string(candidate.run.id));
  measureOptions->mode = MeasureMode::kLayers;
  measureOptions->measurePeak = false;

  for (VariantComparison &v : comparison.variants) {
    std::vector<LayerComparison *> slower;
    MeasureOptions o = *measureOptions;
    o.layers.clear();
    for (LayerComparison &l : v.layers)
      if (l.change == Change::kSlower) {
        slower.push_back(&l);
        o.layers.push_back(l.candidateId);
      }
    const VariantRecord *bv = variantByKey(baseline, v.key);
    const VariantRecord *cv = variantByKey(candidate, v.key);
    if (slower.empty() || !bv || !cv)
      continue;
    // Each run in a fresh process, as the control group is measured: the
    // confirmation samples another process and another minute.
    std::map<int64_t, std::vector<double>> samples;
    for (int run = 0; run < options.runs; ++run) {
      GOODHART_RETURN_IF_ERROR(process.startFresh());
      StatusOr<MeasureResponse> response = process.measure(cv->plan, o);
      if (!response)
        return response.status().withContext("--confirm: " + v.key);
      for (const LayerResult &r : response->layers)
        if (r.measurement.status == ResultStatus::kOk)
          samples[r.id].insert(samples[r.id].end(),
                               r.measurement.samplesNs.begin(),
                               r.measurement.samplesNs.end());
    }
    for (LayerComparison *l : slower) {
      auto it = samples.find(l->candidateId);
      if (it == samples.end() || it->second.empty()) {
        l->confirmation = "could not be measured again";
        ++summary.confirmed;
        continue;
      }
      Measurement again;
      again.samplesNs = it->second;
      again.stats = computeStats(again.samplesNs);
      if (rejudge(*l, again, *bv, *cv, oracle))
        ++summary.confirmed;
      else
        ++summary.notReproduced;
    }
  }
  return summary;
}

} // namespace goodhart::cli
