//===- Confirmation.cpp - A slowdown must be a slowdown again -------------===//

#include "generator/cli/Confirmation.h"

#include "generator/cli/Backends.h"
#include "runners/common/RunnerProcess.h"
#include "runners/common/Stats.h"

#include <fmt/format.h>

#include <map>
#include <memory>
#include <optional>

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

/// The same stack on the same host: measuring both runs again here compares
/// like with like. Runs of two hosts are not paired, since measuring both on
/// this one would erase the difference they were compared for.
bool sameStack(const RunRecord &a, const RunRecord &b) {
  return a.backend == b.backend && a.libraryVersion == b.libraryVersion &&
         a.device == b.device && a.host == b.host;
}

/// Starts `process` and checks that it runs `run`'s stack; `flag` names the
/// option the runner came from in the error.
Status startFor(RunnerProcess &process, const RunRecord &run,
                const std::string &flag, const std::string &role) {
  GOODHART_RETURN_IF_ERROR(process.start().withContext(
      flag + ": backend '" + run.backend + "' cannot run here"));
  const RunnerInfo &info = process.info();
  if (info.libraryVersion != run.libraryVersion || info.device != run.device)
    return unsupported(fmt::format(
        "{} re-measures on the {}'s stack: run {} used {} {} on {}, the "
        "runner here is {} {} on {}",
        flag, role, run.id, run.library, run.libraryVersion, run.device,
        info.library, info.libraryVersion, info.device));
  return Status::ok();
}

StatusOr<MeasureOptions> optionsOf(const RunRecord &run) {
  StatusOr<MeasureOptions> o = MeasureOptions::fromJson(run.options);
  if (!o)
    return o.status().withContext("--confirm: the options of run " +
                                  std::to_string(run.id));
  o->measurePeak = false;
  return o;
}

/// One side of the comparison measured again: its runner (owned elsewhere)
/// and the options its run was measured with.
struct Side {
  RunnerProcess *process = nullptr;
  MeasureOptions options;
};

/// What one side gave when measured again: pooled samples per layer id and
/// of the whole model.
struct Again {
  std::map<int64_t, std::vector<double>> layers;
  std::vector<double> model;
};

void pool(std::vector<double> &into, const Measurement &m) {
  if (m.status == ResultStatus::kOk)
    into.insert(into.end(), m.samplesNs.begin(), m.samplesNs.end());
}

/// Measures `layerIds` of `variant` (and its whole model when `model`) once
/// more in a fresh process of `side`'s runner, pooling into `again`.
Status measureOnce(Side &side, const VariantRecord &variant,
                   const std::vector<int64_t> &layerIds, bool model,
                   Again &again) {
  MeasureOptions o = side.options;
  o.layers = layerIds;
  o.mode = !model             ? MeasureMode::kLayers
           : layerIds.empty() ? MeasureMode::kModel
                              : MeasureMode::kBoth;
  GOODHART_RETURN_IF_ERROR(side.process->startFresh());
  StatusOr<MeasureResponse> response = side.process->measure(variant.plan, o);
  if (!response)
    return response.status().withContext("--confirm: " + variant.key);
  for (const LayerResult &r : response->layers)
    pool(again.layers[r.id], r.measurement);
  if (model && response->model)
    pool(again.model, response->model->measurement);
  return Status::ok();
}

std::optional<Measurement> pooled(const std::vector<double> *samples) {
  if (!samples || samples->empty())
    return std::nullopt;
  Measurement m;
  m.samplesNs = *samples;
  m.stats = computeStats(m.samplesNs);
  return m;
}

const std::vector<double> *layerSamples(const Again &again, int64_t id) {
  auto it = again.layers.find(id);
  return it == again.layers.end() ? nullptr : &it->second;
}

/// A slower verdict judged again. `baseline` is the baseline measured again
/// when paired, else the stored one.
struct Rejudged {
  bool reproduced = true;
  Ratio speedup;
  Change change = Change::kSlower;
  std::string text;
};

