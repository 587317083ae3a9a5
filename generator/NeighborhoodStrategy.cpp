//===- NeighborhoodStrategy.cpp - Every site's nearby values --------------===//
//
// The neighborhood strategy walks the MutationSpace catalog: each site
// proposes neighborhoodSiteValues, and the proposals of all sites are
// interleaved so that the first N spread over kinds and layers (the order is
// documented in Strategies.h). Nothing here knows a kind by name: a kind
// added to the catalog is proposed without edits.
//
//===----------------------------------------------------------------------===//

#include "generator/ChannelStrategy.h"
#include "generator/Strategies.h"

#include <algorithm>

namespace goodhart {
namespace {

/// Local proposals between two whole-model ones, while both remain.
constexpr size_t kLocalPerWholeModel = 3;

/// One kind's proposals on one scope (local layers and stages, or "*").
struct KindQueue {
  std::string kind;
  std::vector<std::vector<int64_t>> values; // per site, shuffled
  std::vector<const MutationSite *> sites;  // shuffled with `values`
  std::vector<MutationSpec> specs;          // the round-robin order
};

/// The kind's proposals, one value of each site per round: site order and
/// each site's value order are seeded shuffles.
void fillQueue(KindQueue &queue, Rng &rng) {
  std::vector<size_t> order(queue.sites.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  rng.shuffle(order);
  for (std::vector<int64_t> &values : queue.values)
    rng.shuffle(values);
  for (size_t round = 0;; ++round) {
    bool any = false;
    for (size_t i : order)
      if (round < queue.values[i].size()) {
        queue.specs.push_back(queue.sites[i]->spec(queue.values[i][round]));
        any = true;
      }
    if (!any)
      break;
  }
}

/// One proposal of each queue in turn, queues in catalog order.
std::vector<MutationSpec> roundRobin(const std::vector<KindQueue> &queues) {
  std::vector<MutationSpec> out;
  for (size_t round = 0;; ++round) {
    bool any = false;
    for (const KindQueue &queue : queues)
      if (round < queue.specs.size()) {
        out.push_back(queue.specs[round]);
        any = true;
      }
    if (!any)
      return out;
  }
}

} // namespace

bool isWholeModelSite(const MutationSite &site) { return site.layer == "*"; }

std::vector<int64_t> neighborhoodSiteValues(const MutationSite &site) {
  if (site.categorical || !MutationSpec::namedValues(site.kind).empty())
    return site.candidates;
  std::vector<int64_t> values;
  for (int64_t v : neighborhoodValues(site.current))
    if (v >= site.minValue && v <= site.maxValue &&
        llvm::is_contained(site.candidates, v))
      values.push_back(v);
  return values;
}

std::vector<MutationSpec>
proposeNeighborhoodMutations(const std::vector<MutationSite> &sites, Rng &rng) {
  // Queues in catalog order of their first site: local ones, whole-model
  // ones.
  std::vector<KindQueue> local, whole;
  for (const MutationSite &site : sites) {
    std::vector<int64_t> values = neighborhoodSiteValues(site);
    std::erase(values, site.current);
    if (values.empty())
      continue;
    std::vector<KindQueue> &queues = isWholeModelSite(site) ? whole : local;
    auto it =
        std::find_if(queues.begin(), queues.end(),
                     [&](const KindQueue &q) { return q.kind == site.kind; });
    if (it == queues.end()) {
      queues.push_back({site.kind, {}, {}, {}});
      it = std::prev(queues.end());
    }
    it->sites.push_back(&site);
    it->values.push_back(std::move(values));
  }
  for (KindQueue &queue : local)
    fillQueue(queue, rng);
  for (KindQueue &queue : whole)
    fillQueue(queue, rng);

  std::vector<MutationSpec> localOrder = roundRobin(local);
  std::vector<MutationSpec> wholeOrder = roundRobin(whole);
  std::vector<MutationSpec> proposals;
  proposals.reserve(localOrder.size() + wholeOrder.size());
  size_t l = 0, w = 0;
  while (l < localOrder.size() || w < wholeOrder.size()) {
    for (size_t i = 0; i < kLocalPerWholeModel && l < localOrder.size(); ++i)
      proposals.push_back(localOrder[l++]);
    if (w < wholeOrder.size())
      proposals.push_back(wholeOrder[w++]);
  }
  return proposals;
}

StatusOr<std::vector<MutationSite>>
selectKinds(std::vector<MutationSite> sites,
            const std::vector<std::string> &kinds) {
  if (kinds.empty())
    return sites;
  std::vector<std::string> offered;
  for (const MutationSite &site : sites)
    if (!llvm::is_contained(offered, site.kind))
      offered.push_back(site.kind);
  for (const std::string &kind : kinds)
    if (!llvm::is_contained(offered, kind)) {
      std::string list;
      for (const std::string &k : offered)
        list += (list.empty() ? "" : ", ") + k;
      return invalidInput("--kinds: the model has no " + kind +
                          " site (its kinds: " + list + ")");
    }
  std::erase_if(sites, [&](const MutationSite &site) {
    return !llvm::is_contained(kinds, site.kind);
  });
  return sites;
}

} // namespace goodhart
