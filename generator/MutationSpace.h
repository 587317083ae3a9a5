//===- MutationSpace.h - Every mutation a model offers ----------*- C++ -*-===//
//
// The catalog of a reference model's mutation sites: for each mutation kind
// the generator knows, the layers (or stages, or "*") it can apply to, the
// reference's value there, the values a neighborhood tries, and the range a
// random draw may take. The guided search's genome (generator/Genome.h)
// indexes into it, so a new mutation kind reaches the fuzzer by adding its
// sites here.
//
// Sites are listed in a fixed order (kind by kind, program order within a
// kind) so that a genome decodes to the same variant on every run.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_GENERATOR_MUTATIONSPACE_H
#define GOODHART_GENERATOR_MUTATIONSPACE_H

#include "generator/MutationSpec.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cstdint>
#include <string>
#include <vector>

namespace goodhart {

struct MutationSite {
  std::string kind;  // a MutationSpec kind: "set_channels"
  std::string layer; // layer, stage or "*"
  /// The reference's value (an index into MutationSpec::namedValues for
  /// kinds with named values).
  int64_t current = 0;
  /// Values a neighborhood tries, sorted, distinct, without `current`.
  std::vector<int64_t> candidates;
  /// Inclusive range a random draw takes values from (`current` excluded
  /// by the caller).
  int64_t minValue = 0, maxValue = 0;
  /// The candidates are alternatives without alignment classes (table
  /// indices, positions, percentages): the neighborhood tries each one.
  /// Otherwise the value is a size, and the neighborhood tries the
  /// candidates in the reference's alignment classes (neighborhoodValues).
  bool categorical = false;

  MutationSpec spec(int64_t value) const { return {kind, layer, value}; }
};

/// Every site of `func`, in the fixed order: set_channels, scale_width,
/// set_activation, set_dtype (then kinds added later, appended).
std::vector<MutationSite> enumerateMutationSites(mlir::func::FuncOp func);

/// The model's input-size sites, each on "*": set_spatial (an NHWC image
/// input, square), set_seq (a [batch, sequence, hidden] token input),
/// with candidates from neighborhoodValues within the range a draw takes:
/// +-max(2, size/16) for the resolution (FLOPs grow with its square),
/// +-max(2, length/10) for the sequence; and set_batch (either input) with
/// b/2, b+1, 2b and 4b in [b/2, 4b]. enumerateMutationSites appends them
/// after its other kinds.
std::vector<MutationSite> inputSizeSites(mlir::func::FuncOp func);

/// The model's layer-geometry sites, which enumerateMutationSites appends
/// last: move_stride per block whose stride can move (value: the strided
/// convolution's 1-based position in the block, candidates every other
/// one), set_kernel per convolution whose kernel can change with a channel
/// compensation (odd kernels 1 to 7), set_groups per dense convolution
/// that can be split (value 1, candidates GroupSite::candidates), set_heads
/// on "*" when the model's
/// attention can be re-split (candidates: HeadSite::candidates) and then
/// set_head_dim on "*" (D -+ D/8, D -+ D/4, in [D/2, 2D]), and set_hidden
/// on "*" (candidates: HiddenSite::candidates, in [hidden/2, 2 hidden]).
std::vector<MutationSite> geometrySites(mlir::func::FuncOp func);

/// The stages scale_width can apply to: the distinct first components of
/// channel-site names with at least two sites ("layer3" of
/// "layer3.0.conv1"), in first-appearance order, then "*".
std::vector<std::string> widthStages(mlir::func::FuncOp func);

} // namespace goodhart

#endif // GOODHART_GENERATOR_MUTATIONSPACE_H
