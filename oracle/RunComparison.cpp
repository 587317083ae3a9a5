//===- RunComparison.cpp - Two runs of the same plans, compared -----------===//

#include "oracle/RunComparison.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace goodhart {
namespace {

const LayerResult *resultFor(const VariantRecord &v, int64_t layerId) {
  for (const LayerResult &l : v.layers)
    if (l.id == layerId)
      return &l;
  return nullptr;
}

const VariantVerdict *verdictFor(const RunVerdict &verdict,
                                 const std::string &key) {
  for (const VariantVerdict &v : verdict.variants)
    if (v.key == key)
      return &v;
  return nullptr;
}

const LayerVerdict *layerVerdictFor(const VariantVerdict *variant,
                                    int64_t layerId) {
  if (!variant)
    return nullptr;
  for (const LayerVerdict &l : variant->layers)
    if (l.layerId == layerId)
      return &l;
  return nullptr;
}

/// Why a measurement pair cannot be compared, or "" when it can.
std::string unmeasuredReason(const Measurement *baseline,
                             const Measurement *candidate) {
  if (!baseline)
    return "not measured in the baseline";
  if (!candidate)
    return "not measured in the candidate";
  if (baseline->status != ResultStatus::kOk)
    return "baseline: " + baseline->reason;
  if (candidate->status != ResultStatus::kOk)
    return "candidate: " + candidate->reason;
  return "";
}

std::string jsonText(const nlohmann::json &j) {
  return j.is_null()     ? "(unset)"
         : j.is_string() ? j.get<std::string>()
                         : j.dump();
}

std::vector<RunMismatch> findMismatches(const RunRecord &b,
                                        const RunRecord &c) {
  std::vector<RunMismatch> out;
  auto field = [&](const std::string &name, const std::string &x,
                   const std::string &y) {
    if (x != y)
      out.push_back({name, x, y});
  };
  field("model", b.model, c.model);
  field("source", b.source, c.source);
  field("backend", b.backend, c.backend);
  field("strategy", b.strategy, c.strategy);
  field("seed", std::to_string(b.seed), std::to_string(c.seed));
  field("threads", std::to_string(b.threads), std::to_string(c.threads));
  // A new runner may time differently (the cuDNN runner's 0.8.0 took the
  // host's launches out of layer samples): a difference to know of.
  auto runnerVersion = [](const RunRecord &r) {
    return r.runner.is_object() ? r.runner.value("runner_version", "") : "";
  };
  field("runner_version", runnerVersion(b), runnerVersion(c));
  std::set<std::string> keys;
  for (const nlohmann::json *options : {&b.options, &c.options})
    if (options->is_object())
      for (const auto &item : options->items())
        keys.insert(item.key());
  for (const std::string &key : keys) {
    auto value = [&](const nlohmann::json &options) {
      return options.is_object() && options.contains(key) ? options.at(key)
                                                          : nlohmann::json();
    };
    nlohmann::json x = value(b.options), y = value(c.options);
    if (x != y)
      out.push_back({"options." + key, jsonText(x), jsonText(y)});
  }
  return out;
}

/// The noise band of whole-model comparisons: the same threshold, widened to
/// the larger overall noise floor of the two runs when calibrating.
double modelBand(const RunVerdict &b, const RunVerdict &c,
                 const OracleOptions &o) {
  double band = o.sameThreshold;
  if (!o.calibrateNoise)
    return band;
  for (const RunVerdict *v : {&b, &c})
    if (v->noise.layers >= kMinNoiseLayers)
      band = std::max(band, v->noise.floor);
  return band;
}

/// The layer's time in `v` by the oracle's statistic; 0 when it was not
/// measured.
double layerNs(const VariantRecord &v, int64_t layerId,
               const TimeStatistic &statistic) {
  const LayerResult *r = resultFor(v, layerId);
  return r && r->measurement.status == ResultStatus::kOk
             ? timeOf(r->measurement, statistic)
             : 0;
}

LayerComparison compareLayer(const VariantRecord &bv, const Layer &bl,
                             const VariantRecord &cv, const Layer &cl,
                             const VariantVerdict *bJudged,
                             const VariantVerdict *cJudged, double threshold,
                             const OracleOptions &o) {
  LayerComparison lc;
  lc.name = cl.name;
  lc.kind = std::string(layerKindName(cl.kind));
  lc.hash = cl.hash;
  lc.baselineId = bl.id;
  lc.candidateId = cl.id;
  lc.threshold = threshold;
  const LayerResult *br = resultFor(bv, bl.id);
  const LayerResult *cr = resultFor(cv, cl.id);
  if (br)
    lc.implBaseline = br->impl;
  if (cr)
    lc.implCandidate = cr->impl;
  lc.implSwitch = !lc.implBaseline.empty() && !lc.implCandidate.empty() &&
                  lc.implBaseline != lc.implCandidate;
  const LayerVerdict *bJudgedLayer = layerVerdictFor(bJudged, bl.id);
  const LayerVerdict *cJudgedLayer = layerVerdictFor(cJudged, cl.id);
  if (bJudgedLayer)
    lc.relBaseline = bJudgedLayer->rel;
  if (cJudgedLayer)
    lc.relCandidate = cJudgedLayer->rel;
  lc.cliff = cliffChange(bJudgedLayer && bJudgedLayer->cliff,
                         cJudgedLayer && cJudgedLayer->cliff);
  lc.reason = unmeasuredReason(br ? &br->measurement : nullptr,
                               cr ? &cr->measurement : nullptr);
  if (!lc.reason.empty())
    return lc;
  lc.baselineNs = timeOf(br->measurement, o.statistic);
  lc.candidateNs = timeOf(cr->measurement, o.statistic);
  const LayerWork work = layerWork(bl, cl);
  lc.speedup = relativeThroughput(work.ref, br->measurement, work.var,
                                  cr->measurement, o);
  lc.perByte = work.perByte;
  if (!lc.speedup.valid)
    lc.reason = work.ref > 0 ? "no time measured"
                             : "no work to compare: 0 FLOPs and 0 bytes";
  lc.change = judgeChange(lc.speedup, threshold, o);
  return lc;
}

/// Pairs the layers of two plans: the k-th layer with a hash in one plan with
/// the k-th layer with that hash in the other, then leftovers by name and
/// kind. Unpaired layers are listed in `unmatched`.
std::vector<std::pair<const Layer *, const Layer *>>
pairLayers(const Plan &b, const Plan &c, std::vector<std::string> &unmatched) {
  std::map<std::string, std::vector<const Layer *>> byHash;
  for (const Layer &l : b.layers)
    byHash[l.hash].push_back(&l);
  std::map<std::string, size_t> used;
  std::set<const Layer *> taken;
  std::vector<std::pair<const Layer *, const Layer *>> pairs;
  std::vector<const Layer *> leftovers;
  for (const Layer &l : c.layers) {
    auto it = byHash.find(l.hash);
    size_t &k = used[l.hash];
    if (it != byHash.end() && k < it->second.size()) {
      pairs.push_back({it->second[k], &l});
      taken.insert(it->second[k++]);
    } else {
      leftovers.push_back(&l);
    }
  }
  for (const Layer *l : leftovers) {
    const Layer *match = nullptr;
    for (const Layer &candidate : b.layers)
      if (!taken.count(&candidate) && candidate.name == l->name &&
          candidate.kind == l->kind) {
        match = &candidate;
        break;
      }
    if (match) {
      pairs.push_back({match, l});
      taken.insert(match);
    } else {
      unmatched.push_back(l->name + " (candidate only)");
    }
  }
  for (const Layer &l : b.layers)
    if (!taken.count(&l))
      unmatched.push_back(l.name + " (baseline only)");
  std::stable_sort(pairs.begin(), pairs.end(), [](auto &x, auto &y) {
    return x.second->id < y.second->id;
  });
  return pairs;
}

VariantComparison compareVariant(const VariantRecord &bv,
                                 const VariantRecord &cv,
                                 const RunVerdict &bJudged,
                                 const RunVerdict &cJudged, double modelBand,
                                 const OracleOptions &o) {
  VariantComparison vc;
  vc.key = cv.key;
  vc.mutations = cv.mutations;
  vc.isReference = cv.isReference;
  vc.threshold = modelBand;
  const VariantVerdict *bVar = verdictFor(bJudged, bv.key);
  const VariantVerdict *cVar = verdictFor(cJudged, cv.key);
  if (bVar)
    vc.relBaseline = bVar->rel;
  if (cVar)
    vc.relCandidate = cVar->rel;
  vc.cliff = cliffChange(bVar && bVar->cliff, cVar && cVar->cliff);
  vc.reason = unmeasuredReason(bv.model ? &bv.model->measurement : nullptr,
                               cv.model ? &cv.model->measurement : nullptr);
  if (vc.reason.empty()) {
    vc.baselineNs = timeOf(bv.model->measurement, o.statistic);
    vc.candidateNs = timeOf(cv.model->measurement, o.statistic);
    vc.speedup =
        relativeThroughput(bv.plan.totalFlops(), bv.model->measurement,
                           cv.plan.totalFlops(), cv.model->measurement, o);
    vc.change = judgeChange(vc.speedup, modelBand, o);
  }
  for (auto [bl, cl] : pairLayers(bv.plan, cv.plan, vc.unmatchedLayers)) {
    std::string kind(layerKindName(cl->kind));
    double band = std::max(
        bJudged.layerThreshold(kind, layerNs(bv, bl->id, o.statistic), o),
        cJudged.layerThreshold(kind, layerNs(cv, cl->id, o.statistic), o));
    vc.layers.push_back(compareLayer(bv, *bl, cv, *cl, bVar, cVar, band, o));
  }
  return vc;
}

Ratio median(std::vector<double> values, std::vector<double> lows,
             std::vector<double> highs) {
  auto mid = [](std::vector<double> &v) {
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  };
  Ratio r;
  if (values.empty())
    return r;
  r.valid = true;
  r.value = mid(values);
  r.low = mid(lows);
  r.high = mid(highs);
  return r;
}

std::vector<FindingRecord> newFindings(const RunData &b, const RunData &c) {
  using Key = std::tuple<std::string, std::string, int64_t>;
  std::set<Key> seen;
  for (const FindingRecord &f : b.findings)
    seen.insert({f.kind, f.variantKey, f.layerId.value_or(-1)});
  std::vector<FindingRecord> out;
  for (const FindingRecord &f : c.findings)
    if (!seen.count({f.kind, f.variantKey, f.layerId.value_or(-1)}))
      out.push_back(f);
  return out;
}

} // namespace

