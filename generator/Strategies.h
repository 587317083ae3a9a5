//===- Strategies.h - Which mutations a generation proposes -----*- C++ -*-===//
//
// A strategy turns a reference model into an ordered list of proposals, each
// a mutation sequence; the VariantGenerator applies them in order and keeps
// those that verify and stay equivalent. Every strategy is deterministic for
// a given model, options and Rng state.
//
//   neighborhood  every site of the MutationSpace (every kind, or those of
//                 --kinds): integer sites the alignment-class values around
//                 the reference (ChannelStrategy.h) that the site accepts,
//                 categorical sites every alternative. The order spreads
//                 over kinds and layers: each kind's queue takes one value
//                 of each of its sites per round (sites and values in seeded
//                 order); local kinds (a layer or a stage) take turns in
//                 catalog order, and whole-model sites ("*": input sizes,
//                 the model's element type, width or heads), which change
//                 every layer and so are measured in full, take every fourth
//                 place while local proposals remain
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

#include "generator/MutationSpace.h"
#include "generator/MutationSpec.h"
#include "generator/Rng.h"
#include "runners/common/Status.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>
#include <vector>

namespace goodhart {

/// One proposal: mutations applied in order to one clone of the reference.
using Proposal = std::vector<MutationSpec>;

/// Whether `site` is on "*": its mutations change every layer (an input
/// size, the model's element type, width or heads), so no layer of the
/// reference's measurement is reused.
bool isWholeModelSite(const MutationSite &site);

/// The values the neighborhood strategy tries at `site`, without its
/// current value: every candidate of a categorical site (activations,
/// element types, stride positions, width percentages); for a size,
/// neighborhoodValues(current) within [minValue, maxValue] and among the
/// candidates (so a kernel stays odd and a head count divides the hidden
/// size), none when no candidate is in those alignment classes.
std::vector<int64_t> neighborhoodSiteValues(const MutationSite &site);

/// The neighborhood of every site in `sites` (a MutationSpace catalog), one
/// mutation per proposal, in the order described above; deterministic for
/// a given catalog and Rng state.
std::vector<MutationSpec>
proposeNeighborhoodMutations(const std::vector<MutationSite> &sites, Rng &rng);

/// The sites of `sites` whose kind is in `kinds` (all when empty). Fails,
/// naming the kinds the model offers, when a kind has no site.
StatusOr<std::vector<MutationSite>>
selectKinds(std::vector<MutationSite> sites,
            const std::vector<std::string> &kinds);

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