Rejudged rejudge(const Ratio &first, double baselineFlops,
                 const Measurement &baseline, double candidateFlops,
                 const Measurement &candidate, bool paired, double threshold,
                 const OracleOptions &oracle) {
  Rejudged j;
  j.speedup = relativeThroughput(baselineFlops, baseline, candidateFlops,
                                 candidate, oracle);
  j.change = judgeChange(j.speedup, threshold, oracle);
  j.reproduced = j.change == Change::kSlower;
  const char *how = paired ? "when both were measured again"
                           : "measured again, against the stored baseline";
  const Ratio &r = j.speedup;
  j.text = j.reproduced
               ? fmt::format("reproduced: speed-up {:.3f} [{:.3f}, {:.3f}] {}",
                             r.value, r.low, r.high, how)
               : fmt::format("did not reproduce: speed-up {:.3f} at first, "
                             "{:.3f} [{:.3f}, {:.3f}] {}",
                             first.value, r.value, r.low, r.high, how);
  return j;
}

/// The runners of a confirmation: the candidate's, and the baseline's when
/// the baseline is measured again too (the same process when one stack).
struct Runners {
  std::unique_ptr<RunnerProcess> candidate, baseline;
  Side candidateSide;
  std::optional<Side> baselineSide;
};

StatusOr<std::unique_ptr<RunnerProcess>>
startRunner(const RunRecord &run, const std::string &override,
            const std::string &flag, const std::string &role,
            int64_t timeoutS) {
  StatusOr<std::string> executable = findRunner(run.backend, override);
  if (!executable)
    return executable.status().withContext(flag);
  RunnerProcessOptions processOptions;
  processOptions.executable = *executable;
  processOptions.requestTimeoutMs = timeoutS * 1000;
  auto process = std::make_unique<RunnerProcess>(processOptions);
  GOODHART_RETURN_IF_ERROR(startFor(*process, run, flag, role));
  return process;
}

StatusOr<Runners> startRunners(const RunData &baseline,
                               const RunData &candidate,
                               const ConfirmOptions &options) {
  Runners r;
  StatusOr<std::unique_ptr<RunnerProcess>> c =
      startRunner(candidate.run, options.runner, "--confirm", "candidate",
                  options.timeoutS);
  if (!c)
    return c.status();
  r.candidate = std::move(*c);
  StatusOr<MeasureOptions> co = optionsOf(candidate.run);
  if (!co)
    return co.status();
  r.candidateSide = {r.candidate.get(), *co};
  RunnerProcess *baselineProcess = nullptr;
  if (!options.baselineRunner.empty()) {
    StatusOr<std::unique_ptr<RunnerProcess>> b =
        startRunner(baseline.run, options.baselineRunner, "--baseline-runner",
                    "baseline", options.timeoutS);
    if (!b)
      return b.status();
    r.baseline = std::move(*b);
    baselineProcess = r.baseline.get();
  } else if (sameStack(baseline.run, candidate.run)) {
    baselineProcess = r.candidate.get();
  }
  if (baselineProcess) {
    StatusOr<MeasureOptions> bo = optionsOf(baseline.run);
    if (!bo)
      return bo.status();
    r.baselineSide = Side{baselineProcess, *bo};
  }
  return r;
}

} // namespace