BenchmarkOnlyImprovement
benchmarkOnlyImprovement(const std::vector<VariantComparison> &variants,
                         double band, const OracleOptions &o) {
  BenchmarkOnlyImprovement b;
  b.threshold = band;
  const VariantComparison *ref = nullptr;
  std::vector<double> values, lows, highs;
  for (const VariantComparison &v : variants) {
    if (v.isReference) {
      ref = &v;
      continue;
    }
    if (!v.speedup.valid)
      continue;
    values.push_back(v.speedup.value);
    lows.push_back(v.speedup.low);
    highs.push_back(v.speedup.high);
  }
  b.variants = static_cast<int>(values.size());
  if (!ref || !ref->speedup.valid) {
    b.reason = "the reference's whole model was not compared";
    return b;
  }
  if (values.empty()) {
    b.reason = "no variant's whole model was compared";
    return b;
  }
  b.evaluated = true;
  b.reference = ref->speedup;
  b.medianVariants = median(values, lows, highs);
  const Ratio &r = b.reference, &m = b.medianVariants;
  b.gap.valid = m.value > 0 && m.low > 0;
  if (!b.gap.valid)
    return b;
  b.gap.value = r.value / m.value;
  b.gap.low = r.low / m.high;
  b.gap.high = r.high / m.low;
  b.flagged =
      judgeChange(r, band, o) == Change::kFaster && b.gap.low > 1 + band;
  return b;
}

