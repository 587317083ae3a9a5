//===- RelativeThroughput.h - Throughput per FLOP against the reference -*- C++
//-*-===//
//
// For every variant and every layer: throughput per FLOP relative to the
// reference, rel = (F_var / t_var) / (F_ref / t_ref), where t is the
// options' statistic of the samples (oracle/TimeStatistic.h: the minimum by
// default). Above 1 the variant does more useful work per second than the
// benchmarked model, below 1 less. Its interval is a seeded percentile
// bootstrap of the ratio of the two sample sets' statistics
// (oracle/Bootstrap.h) when both sides kept enough samples, else it comes
// from the two medians' confidence intervals; the
// verdict says whether the difference is real (slower, faster), absent (same)
// or not decidable from these samples (noisy). A cliff is a variant or layer
// whose whole interval lies below the cliff threshold.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_ORACLE_RELATIVETHROUGHPUT_H
#define GOODHART_ORACLE_RELATIVETHROUGHPUT_H

#include "oracle/Bootstrap.h"
#include "oracle/RunData.h"
#include "oracle/Telemetry.h"
#include "oracle/TimeStatistic.h"

#include <map>
#include <string>
#include <vector>

namespace goodhart {

struct OracleOptions {
  double sameThreshold = 0.05;   // interval within 1 +- this: "same"
  double cliffThreshold = 0.67;  // rel (whole interval) below this: cliff
  double maxRelativeWidth = 0.5; // interval wider than this × rel: noisy
  /// Widen the same/slower/faster band of changed layers to the run-to-run
  /// noise that layers the mutation did not change show (see noiseFloor).
  bool calibrateNoise = true;
  /// The statistic of a measurement's samples every time and ratio uses.
  TimeStatistic statistic;
  /// Resamples, coverage and seed of the bootstrap intervals; with fewer
  /// than bootstrap.minSamples samples on a side the intervals come from
  /// the medians' order-statistic intervals instead.
  BootstrapOptions bootstrap;
};

/// kUnchanged: the layer solves the reference's problem; its ratio measures
/// noise between runs and is not judged.
enum class Verdict { kSame, kSlower, kFaster, kNoisy, kUnmeasured, kUnchanged };
std::string_view verdictName(Verdict verdict);

struct Ratio {
  bool valid = false;
  double value = 0, low = 0, high = 0;
  /// False when a side has a single sample: [low, high] is then a point,
  /// not an interval, and the ratio is judged noisy, never a cliff.
  bool bounded = true;
};

/// rel and its interval from two measurements of `flopsRef`/`flopsVar`, by
/// options.statistic: bootstrapped from the samples when both have
/// options.bootstrap.minSamples, else bounded by timeBounds().
Ratio relativeThroughput(int64_t flopsRef, const Measurement &ref,
                         int64_t flopsVar, const Measurement &var,
                         const OracleOptions &options = {});

/// What two matched layers' throughput is counted in: their FLOPs; or, for
/// a layer that computes nothing (a transpose, slice, concat, copying
/// reshape or cast), the bytes it reads and writes, so data movement is
/// judged too (a slice that moves 5% more bytes in 26% more time is 0.83x
/// per byte). Zero on both sides when neither counts.
struct LayerWork {
  int64_t ref = 0, var = 0;
  bool perByte = false;
};
LayerWork layerWork(const Layer &ref, const Layer &var);

/// relativeThroughput of two layers per their layerWork.
Ratio relativeLayerThroughput(const Layer &refLayer, const Measurement &ref,
                              const Layer &varLayer, const Measurement &var,
                              const OracleOptions &options = {});
/// slower/faster when the whole interval is beyond 1 -+ `threshold`, same
/// when it lies within, noisy otherwise (or when it is too wide).
Verdict judge(const Ratio &ratio, double threshold,
              const OracleOptions &options);
Verdict judge(const Ratio &ratio, const OracleOptions &options);
bool isCliff(const Ratio &ratio, const OracleOptions &options);

/// Achieved throughput against the backend's peak on this machine, which
/// the runner measured: GFLOP/s against runner info "peak_gflops" (per
/// dtype); for a layer that computes nothing, the bytes it reads and writes
/// per second against "peak_gbs" (a plain device copy).
struct PeakShare {
  double gflops = 0;    // FLOPs / time; 0 when not measured or per byte
  std::string dtype;    // the dtype whose peak it is compared with
  double fraction = -1; // of the GFLOP/s or copy peak; < 0: no such peak
  double gbs = 0;       // bytes / time, for a layer with 0 FLOPs
  bool hasFraction() const { return fraction >= 0; }
  bool perByte() const { return gbs > 0; }
  bool measured() const { return gflops > 0 || gbs > 0; }
};

/// `flops` run in `ns` against `peaks[dtype]` (GFLOP/s).
PeakShare peakShare(int64_t flops, double ns, const std::string &dtype,
                    const std::map<std::string, double> &peaks);

/// `bytes` moved in `ns` against the copy peak `peakGbs` (none when <= 0).
PeakShare bandwidthShare(int64_t bytes, double ns, double peakGbs);

/// The peaks in a run's runner info: {"peak_gflops": {"f32": ..}}; dtypes
/// without a positive number are left out.
std::map<std::string, double> peakGflops(const nlohmann::json &runner);

/// The runner's copy peak in GB/s ("peak_gbs"); 0 when it measured none.
double peakGbs(const nlohmann::json &runner);

struct LayerVerdict {
  int64_t layerId = -1;
  std::string name, kind, shape; // shape: the variant's output, "1x56x56x65"
  bool changed = false;          // the problem differs from the reference's
  std::string implRef, implVar;
  bool implSwitch = false;
  int64_t flopsRef = 0, flopsVar = 0;
  double refNs = 0, varNs = 0;
  Ratio rel;
  bool perByte = false;             // rel is throughput per byte (layerWork)
  int64_t workRef = 0, workVar = 0; // rel's units: FLOPs, or bytes
  Verdict verdict = Verdict::kUnmeasured;
  bool cliff = false;
  std::string reason; // why unmeasured
  std::string repro;  // the variant layer's vendor repro line
  CheckResult check;  // the variant layer's correctness check
  PeakShare peak;     // the variant layer's, dtype of its first input
  Efficiency energy;  // the variant layer's throughput per watt
  ThrottleCount throttledRef, throttledVar;
};

struct VariantVerdict {
  std::string key;
  std::vector<std::string> mutations;
  /// The steps that made the reference from the run's source (a retype:
  /// plan metadata base_mutations); a reproducer applies them first.
  std::vector<std::string> baseMutations;
  double flopRatio = 1, paramRatio = 1;
  double refNs = 0, varNs = 0;
  Ratio rel;
  Verdict verdict = Verdict::kUnmeasured;
  bool cliff = false;
  std::string reason;
  std::vector<LayerVerdict> layers;
  /// The whole model's, against the peak of the dtype of its layer with the
  /// most FLOPs.
  PeakShare peak;
  Efficiency energy; // the whole model's throughput per watt
  ThrottleCount throttledRef, throttledVar;
};

struct NoiseFloor {
  double floor = 0; // fraction: 0.05 is 5%
  int layers = 0;   // unchanged layers it was computed from
};

inline constexpr int kMinNoiseLayers = 3;
/// How many unchanged layers nearest in duration a layer's band comes from.
inline constexpr int kNoiseNeighbours = 8;

/// One unchanged layer measured again: the evidence of run-to-run noise.
struct NoiseSample {
  std::string kind;
  double ns = 0;        // the reference layer's time (the statistic's)
  double deviation = 0; // |rel - 1|
};

/// One-shot tuning (oracle/OverfittingIndex.h): the reference's whole-model
/// throughput per FLOP over the median of its equivalent variants'.
struct OverfittingIndex {
  bool evaluated = false;
  std::string reason; // why not evaluated: "not enough variants: ..."
  int variants = 0;   // measured equivalent variants (identity excluded)
  Ratio index;        // > 1: the reference beats its neighborhood
  /// Fraction of the measured variants slower (per FLOP) than the reference:
  /// 1.0 when the reference beats every one of them.
  double percentile = 0;
  /// Run-to-run noise the flag must clear: the spread of the identity
  /// variants when the run has any, else the unchanged layers' floor.
  double noiseFloor = 0;
  /// "identity variants" or "unchanged layers"; "none" when neither was
  /// measured twice (the floor alone applies).
  std::string noiseSource;
  int identityVariants = 0;
  double threshold = 0; // max(sameThreshold, noiseFloor)
  /// The whole interval lies above 1 + threshold.
  bool oneShotTuning = false;
};

struct RunVerdict {
  bool hasReference = false;
  /// Run-to-run noise: the 95th percentile of |rel - 1| over layers whose
  /// problem the mutations left unchanged (measured again in another runner
  /// invocation), over all of them and per layer kind (kinds with fewer than
  /// kMinNoiseLayers unchanged layers use the overall floor).
  NoiseFloor noise;
  std::map<std::string, NoiseFloor> noiseByKind;
  /// Every unchanged layer's deviation, with its kind and duration.
  std::vector<NoiseSample> noiseSamples;
  /// The band a changed layer of `kind` is judged with:
  /// max(sameThreshold, its kind's floor) when calibrating.
  double layerThreshold(const std::string &kind,
                        const OracleOptions &options) const;
  /// The band of a layer of `kind` whose reference takes `ns`: the 95th
  /// percentile over the kNoiseNeighbours unchanged layers of that kind
  /// nearest in log duration (all kinds when the kind has fewer than
  /// kMinNoiseLayers), because noise is a matter of duration as much as of
  /// kind: a 2 us ReLU varies between runs by tens of percent where a 1 ms
  /// convolution varies by one. Without samples or a duration: the kind's.
  double layerThreshold(const std::string &kind, double ns,
                        const OracleOptions &options) const;
  std::vector<VariantVerdict> variants; // worst relative throughput first
  OverfittingIndex overfitting;
  /// The backend's peak GFLOP/s per dtype (empty when the runner did not
  /// measure it) and the reference's whole-model share of it.
  std::map<std::string, double> peakGflops;
  /// The backend's copy GB/s (0 when the runner did not measure it): the
  /// peak of the layers that only move data.
  double peakGbs = 0;
  PeakShare referencePeak;
  /// The reference's whole-model throughput per watt, and whether any
  /// measurement of the run reported its power (GPU runners with NVML).
  Efficiency referenceEnergy;
  bool hasPower = false;
  /// Comparisons (whole models and layers) in which either side had at
  /// least one throttled sample.
  int throttledComparisons = 0;
};

/// Judges every non-reference variant of `run` against its reference.
RunVerdict judgeRun(const RunData &run, const OracleOptions &options = {});

} // namespace goodhart

#endif // GOODHART_ORACLE_RELATIVETHROUGHPUT_H
