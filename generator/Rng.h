//===- Rng.h - The one seeded random source of a campaign -------*- C++ -*-===//
//
// goodhart draws every random choice from one Rng created from the user's
// seed and passed down. Draws must be identical on every platform and
// standard library, so only mt19937_64 (whose output the standard fixes) is
// used, and integer ranges are drawn with rejection sampling here instead of
// std::uniform_int_distribution (whose algorithm is implementation-defined).
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_GENERATOR_RNG_H
#define GOODHART_GENERATOR_RNG_H

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace goodhart {

class Rng {
public:
  explicit Rng(uint64_t seed) : seed_(seed), engine_(seed) {}

  uint64_t seed() const { return seed_; }
  uint64_t next() { return engine_(); }

  /// Uniform integer in [lo, hi] (inclusive), lo <= hi.
  int64_t uniformInt(int64_t lo, int64_t hi);

  /// Fisher-Yates shuffle driven by uniformInt.
  template <typename T> void shuffle(std::vector<T> &values) {
    for (int64_t i = static_cast<int64_t>(values.size()) - 1; i > 0; --i)
      std::swap(values[i], values[uniformInt(0, i)]);
  }

  /// An independent stream derived from this seed and `stream` (splitmix64),
  /// so sub-tasks can draw without depending on each other's draw counts.
  Rng fork(uint64_t stream) const;

private:
  uint64_t seed_;
  std::mt19937_64 engine_;
};

} // namespace goodhart

#endif // GOODHART_GENERATOR_RNG_H
