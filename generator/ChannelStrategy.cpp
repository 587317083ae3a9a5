//===- ChannelStrategy.cpp - Channel counts vendors may not have tuned ----===//

#include "generator/ChannelStrategy.h"

#include <algorithm>

namespace goodhart {
namespace {

bool isPrime(int64_t n) {
  if (n < 2)
    return false;
  for (int64_t d = 2; d * d <= n; ++d)
    if (n % d == 0)
      return false;
  return true;
}

} // namespace

std::vector<int64_t> neighborhoodValues(int64_t value) {
  std::vector<int64_t> values;
  for (int64_t delta : {-2, -1, 1, 2})
    values.push_back(value + delta);
  for (int64_t align : {8, 16, 32, 64, 128}) {
    int64_t below = (value - 1) / align * align; // largest multiple < value
    int64_t above = (value / align + 1) * align; // smallest multiple > value
    values.push_back(below);
    values.push_back(above);
  }
  for (int64_t p = value + 1; p < value + 1000; ++p)
    if (isPrime(p)) {
      values.push_back(p);
      break;
    }
  for (int64_t p = value - 1; p > 1; --p)
    if (isPrime(p)) {
      values.push_back(p);
      break;
    }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  std::erase_if(values, [&](int64_t v) { return v <= 0 || v == value; });
  return values;
}

std::vector<MutationSpec>
proposeChannelMutations(const std::vector<ChannelSite> &sites, Rng &rng) {
  std::vector<MutationSpec> proposals;
  for (const ChannelSite &site : sites)
    for (int64_t value : neighborhoodValues(site.channels))
      proposals.push_back({"set_channels", site.layerName, value});
  rng.shuffle(proposals);
  return proposals;
}

} // namespace goodhart
