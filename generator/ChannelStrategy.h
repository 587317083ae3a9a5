//===- ChannelStrategy.h - Channel counts vendors may not have tuned -*- C++
//-*-===//
//
// The neighborhood of a channel count: the values around it that fall in
// other alignment classes (+-1, +-2, the nearest multiples of 8, 16, 32, 64
// and 128, the nearest primes). A library tuned for the benchmark's 64 may
// fall off a cliff at 65 or 61; these are the values that show it.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_GENERATOR_CHANNELSTRATEGY_H
#define GOODHART_GENERATOR_CHANNELSTRATEGY_H

#include "generator/Mutation.h"
#include "generator/Rng.h"
#include "mlir/Mutations.h"

#include <cstdint>
#include <vector>

namespace goodhart {

/// Sorted, distinct, positive values near `value`, excluding `value`.
std::vector<int64_t> neighborhoodValues(int64_t value);

/// Every single-convolution channel change in the neighborhood of each site,
/// in a seeded random order (deterministic for a given Rng state).
std::vector<MutationSpec>
proposeChannelMutations(const std::vector<ChannelSite> &sites, Rng &rng);

} // namespace goodhart

#endif // GOODHART_GENERATOR_CHANNELSTRATEGY_H
