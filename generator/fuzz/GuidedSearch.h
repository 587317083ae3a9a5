//===- GuidedSearch.h - Feedback-guided search for cliffs -------*- C++ -*-===//
//
// The engine behind goodhart-fuzz, independent of libFuzzer so it can be
// tested and driven without it. A session loads the reference, measures it
// and its identity variants into a new run of the results database
// (strategy "guided"), then evaluates genomes (generator/Genome.h) one at a
// time:
//
//   decode   the genome becomes a valid, equivalent variant (or the
//            reference, which is not measured again)
//   measure  the runner process measures the variant's layers; layers the
//            database already holds under the same memo key are reused, so
//            only the layers the mutations changed cost time; a crash or
//            hang of the runner is a finding and the runner restarts
//   judge    each changed layer's throughput per FLOP against the same
//            layer of the reference (oracle/RelativeThroughput.h)
//   feedback PerfFuzz-style features: (layer kind, implementation, quarter-
//            octave bucket of the relative throughput) and (layer kind,
//            implementation switch), so the fuzzer keeps variants that
//            reach new implementations or deeper slowdowns
//
// Every measured variant is stored with its mutation sequence, so `goodhart
// report --db` shows a guided run like any campaign; cliffs, mismatches and
// crashes also get reproducer files in the artifacts directory.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_GENERATOR_FUZZ_GUIDEDSEARCH_H
#define GOODHART_GENERATOR_FUZZ_GUIDEDSEARCH_H

#include "generator/Genome.h"
#include "generator/Rng.h"
#include "generator/fuzz/GuidedOptions.h"
#include "oracle/ResultsDb.h"

#include "mlir/IR/MLIRContext.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace goodhart::fuzz {

/// A feature key for (layer kind, implementation, relative throughput).
uint64_t throughputFeature(const std::string &kind, const std::string &impl,
                           double relative);
/// A feature key for a layer kind switching implementation.
uint64_t switchFeature(const std::string &kind, const std::string &from,
                       const std::string &to);
/// The quarter-octave bucket of a relative throughput: floor(4 log2 rel),
/// clamped to [-16, 8] (-4: half the reference's throughput per FLOP).
int throughputBucket(double relative);

struct Evaluation {
  enum class Kind {
    kReference, // the genome changes nothing: not measured
    kSeen,      // a variant measured before (same plan): its features again
    kMeasured,  // measured now
    kFailed,    // the runner crashed, hung or broke the protocol
    kSkipped,   // --max-variants reached: not measured
  };
  Kind kind = Kind::kReference;
  std::string key; // "g0001"
  std::vector<std::string> mutations;
  std::vector<uint64_t> features;
  int cliffs = 0, mismatches = 0;
  double worst = 1; // lowest relative throughput per FLOP of a changed layer
};

class GuidedSearch {
public:
  /// Loads the model, starts the runner, begins the run and measures the
  /// reference and the identity variants.
  static StatusOr<std::unique_ptr<GuidedSearch>> start(GuidedOptions options);
  ~GuidedSearch();

  /// Decodes, measures and judges one genome. Never fails: problems with
  /// the runner become findings, database errors are printed.
  Evaluation evaluate(const uint8_t *data, size_t size);

  /// libFuzzer's custom mutator and crossover: a structure-aware edit
  /// (generator/GenomeMutator.h) whose result is written in its canonical
  /// form (the effective genes). Return the new size (<= maxSize).
  size_t mutate(uint8_t *data, size_t size, size_t maxSize, unsigned seed);
  size_t crossOver(const uint8_t *a, size_t aSize, const uint8_t *b,
                   size_t bSize, uint8_t *out, size_t maxOut, unsigned seed);

  /// Marks the run finished (once).
  Status finish();

  bool exhausted() const {
    return options_.maxVariants > 0 && measured_ >= options_.maxVariants;
  }
  int64_t measuredVariants() const { return measured_; }
  int64_t runId() const;
  const GenomeDecoder &decoder() const { return *decoder_; }

private:
  GuidedSearch() = default;
  Status measureBaseline();
  void judge(const DecodedVariant &variant, const VariantRecord &record,
             Evaluation &evaluation);
  void writeArtifacts(const std::string &key, const DecodedVariant &variant,
                      const Plan &plan, const std::string &genome,
                      const std::string &why);
  size_t writeCanonical(std::vector<Gene> genes, uint8_t *out, size_t maxOut,
                        Rng &rng);

  GuidedOptions options_;
  std::unique_ptr<mlir::MLIRContext> context_;
  mlir::OwningOpRef<mlir::ModuleOp> module_;
  std::string entry_;
  std::unique_ptr<GenomeDecoder> decoder_;
  std::unique_ptr<ResultsDb> db_;
  std::unique_ptr<cli::MeasureSession> session_;
  /// The reference's measured layers and plan layers, by layer name.
  std::map<std::string, LayerResult> referenceResults_;
  std::map<std::string, const Layer *> referenceLayers_;
  /// Features of every plan measured, by canonical hash.
  std::map<std::string, std::vector<uint64_t>> seen_;
  int64_t measured_ = 0;
  bool finished_ = false;
};

} // namespace goodhart::fuzz

#endif // GOODHART_GENERATOR_FUZZ_GUIDEDSEARCH_H
