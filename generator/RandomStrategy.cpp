//===- RandomStrategy.cpp - Seeded draws from the whole mutation space ----===//
//
// Each draw picks a family (channels 6 in 10, activation 2 in 10, element
// type 2 in 10, among those the model has sites for; the input size takes
// one of element type's two when the model has an input-size site, layer
// geometry one of the channels' six when it has geometry sites), then a
// site and a value uniformly: a channel count anywhere in [c/2, 2c] (not c),
// another activation of the table, bf16 or f16 for the whole model or one
// site, an input size in its site's range, one of a geometry site's
// candidates (MutationSpace.h).
// Equivalence is not checked here: the generator rejects what breaks it.
//
//===----------------------------------------------------------------------===//

#include "generator/MutationSpace.h"
#include "generator/Strategies.h"

#include "mlir/Mutations.h"

#include <set>

namespace goodhart {

std::vector<Proposal> proposeRandomMutations(mlir::func::FuncOp func,
                                             int howMany, Rng &rng) {
  std::vector<ChannelSite> channels = findChannelSites(func);
  std::vector<ActivationSite> activations = findActivationSites(func);
  std::vector<std::string> dtypeLayers = {"*"};
  for (const ChannelSite &site : channels)
    dtypeLayers.push_back(site.layerName);
  const std::vector<std::string> &kinds = activationKinds();
  // The batch is left out: FLOPs follow it linearly, so no draw would pass.
  std::vector<MutationSite> inputSites = inputSizeSites(func);
  // Layer geometry (move_stride, set_kernel, set_heads) takes one of the
  // channel family's six draws when the model has such sites.
  std::vector<MutationSite> geometry;
  for (MutationSite &site : geometrySites(func))
    if (!site.candidates.empty())
      geometry.push_back(std::move(site));
  std::erase_if(inputSites,
                [](const MutationSite &s) { return s.kind == "set_batch"; });

  std::vector<Proposal> proposals;
  std::set<std::string> drawn;
  // Draws may repeat; give up after a bounded number of tries.
  for (int attempt = 0;
       static_cast<int>(proposals.size()) < howMany && attempt < howMany * 20;
       ++attempt) {
    int64_t family = rng.uniformInt(0, 9);
    std::optional<MutationSpec> spec;
    if (family == 5 && !geometry.empty()) {
      const MutationSite &site = geometry[rng.uniformInt(
          0, static_cast<int64_t>(geometry.size()) - 1)];
      spec = site.spec(site.candidates[rng.uniformInt(
          0, static_cast<int64_t>(site.candidates.size()) - 1)]);
    } else if (family < 6 && !channels.empty()) {
      const ChannelSite &site = channels[rng.uniformInt(
          0, static_cast<int64_t>(channels.size()) - 1)];
      int64_t lo = std::max<int64_t>(1, site.channels / 2);
      int64_t value = rng.uniformInt(lo, site.channels * 2);
      if (value != site.channels)
        spec = MutationSpec{"set_channels", site.layerName, value};
    } else if (family < 8 && !activations.empty()) {
      const ActivationSite &site = activations[rng.uniformInt(
          0, static_cast<int64_t>(activations.size()) - 1)];
      const std::string &kind =
          kinds[rng.uniformInt(0, static_cast<int64_t>(kinds.size()) - 1)];
      if (kind != site.activation)
        spec = MutationSpec::named("set_activation", site.layerName, kind);
    } else if (family == 9 && !inputSites.empty()) {
      const MutationSite &site = inputSites[rng.uniformInt(
          0, static_cast<int64_t>(inputSites.size()) - 1)];
      int64_t value = rng.uniformInt(site.minValue, site.maxValue);
      if (value != site.current)
        spec = site.spec(value);
    } else if (family >= 8) {
      const std::string &layer = dtypeLayers[rng.uniformInt(
          0, static_cast<int64_t>(dtypeLayers.size()) - 1)];
      spec = MutationSpec::named("set_dtype", layer,
                                 rng.uniformInt(0, 1) ? "f16" : "bf16");
    }
    if (spec && drawn.insert(spec->describe()).second)
      proposals.push_back({*spec});
  }
  return proposals;
}

std::vector<Proposal> identityProposals(int howMany, Rng &rng) {
  std::vector<Proposal> proposals;
  std::set<int64_t> seeds;
  while (static_cast<int>(proposals.size()) < howMany) {
    int64_t seed = rng.uniformInt(1, 999999);
    if (seeds.insert(seed).second)
      proposals.push_back({MutationSpec{"identity", "*", seed}});
  }
  return proposals;
}

} // namespace goodhart
