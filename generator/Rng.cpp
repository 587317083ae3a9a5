//===- Rng.cpp - The one seeded random source of a campaign ---------------===//

#include "generator/Rng.h"

#include <cassert>

namespace goodhart {

int64_t Rng::uniformInt(int64_t lo, int64_t hi) {
  assert(lo <= hi && "empty range");
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (span == UINT64_MAX)
    return static_cast<int64_t>(next());
  const uint64_t range = span + 1;
  // Reject the top partial bucket so every value is equally likely.
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % range + 1) % range;
  uint64_t draw;
  do {
    draw = next();
  } while (draw > limit);
  return lo + static_cast<int64_t>(draw % range);
}

Rng Rng::fork(uint64_t stream) const {
  uint64_t z = seed_ + 0x9e3779b97f4a7c15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return Rng(z ^ (z >> 31));
}

} // namespace goodhart