std::string_view changeName(Change change) {
  switch (change) {
  case Change::kSame:
    return "same";
  case Change::kFaster:
    return "faster";
  case Change::kSlower:
    return "slower";
  case Change::kAmbiguous:
    return "ambiguous";
  case Change::kUnmeasured:
    return "unmeasured";
  }
  return "unmeasured";
}

Change judgeChange(const Ratio &speedup, double threshold,
                   const OracleOptions &options) {
  switch (judge(speedup, threshold, options)) {
  case Verdict::kSame:
    return Change::kSame;
  case Verdict::kSlower:
    return Change::kSlower;
  case Verdict::kFaster:
    return Change::kFaster;
  case Verdict::kNoisy:
    return Change::kAmbiguous;
  case Verdict::kUnmeasured:
  case Verdict::kUnchanged:
    break;
  }
  return Change::kUnmeasured;
}

std::string_view cliffChangeName(CliffChange change) {
  switch (change) {
  case CliffChange::kNone:
    return "none";
  case CliffChange::kNew:
    return "new";
  case CliffChange::kFixed:
    return "fixed";
  case CliffChange::kKept:
    return "kept";
  }
  return "none";
}

CliffChange cliffChange(bool baselineCliff, bool candidateCliff) {
  if (baselineCliff && candidateCliff)
    return CliffChange::kKept;
  if (baselineCliff)
    return CliffChange::kFixed;
  return candidateCliff ? CliffChange::kNew : CliffChange::kNone;
}

