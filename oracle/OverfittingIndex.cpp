//===- OverfittingIndex.cpp - Does the reference beat its neighborhood? ---===//

#include "oracle/OverfittingIndex.h"

#include "oracle/Bootstrap.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace goodhart {
namespace {

double medianOf(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  if (n == 0)
    return 0;
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/// A whole-model measurement usable for throughput per FLOP: its FLOPs
/// and its time by the oracle's statistic.
struct Sample {
  double flops = 0;
  const Measurement *m = nullptr;
  double ns = 0;
  double throughput() const { return flops / ns; }
};

bool usable(const VariantRecord &v, const TimeStatistic &statistic) {
  return v.model && v.model->measurement.status == ResultStatus::kOk &&
         timeOf(v.model->measurement, statistic) > 0 && v.plan.totalFlops() > 0;
}

Sample sampleOf(const VariantRecord &v, const TimeStatistic &statistic) {
  return {double(v.plan.totalFlops()), &v.model->measurement,
          timeOf(v.model->measurement, statistic)};
}

std::string trim(const std::string &s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

/// The index's interval from resampling every measurement: in resample b,
/// the reference's throughput over the median of the variants'.
Ratio bootstrapIndex(const Sample &ref, const std::vector<Sample> &vars,
                     double value, const OracleOptions &options) {
  const BootstrapOptions &b = options.bootstrap;
  std::mt19937_64 rng(b.seed);
  const double q = options.statistic.quantile;
  std::vector<double> refTimes =
      bootstrapQuantiles(ref.m->samplesNs, q, b.resamples, rng);
  std::vector<std::vector<double>> varTimes;
  for (const Sample &v : vars)
    varTimes.push_back(bootstrapQuantiles(v.m->samplesNs, q, b.resamples, rng));
  std::vector<double> indices, throughputs(vars.size());
  for (size_t r = 0; r < refTimes.size(); ++r) {
    for (size_t i = 0; i < vars.size(); ++i)
      throughputs[i] = vars[i].flops / varTimes[i][r];
    indices.push_back(ref.flops / refTimes[r] / medianOf(throughputs));
  }
  BootstrapInterval interval = percentileInterval(value, indices, b.confidence);
  return Ratio{interval.valid, interval.value, interval.low, interval.high};
}

/// Without enough samples: the slowest reference against the median of the
/// variants' fastest and the other way round (the median is monotone in
/// each value), from timeBounds().
Ratio boundIndex(const Sample &ref, const std::vector<Sample> &vars,
                 double value, const TimeStatistic &statistic) {
  auto low = [&](const Sample &s) {
    return s.flops / timeBounds(*s.m, statistic).second;
  };
  auto high = [&](const Sample &s) {
    return s.flops / timeBounds(*s.m, statistic).first;
  };
  std::vector<double> lows, highs;
  for (const Sample &v : vars) {
    lows.push_back(low(v));
    highs.push_back(high(v));
  }
  return Ratio{true, value, low(ref) / medianOf(highs),
               high(ref) / medianOf(lows)};
}

} // namespace

bool isIdentityVariant(const std::vector<std::string> &mutations) {
  if (mutations.empty())
    return false;
  for (const std::string &m : mutations)
    if (trim(m.substr(0, m.find('('))) != "identity")
      return false;
  return true;
}

OverfittingIndex computeOverfittingIndex(const RunData &run,
                                         const RunVerdict &verdict,
                                         const OracleOptions &options) {
  OverfittingIndex o;
  // The floor: the identity variants' spread, else the unchanged layers'.
  std::vector<double> identity;
  for (const VariantVerdict &vv : verdict.variants)
    if (isIdentityVariant(vv.mutations) && vv.rel.valid)
      identity.push_back(std::abs(vv.rel.value - 1));
  o.identityVariants = static_cast<int>(identity.size());
  if (!identity.empty()) {
    std::sort(identity.begin(), identity.end());
    size_t rank = static_cast<size_t>(
        std::ceil(0.95 * static_cast<double>(identity.size())));
    o.noiseFloor = identity[std::max<size_t>(rank, 1) - 1];
    o.noiseSource = "identity variants";
  } else if (verdict.noise.layers > 0) {
    o.noiseFloor = verdict.noise.floor;
    o.noiseSource = "unchanged layers";
  } else {
    // Nothing was measured twice (no identity variant; unchanged layers
    // reused): the floor stands alone, and the text says so.
    o.noiseFloor = 0;
    o.noiseSource = "none";
  }
  o.threshold = std::max(options.sameThreshold, o.noiseFloor);

  const VariantRecord *refRecord = run.reference();
  const TimeStatistic &statistic = options.statistic;
  if (!refRecord || !usable(*refRecord, statistic)) {
    o.reason = refRecord ? "the reference's whole model was not measured"
                         : "the run has no reference";
    return o;
  }
  Sample ref = sampleOf(*refRecord, statistic);
  std::vector<Sample> vars;
  for (const VariantRecord &v : run.variants)
    if (!v.isReference && !isIdentityVariant(v.mutations) &&
        usable(v, statistic))
      vars.push_back(sampleOf(v, statistic));
  o.variants = static_cast<int>(vars.size());
  if (o.variants < kMinOverfittingVariants) {
    o.reason = "not enough variants: " + std::to_string(o.variants) +
               " measured as a whole model, " +
               std::to_string(kMinOverfittingVariants) + " needed";
    return o;
  }
  std::vector<double> throughputs;
  int slower = 0;
  for (const Sample &v : vars) {
    throughputs.push_back(v.throughput());
    slower += v.throughput() < ref.throughput();
  }
  o.evaluated = true;
  o.percentile = double(slower) / double(vars.size());
  double value = ref.throughput() / medianOf(throughputs);
  size_t minSamples =
      static_cast<size_t>(std::max(1, options.bootstrap.minSamples));
  bool enough = ref.m->samplesNs.size() >= minSamples;
  for (const Sample &v : vars)
    enough = enough && v.m->samplesNs.size() >= minSamples;
  o.index = enough ? bootstrapIndex(ref, vars, value, options)
                   : boundIndex(ref, vars, value, statistic);
  o.oneShotTuning = o.index.valid && o.index.low > 1 + o.threshold;
  return o;
}

} // namespace goodhart
