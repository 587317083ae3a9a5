//===- Strategies.h - Which mutations a generation proposes -----*- C++ -*-===//
//
// A strategy turns a reference model into an ordered list of proposals, each
// a mutation sequence; the VariantGenerator applies them in order and keeps
// those that verify and stay equivalent. Every strategy is deterministic for
// a given model, options and Rng state.
//
//   neighborhood  every channel site's alignment-class neighbors
//                 (ChannelStrategy.h), shuffled
//   random        seeded draws from the whole space: any channel site with
//                 any value in [c/2, 2c], activation swaps, element types
//   grid          the cartesian product of user-named dimensions:
//                 --grid 'set_channels:block1.conv1=60,62,64,66'
//
// The control group, identity(*, SEED) variants, is proposed separately
// (identityProposals) and added by neighborhood and random.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_GENERATOR_STRATEGIES_H
#define GOODHART_GENERATOR_STRATEGIES_H

#include "generator/MutationSpec.h"
#include "generator/Rng.h"
#include "runners/common/Status.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>
#include <vector>

namespace goodhart {

/// One proposal: mutations applied in order to one clone of the reference.
using Proposal = std::vector<MutationSpec>;

/// `howMany` distinct seeded draws from the whole mutation space of `func`.
std::vector<Proposal> proposeRandomMutations(mlir::func::FuncOp func,
                                             int howMany, Rng &rng);

/// One grid dimension: a mutation kind, a layer, and the values to try.
struct GridDimension {
  std::string kind;
  std::string layer;
  std::vector<MutationSpec> values; // one spec per value, in given order
};

/// Parses "KIND:LAYER=V1,V2,..." (values as MutationSpec::parse reads
/// them: numbers, or names for kinds with named values).
StatusOr<GridDimension> parseGridDimension(const std::string &text);

/// Every point of the cartesian product of `dimensions`, the first
/// dimension varying slowest. Fails when there are none or more than
/// `limit` points.
StatusOr<std::vector<Proposal>>
proposeGridMutations(const std::vector<std::string> &dimensions,
                     size_t limit = 10000);

/// `howMany` identity(*, SEED) proposals with distinct seeds drawn from rng.
std::vector<Proposal> identityProposals(int howMany, Rng &rng);

} // namespace goodhart

#endif // GOODHART_GENERATOR_STRATEGIES_H
