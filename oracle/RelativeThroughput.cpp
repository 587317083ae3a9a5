//===- RelativeThroughput.cpp - Throughput per FLOP against the reference -===//

#include "oracle/RelativeThroughput.h"

#include "oracle/OverfittingIndex.h"

#include <algorithm>
#include <cmath>

namespace goodhart {
namespace {

std::string shapeString(const Plan &plan, const Layer &layer) {
  const TensorDesc &out = plan.tensor(layer.outputs.front());
  std::string s;
  for (size_t i = 0; i < out.shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(out.shape[i]);
  return s;
}

/// The dtype a layer computes in: its first input's (its output's when it
/// has none).
std::string layerDtype(const Plan &plan, const Layer &layer) {
  int64_t id =
      !layer.inputs.empty() ? layer.inputs.front() : layer.outputs.front();
  return std::string(dtypeName(plan.tensor(id).dtype));
}

/// The dtype of the plan's layer with the most FLOPs.
std::string planDtype(const Plan &plan) {
  const Layer *heaviest = nullptr;
  for (const Layer &l : plan.layers)
    if (!heaviest || l.flops > heaviest->flops)
      heaviest = &l;
  return heaviest ? layerDtype(plan, *heaviest) : "";
}

PeakShare modelPeak(const VariantRecord &v,
                    const std::map<std::string, double> &peaks,
                    const TimeStatistic &statistic) {
  if (!v.model || v.model->measurement.status != ResultStatus::kOk)
    return {};
  return peakShare(v.plan.totalFlops(), timeOf(v.model->measurement, statistic),
                   planDtype(v.plan), peaks);
}

const LayerResult *resultFor(const VariantRecord &v, int64_t layerId) {
  for (const LayerResult &l : v.layers)
    if (l.id == layerId)
      return &l;
  return nullptr;
}

/// Index of the reference layer matching variant layer `i`: the same index
/// when both plans have the same layer kinds in order, else the same name.
int64_t matchLayer(const Plan &ref, const Plan &var, size_t i,
                   bool sameStructure) {
  if (sameStructure)
    return static_cast<int64_t>(i);
  for (const Layer &l : ref.layers)
    if (l.name == var.layers[i].name && l.kind == var.layers[i].kind)
      return l.id;
  return -1;
}

bool sameStructure(const Plan &a, const Plan &b) {
  if (a.layers.size() != b.layers.size())
    return false;
  for (size_t i = 0; i < a.layers.size(); ++i)
    if (a.layers[i].kind != b.layers[i].kind)
      return false;
  return true;
}

LayerVerdict judgeLayer(const VariantRecord &ref, const VariantRecord &var,
                        size_t index, bool structure,
                        const std::map<std::string, double> &peaks,
                        double peakGbs, const OracleOptions &options) {
  const Layer &layer = var.plan.layers[index];
  LayerVerdict lv;
  lv.layerId = layer.id;
  lv.name = layer.name;
  lv.kind = std::string(layerKindName(layer.kind));
  lv.shape = shapeString(var.plan, layer);
  lv.flopsVar = layer.flops;
  const LayerResult *varResult = resultFor(var, layer.id);
  if (varResult) {
    lv.implVar = varResult->impl;
    lv.repro = varResult->repro;
    lv.check = varResult->check;
  }
  int64_t refId = matchLayer(ref.plan, var.plan, index, structure);
  if (refId < 0) {
    lv.changed = true;
    lv.reason = "no matching reference layer";
    return lv;
  }
  const Layer &refLayer = ref.plan.layers[refId];
  lv.changed = refLayer.hash != layer.hash;
  lv.flopsRef = refLayer.flops;
  const LayerResult *refResult = resultFor(ref, refId);
  if (refResult)
    lv.implRef = refResult->impl;
  lv.implSwitch =
      !lv.implRef.empty() && !lv.implVar.empty() && lv.implRef != lv.implVar;
  if (!refResult || !varResult) {
    lv.reason = "not measured";
    return lv;
  }
  if (refResult->measurement.status != ResultStatus::kOk ||
      varResult->measurement.status != ResultStatus::kOk) {
    lv.reason = varResult->measurement.status != ResultStatus::kOk
                    ? varResult->measurement.reason
                    : "reference: " + refResult->measurement.reason;
    return lv;
  }
  lv.refNs = timeOf(refResult->measurement, options.statistic);
  lv.varNs = timeOf(varResult->measurement, options.statistic);
  lv.peak = layer.flops > 0 ? peakShare(layer.flops, lv.varNs,
                                        layerDtype(var.plan, layer), peaks)
                            : bandwidthShare(layer.bytes, lv.varNs, peakGbs);
  const LayerWork work = layerWork(refLayer, layer);
  lv.rel = relativeThroughput(work.ref, refResult->measurement, work.var,
                              varResult->measurement, options);
  lv.perByte = work.perByte;
  lv.workRef = work.ref;
  lv.workVar = work.var;
  if (!lv.rel.valid)
    lv.reason = work.ref > 0 ? "no time measured"
                             : "no work to compare: 0 FLOPs and 0 bytes";
  lv.energy = efficiencyAgainst(layer.flops, lv.varNs, varResult->measurement,
                                refResult->measurement, lv.rel);
  lv.throttledRef = throttleOf(refResult->measurement);
  lv.throttledVar = throttleOf(varResult->measurement);
  // Judged once the run's noise floor is known (judgeRun).
  return lv;
}

NoiseFloor percentile95(std::vector<double> deviations) {
  NoiseFloor n;
  n.layers = static_cast<int>(deviations.size());
  if (deviations.empty())
    return n;
  std::sort(deviations.begin(), deviations.end());
  size_t rank = static_cast<size_t>(
      std::ceil(0.95 * static_cast<double>(deviations.size())));
  n.floor = deviations[std::max<size_t>(rank, 1) - 1];
  return n;
}

bool isReusedLayer(const RunData &run, const std::string &key,
                   int64_t layerId) {
  for (const VariantRecord &v : run.variants)
    if (v.key == key)
      return v.isReused(layerId);
  return false;
}

} // namespace

double RunVerdict::layerThreshold(const std::string &kind,
                                  const OracleOptions &options) const {
  if (!options.calibrateNoise)
    return options.sameThreshold;
  auto it = noiseByKind.find(kind);
  const NoiseFloor &floor =
      it != noiseByKind.end() && it->second.layers >= kMinNoiseLayers
          ? it->second
          : noise;
  return std::max(options.sameThreshold, floor.floor);
}

double RunVerdict::layerThreshold(const std::string &kind, double ns,
                                  const OracleOptions &options) const {
  if (!options.calibrateNoise || ns <= 0)
    return layerThreshold(kind, options);
  auto sameKind = [&](const NoiseSample &s) { return s.kind == kind; };
  bool byKind = std::count_if(noiseSamples.begin(), noiseSamples.end(),
                              sameKind) >= kMinNoiseLayers;
  std::vector<std::pair<double, double>> pool; // (log distance, deviation)
  for (const NoiseSample &s : noiseSamples)
    if (s.ns > 0 && (!byKind || sameKind(s)))
      pool.emplace_back(std::abs(std::log(ns / s.ns)), s.deviation);
  if (static_cast<int>(pool.size()) < kMinNoiseLayers)
    return layerThreshold(kind, options);
  size_t n = std::min<size_t>(pool.size(), kNoiseNeighbours);
  std::partial_sort(pool.begin(), pool.begin() + n, pool.end());
  std::vector<double> nearest;
  for (size_t i = 0; i < n; ++i)
    nearest.push_back(pool[i].second);
  return std::max(options.sameThreshold, percentile95(nearest).floor);
}

PeakShare peakShare(int64_t flops, double ns, const std::string &dtype,
                    const std::map<std::string, double> &peaks) {
  PeakShare p;
  p.dtype = dtype;
  if (flops <= 0 || ns <= 0)
    return p;
  p.gflops = static_cast<double>(flops) / ns; // FLOP/ns = GFLOP/s
  auto it = peaks.find(dtype);
  if (it != peaks.end())
    p.fraction = p.gflops / it->second;
  return p;
}

PeakShare bandwidthShare(int64_t bytes, double ns, double peakGbs) {
  PeakShare p;
  if (bytes <= 0 || ns <= 0)
    return p;
  p.gbs = static_cast<double>(bytes) / ns; // bytes/ns = GB/s
  if (peakGbs > 0)
    p.fraction = p.gbs / peakGbs;
  return p;
}

double peakGbs(const nlohmann::json &runner) {
  if (!runner.is_object() || !runner.contains("peak_gbs") ||
      !runner["peak_gbs"].is_number())
    return 0;
  return std::max(0.0, runner["peak_gbs"].get<double>());
}

std::map<std::string, double> peakGflops(const nlohmann::json &runner) {
  std::map<std::string, double> peaks;
  if (!runner.is_object() || !runner.contains("peak_gflops") ||
      !runner["peak_gflops"].is_object())
    return peaks;
  for (const auto &[dtype, value] : runner["peak_gflops"].items())
    if (value.is_number() && value.get<double>() > 0)
      peaks[dtype] = value.get<double>();
  return peaks;
}

std::string_view verdictName(Verdict verdict) {
  switch (verdict) {
  case Verdict::kSame:
    return "same";
  case Verdict::kSlower:
    return "slower";
  case Verdict::kFaster:
    return "faster";
  case Verdict::kNoisy:
    return "noisy";
  case Verdict::kUnmeasured:
    return "unmeasured";
  case Verdict::kUnchanged:
    return "unchanged";
  }
  return "unmeasured";
}

Ratio relativeThroughput(int64_t flopsRef, const Measurement &ref,
                         int64_t flopsVar, const Measurement &var,
                         const OracleOptions &options) {
  Ratio r;
  const TimeStatistic &statistic = options.statistic;
  double refNs = timeOf(ref, statistic), varNs = timeOf(var, statistic);
  if (flopsRef <= 0 || flopsVar <= 0 || refNs <= 0 || varNs <= 0)
    return r;
  double work = static_cast<double>(flopsVar) / static_cast<double>(flopsRef);
  BootstrapInterval boot = bootstrapQuantileRatio(
      ref.samplesNs, var.samplesNs, statistic.quantile, options.bootstrap);
  if (boot.valid) {
    // rel = work * t_ref / t_var: the reference's times over the variant's.
    return Ratio{true, work * boot.value, work * boot.low, work * boot.high};
  }
  r.valid = true;
  r.value = work * refNs / varNs;
  // The slowest reference against the fastest variant bounds it above.
  auto [aLow, aHigh] = timeBounds(ref, statistic);
  auto [bLow, bHigh] = timeBounds(var, statistic);
  r.low = work * aLow / bHigh;
  r.high = work * aHigh / bLow;
  r.bounded = ref.stats.count > 1 && var.stats.count > 1;
  return r;
}

LayerWork layerWork(const Layer &ref, const Layer &var) {
  if (ref.flops > 0 && var.flops > 0)
    return {ref.flops, var.flops, false};
  if (ref.bytes > 0 && var.bytes > 0)
    return {ref.bytes, var.bytes, true};
  return {};
}

Ratio relativeLayerThroughput(const Layer &refLayer, const Measurement &ref,
                              const Layer &varLayer, const Measurement &var,
                              const OracleOptions &options) {
  const LayerWork work = layerWork(refLayer, varLayer);
  return relativeThroughput(work.ref, ref, work.var, var, options);
}

Verdict judge(const Ratio &r, double threshold, const OracleOptions &o) {
  if (!r.valid)
    return Verdict::kUnmeasured;
  if (!r.bounded)
    return Verdict::kNoisy;
  if (r.high < 1 - threshold)
    return Verdict::kSlower;
  if (r.low > 1 + threshold)
    return Verdict::kFaster;
  if ((r.high - r.low) > o.maxRelativeWidth * r.value)
    return Verdict::kNoisy;
  if (r.low >= 1 - threshold && r.high <= 1 + threshold)
    return Verdict::kSame;
  return Verdict::kNoisy; // the interval straddles the band's edge
}

Verdict judge(const Ratio &r, const OracleOptions &o) {
  return judge(r, o.sameThreshold, o);
}

bool isCliff(const Ratio &r, const OracleOptions &o) {
  return r.valid && r.bounded && r.high < o.cliffThreshold;
}

RunVerdict judgeRun(const RunData &run, const OracleOptions &options) {
  RunVerdict verdict;
  const VariantRecord *ref = run.reference();
  verdict.hasReference = ref != nullptr;
  if (!ref)
    return verdict;
  verdict.peakGflops = peakGflops(run.run.runner);
  verdict.peakGbs = peakGbs(run.run.runner);
  verdict.referencePeak =
      modelPeak(*ref, verdict.peakGflops, options.statistic);
  if (ref->model && ref->model->measurement.status == ResultStatus::kOk)
    verdict.referenceEnergy =
        efficiencyOf(ref->plan.totalFlops(),
                     timeOf(ref->model->measurement, options.statistic),
                     ref->model->measurement);
  for (const VariantRecord &var : run.variants) {
    if (var.isReference)
      continue;
    VariantVerdict vv;
    vv.key = var.key;
    vv.mutations = var.mutations;
    if (const auto base = var.plan.metadata.find("base_mutations");
        base != var.plan.metadata.end() && base->is_array())
      for (const auto &step : *base)
        if (step.is_string())
          vv.baseMutations.push_back(step.get<std::string>());
    int64_t refFlops = ref->plan.totalFlops(), varFlops = var.plan.totalFlops();
    vv.flopRatio = refFlops ? double(varFlops) / double(refFlops) : 1;
    int64_t refParams = ref->plan.totalParams();
    vv.paramRatio =
        refParams ? double(var.plan.totalParams()) / double(refParams) : 1;
    bool structure = sameStructure(ref->plan, var.plan);
    for (size_t i = 0; i < var.plan.layers.size(); ++i)
      vv.layers.push_back(judgeLayer(*ref, var, i, structure,
                                     verdict.peakGflops, verdict.peakGbs,
                                     options));
    vv.peak = modelPeak(var, verdict.peakGflops, options.statistic);
    if (!ref->model || !var.model) {
      vv.reason = "whole model not measured";
    } else if (ref->model->measurement.status != ResultStatus::kOk ||
               var.model->measurement.status != ResultStatus::kOk) {
      vv.reason = var.model->measurement.status != ResultStatus::kOk
                      ? var.model->measurement.reason
                      : "reference: " + ref->model->measurement.reason;
    } else {
      vv.refNs = timeOf(ref->model->measurement, options.statistic);
      vv.varNs = timeOf(var.model->measurement, options.statistic);
      vv.rel = relativeThroughput(refFlops, ref->model->measurement, varFlops,
                                  var.model->measurement, options);
      vv.verdict = judge(vv.rel, options);
      vv.cliff = isCliff(vv.rel, options);
      vv.energy = efficiencyAgainst(varFlops, vv.varNs, var.model->measurement,
                                    ref->model->measurement, vv.rel);
      vv.throttledRef = throttleOf(ref->model->measurement);
      vv.throttledVar = throttleOf(var.model->measurement);
    }
    verdict.variants.push_back(std::move(vv));
  }
  verdict.hasPower = verdict.referenceEnergy.known();
  auto tally = [&](const Efficiency &energy, const ThrottleCount &ref,
                   const ThrottleCount &var) {
    verdict.hasPower = verdict.hasPower || energy.known();
    verdict.throttledComparisons += ref.any() || var.any();
  };
  for (const VariantVerdict &vv : verdict.variants) {
    tally(vv.energy, vv.throttledRef, vv.throttledVar);
    for (const LayerVerdict &lv : vv.layers)
      tally(lv.energy, lv.throttledRef, lv.throttledVar);
  }
  // Unchanged layers were measured again in another invocation: their
  // spread is the run-to-run noise a changed layer's difference must clear.
  std::vector<double> all;
  std::map<std::string, std::vector<double>> byKind;
  // A reused layer (per-layer memoization) is the reference's measurement
  // copied, not a second one: it says nothing about run-to-run noise.
  for (const VariantVerdict &vv : verdict.variants)
    for (const LayerVerdict &lv : vv.layers)
      if (!lv.changed && lv.rel.valid &&
          !isReusedLayer(run, vv.key, lv.layerId)) {
        all.push_back(std::abs(lv.rel.value - 1));
        byKind[lv.kind].push_back(all.back());
        verdict.noiseSamples.push_back({lv.kind, lv.refNs, all.back()});
      }
  verdict.noise = percentile95(all);
  for (auto &[kind, deviations] : byKind)
    verdict.noiseByKind[kind] = percentile95(deviations);
  for (VariantVerdict &vv : verdict.variants)
    for (LayerVerdict &lv : vv.layers) {
      if (!lv.rel.valid)
        continue;
      if (!lv.changed) {
        lv.verdict = Verdict::kUnchanged;
        continue;
      }
      lv.verdict = judge(
          lv.rel, verdict.layerThreshold(lv.kind, lv.refNs, options), options);
      lv.cliff = isCliff(lv.rel, options);
    }
  std::stable_sort(verdict.variants.begin(), verdict.variants.end(),
                   [](const VariantVerdict &a, const VariantVerdict &b) {
                     if (a.rel.valid != b.rel.valid)
                       return a.rel.valid;
                     return a.rel.value < b.rel.value;
                   });
  verdict.overfitting = computeOverfittingIndex(run, verdict, options);
  return verdict;
}

} // namespace goodhart