int VariantComparison::slowerLayers() const {
  return static_cast<int>(
      std::count_if(layers.begin(), layers.end(), [](const LayerComparison &l) {
        return l.change == Change::kSlower;
      }));
}

int VariantComparison::fasterLayers() const {
  return static_cast<int>(
      std::count_if(layers.begin(), layers.end(), [](const LayerComparison &l) {
        return l.change == Change::kFaster;
      }));
}

int VariantComparison::newLayerCliffs() const {
  return static_cast<int>(
      std::count_if(layers.begin(), layers.end(), [](const LayerComparison &l) {
        return l.cliff == CliffChange::kNew;
      }));
}

int VariantComparison::fixedLayerCliffs() const {
  return static_cast<int>(
      std::count_if(layers.begin(), layers.end(), [](const LayerComparison &l) {
        return l.cliff == CliffChange::kFixed;
      }));
}

bool VariantComparison::regressed() const {
  return change == Change::kSlower || cliff == CliffChange::kNew ||
         slowerLayers() > 0 || newLayerCliffs() > 0;
}

int RunComparison::regressions() const {
  return static_cast<int>(
      std::count_if(variants.begin(), variants.end(),
                    [](const VariantComparison &v) { return v.regressed(); }));
}

int RunComparison::improvements() const {
  return static_cast<int>(std::count_if(
      variants.begin(), variants.end(),
      [](const VariantComparison &v) { return v.change == Change::kFaster; }));
}

int RunComparison::newCliffs() const {
  int n = 0;
  for (const VariantComparison &v : variants)
    n += (v.cliff == CliffChange::kNew) + v.newLayerCliffs();
  return n;
}

int RunComparison::fixedCliffs() const {
  int n = 0;
  for (const VariantComparison &v : variants)
    n += (v.cliff == CliffChange::kFixed) + v.fixedLayerCliffs();
  return n;
}

bool RunComparison::failed() const {
  return regressions() > 0 || !newFindings.empty() || benchmarkOnly.flagged;
}

RunComparison compareRuns(const RunData &baseline, const RunData &candidate,
                          const OracleOptions &options,
                          const TransistorCounts &transistors) {
  RunComparison cmp;
  cmp.baseline = baseline.run;
  cmp.candidate = candidate.run;
  cmp.mismatches = findMismatches(baseline.run, candidate.run);
  RunVerdict bJudged = judgeRun(baseline, options);
  RunVerdict cJudged = judgeRun(candidate, options);
  cmp.modelThreshold = modelBand(bJudged, cJudged, options);
  std::map<std::string, const VariantRecord *> byKey;
  for (const VariantRecord &v : baseline.variants)
    byKey[v.key] = &v;
  std::set<std::string> matched;
  for (const VariantRecord &cv : candidate.variants) {
    auto it = byKey.find(cv.key);
    if (it == byKey.end()) {
      cmp.onlyInCandidate.push_back(cv.key);
      continue;
    }
    if (it->second->mutations != cv.mutations ||
        it->second->isReference != cv.isReference) {
      cmp.onlyInCandidate.push_back(cv.key + " (other mutations)");
      continue;
    }
    matched.insert(cv.key);
    cmp.variants.push_back(compareVariant(*it->second, cv, bJudged, cJudged,
                                          cmp.modelThreshold, options));
  }
  for (const VariantRecord &bv : baseline.variants)
    if (!matched.count(bv.key))
      cmp.onlyInBaseline.push_back(bv.key);
  std::stable_sort(cmp.variants.begin(), cmp.variants.end(),
                   [](const VariantComparison &a, const VariantComparison &b) {
                     if (a.isReference != b.isReference)
                       return a.isReference;
                     return a.key < b.key;
                   });
  cmp.benchmarkOnly =
      benchmarkOnlyImprovement(cmp.variants, cmp.modelThreshold, options);
  Ratio referenceSpeedup;
  if (!cmp.variants.empty() && cmp.variants.front().isReference)
    referenceSpeedup = cmp.variants.front().speedup;
  cmp.normalized = normalizeSpeedup(referenceSpeedup, bJudged, cJudged,
                                    baseline.run, candidate.run, transistors);
  cmp.newFindings = newFindings(baseline, candidate);
  return cmp;
}

} // namespace goodhart
