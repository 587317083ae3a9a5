//===- RunComparison.h - Two runs of the same plans, compared ---*- C++ -*-===//
//
// The nightly comparison: a baseline run and a candidate run of the same
// plans (two library or driver releases, or two machines). Variants are
// matched by key and mutation sequence, layers by their stable hash (then by
// name). Each match gets a speed-up, the candidate's throughput per FLOP over
// the baseline's with its interval, judged same, faster, slower or ambiguous
// against a band of max(sameThreshold, the noise floor either run shows for
// that layer kind); an interval straddling the band's edge is ambiguous.
//
// Cliffs (relative throughput against the run's own reference, whole interval
// below the cliff threshold) are compared too: new in the candidate or fixed.
// The signal goodhart exists for is the benchmark-only improvement: the
// reference got faster while the median of its variants' speed-ups stayed
// clearly below the reference's.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_ORACLE_RUNCOMPARISON_H
#define GOODHART_ORACLE_RUNCOMPARISON_H

#include "oracle/Normalization.h"
#include "oracle/RelativeThroughput.h"
#include "oracle/RunData.h"

#include <string>
#include <string_view>
#include <vector>

namespace goodhart {

enum class Change { kSame, kFaster, kSlower, kAmbiguous, kUnmeasured };
std::string_view changeName(Change change);

/// Candidate throughput per FLOP over the baseline's, judged in a band of
/// +-`threshold`: the oracle's judge, with "noisy" read as ambiguous.
Change judgeChange(const Ratio &speedup, double threshold,
                   const OracleOptions &options);

enum class CliffChange { kNone, kNew, kFixed, kKept };
std::string_view cliffChangeName(CliffChange change);
CliffChange cliffChange(bool baselineCliff, bool candidateCliff);

struct LayerComparison {
  std::string name, kind, hash;
  int64_t baselineId = -1, candidateId = -1;
  std::string implBaseline, implCandidate;
  bool implSwitch = false;
  double baselineNs = 0, candidateNs = 0;
  Ratio speedup;
  bool perByte = false; // speedup is throughput per byte (layerWork)
  double threshold = 0;
  Change change = Change::kUnmeasured;
  /// Against the run's own reference (only changed layers can be cliffs).
  Ratio relBaseline, relCandidate;
  CliffChange cliff = CliffChange::kNone;
  std::string reason; // why unmeasured
  /// Set when a slower verdict was checked by measuring the layer again
  /// (goodhart compare --confirm): "reproduced: ..." or "did not
  /// reproduce: ..." (then the verdict is the re-measurement's).
  std::string confirmation;
};

struct VariantComparison {
  std::string key;
  std::vector<std::string> mutations;
  bool isReference = false;
  double baselineNs = 0, candidateNs = 0; // whole model, by the statistic
  Ratio speedup;                          // whole model
  double threshold = 0;
  Change change = Change::kUnmeasured;
  Ratio relBaseline, relCandidate; // against the run's own reference
  CliffChange cliff = CliffChange::kNone;
  std::string reason; // why the whole model is unmeasured
  /// As LayerComparison::confirmation, for a slower whole model.
  std::string confirmation;
  std::vector<LayerComparison> layers;
  std::vector<std::string> unmatchedLayers; // "name (baseline only)", ...

  int slowerLayers() const;
  int fasterLayers() const;
  int newLayerCliffs() const;
  int fixedLayerCliffs() const;
  /// Slower model, a slower layer or a new cliff (model or layer).
  bool regressed() const;
};

/// The reference got faster while its variants did not.
struct BenchmarkOnlyImprovement {
  bool evaluated = false; // a reference and at least one variant compared
  std::string reason;     // why not evaluated
  int variants = 0;       // variants with a whole-model speed-up
  Ratio reference;        // the reference's speed-up
  /// Median of the variants' speed-ups; its interval is the median of their
  /// lower and of their upper bounds (the median is monotone in each value).
  Ratio medianVariants;
  Ratio gap; // reference / medianVariants
  double threshold = 0;
  /// The reference is judged faster and the whole gap interval lies above
  /// 1 + threshold.
  bool flagged = false;
};

/// Judges the benchmark-only improvement of compared variants: the
/// reference's speed-up against the median of the others', in `band`.
BenchmarkOnlyImprovement
benchmarkOnlyImprovement(const std::vector<VariantComparison> &variants,
                         double band, const OracleOptions &options);

/// A field in which the two runs differ although it should not: the model,
/// its source, the strategy and seed, the backend or a measurement option.
struct RunMismatch {
  std::string field, baseline, candidate;
};

struct RunComparison {
  RunRecord baseline, candidate;
  std::vector<RunMismatch> mismatches;
  std::vector<VariantComparison> variants; // the reference first, then by key
  std::vector<std::string> onlyInBaseline, onlyInCandidate; // variant keys
  BenchmarkOnlyImprovement benchmarkOnly;
  /// Correctness findings of the candidate whose kind, variant and layer the
  /// baseline does not have.
  std::vector<FindingRecord> newFindings;
  /// The bands the model-level comparisons used.
  double modelThreshold = 0;
  /// The reference model's whole-model speed-up per FLOP, watt, peak and
  /// transistor (oracle/Normalization.h), for comparisons across devices.
  std::vector<NormalizedSpeedup> normalized;

  int regressions() const;  // regressed variants
  int improvements() const; // variants faster as a whole model
  int newCliffs() const;    // variant and layer cliffs
  int fixedCliffs() const;
  /// Regressions, new findings or a benchmark-only improvement: a nightly
  /// fails on these (exit code 1).
  bool failed() const;
};

/// Compares `candidate` with `baseline`. Both are judged with `options`
/// (for their cliffs and noise floors) before matching; `transistors`
/// stand in for the device table's counts.
RunComparison compareRuns(const RunData &baseline, const RunData &candidate,
                          const OracleOptions &options = {},
                          const TransistorCounts &transistors = {});

} // namespace goodhart

#endif // GOODHART_ORACLE_RUNCOMPARISON_H