StatusOr<ConfirmSummary> confirmSlowdowns(RunComparison &comparison,
                                          const RunData &baseline,
                                          const RunData &candidate,
                                          const ConfirmOptions &options,
                                          const OracleOptions &oracle) {
  ConfirmSummary summary;
  if (options.runs <= 0)
    return summary;
  bool any = false;
  for (const VariantComparison &v : comparison.variants)
    any = any || v.slowerLayers() > 0 || v.change == Change::kSlower;
  if (!any)
    return summary;
  StatusOr<Runners> runners = startRunners(baseline, candidate, options);
  if (!runners)
    return runners.status();
  summary.paired = runners->baselineSide.has_value();

  for (VariantComparison &v : comparison.variants) {
    const VariantRecord *bv = variantByKey(baseline, v.key);
    const VariantRecord *cv = variantByKey(candidate, v.key);
    std::vector<LayerComparison *> slower;
    std::vector<int64_t> baselineIds, candidateIds;
    for (LayerComparison &l : v.layers)
      if (l.change == Change::kSlower) {
        slower.push_back(&l);
        baselineIds.push_back(l.baselineId);
        candidateIds.push_back(l.candidateId);
      }
    bool model = v.change == Change::kSlower;
    if ((slower.empty() && !model) || !bv || !cv)
      continue;
    // Each measurement in a fresh process, as the control group is
    // measured. Paired, the sides strictly alternate (baseline, candidate,
    // baseline, candidate, ...): the machine's slow spells last seconds to
    // minutes, and with the minimum as the statistic a side is misjudged
    // only when all its processes sit in one. Alternation never gives one
    // side two neighbouring processes (ABBA would).
    Again bAgain, cAgain;
    for (int run = 0; run < options.runs; ++run) {
      if (runners->baselineSide)
        GOODHART_RETURN_IF_ERROR(measureOnce(*runners->baselineSide, *bv,
                                             baselineIds, model, bAgain));
      GOODHART_RETURN_IF_ERROR(measureOnce(runners->candidateSide, *cv,
                                           candidateIds, model, cAgain));
    }

    for (LayerComparison *l : slower) {
      std::optional<Measurement> c =
          pooled(layerSamples(cAgain, l->candidateId));
      const LayerResult *br = resultFor(*bv, l->baselineId);
      const Layer *bl = layerFor(bv->plan, l->baselineId);
      const Layer *cl = layerFor(cv->plan, l->candidateId);
      if (!c || !br || !bl || !cl) {
        l->confirmation = "could not be measured again";
        ++summary.layersConfirmed;
        continue;
      }
      std::optional<Measurement> b =
          pooled(layerSamples(bAgain, l->baselineId));
      const LayerWork work = layerWork(*bl, *cl);
      Rejudged j =
          rejudge(l->speedup, static_cast<double>(work.ref),
                  b ? *b : br->measurement, static_cast<double>(work.var), *c,
                  b.has_value(), l->threshold, oracle);
      l->confirmation = j.text;
      if (j.reproduced) {
        ++summary.layersConfirmed;
        continue;
      }
      ++summary.layersNotReproduced;
      l->speedup = j.speedup;
      l->change = j.change;
      l->candidateNs = timeOf(*c, oracle.statistic);
      if (b)
        l->baselineNs = timeOf(*b, oracle.statistic);
    }

    if (!model)
      continue;
    std::optional<Measurement> c = pooled(&cAgain.model);
    if (!c || !bv->model) {
      v.confirmation = "could not be measured again";
      ++summary.modelsConfirmed;
      continue;
    }
    std::optional<Measurement> b = pooled(&bAgain.model);
    Rejudged j = rejudge(v.speedup, static_cast<double>(bv->plan.totalFlops()),
                         b ? *b : bv->model->measurement,
                         static_cast<double>(cv->plan.totalFlops()), *c,
                         b.has_value(), v.threshold, oracle);
    v.confirmation = j.text;
    if (j.reproduced) {
      ++summary.modelsConfirmed;
      continue;
    }
    ++summary.modelsNotReproduced;
    v.speedup = j.speedup;
    v.change = j.change;
    v.candidateNs = timeOf(*c, oracle.statistic);
    if (b)
      v.baselineNs = timeOf(*b, oracle.statistic);
  }
  // The variants' whole-model speed-ups may have changed.
  comparison.benchmarkOnly = benchmarkOnlyImprovement(
      comparison.variants, comparison.modelThreshold, oracle);
  return summary;
}

} // namespace goodhart::cli
