//===- GuidedOptions.h - What goodhart-fuzz is asked to do ------*- C++ -*-===//
//
// goodhart-fuzz runs under libFuzzer's own main, which reads single-dash
// flags (-runs=, -max_total_time=, -seed=) and ignores double-dash ones; the
// guided search reads those: --model, --db, --backend, the measurement
// options of `goodhart run`, and its own.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_GENERATOR_FUZZ_GUIDEDOPTIONS_H
#define GOODHART_GENERATOR_FUZZ_GUIDEDOPTIONS_H

#include "generator/Equivalence.h"
#include "generator/cli/MeasureCli.h"
#include "mlir/ModelLoader.h"
#include "oracle/RelativeThroughput.h"

#include <cstdint>
#include <string>
#include <vector>

namespace goodhart::fuzz {

struct GuidedOptions {
  std::string model; // the reference model (.mlir)
  LoadOptions load;
  /// Runner, results database and measurement options, as `goodhart run`
  /// takes them; the mode defaults to per-layer measurement.
  cli::MeasureCliOptions measure;
  OracleOptions oracle;
  EquivalenceOptions equivalence;
  /// Where reproducers of cliffs, mismatches and crashes are written (the
  /// variant's .mlir, plan and genome); empty: nowhere.
  std::string artifacts;
  /// Identity variants measured with the reference: the run's noise floor.
  int identityVariants = 2;
  /// Stop after this many measured variants (0: when libFuzzer stops).
  int64_t maxVariants = 0;
  size_t maxGenes = 4;
  uint64_t seed = 1; // the identity variants' seeds
  std::string commandLine;
  bool help = false;
  std::string helpText;
};

/// Reads the double-dash arguments of `args` (others are libFuzzer's and
/// skipped). Errors name the option.
StatusOr<GuidedOptions>
parseGuidedOptions(const std::vector<std::string> &args);

} // namespace goodhart::fuzz

#endif // GOODHART_GENERATOR_FUZZ_GUIDEDOPTIONS_H
