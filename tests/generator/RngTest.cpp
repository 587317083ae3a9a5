//===- RngTest.cpp - The seeded random source -----------------------------===//

#include "generator/Rng.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace goodhart {
namespace {

TEST(RngTest, SameSeedSameDraws) {
  Rng a(42), b(42);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(a.uniformInt(-5, 1000), b.uniformInt(-5, 1000));
}

TEST(RngTest, DifferentSeedsDiffer) {
  Rng a(1), b(2);
  int equal = 0;
  for (int i = 0; i < 64; ++i)
    equal += a.next() == b.next();
  EXPECT_LT(equal, 64);
}

TEST(RngTest, MatchesTheStandardEngine) {
  // mt19937_64's 10000th output for the default seed is fixed by the
  // standard ([rand.predef]); our Rng must not add anything on top.
  Rng rng(5489u);
  uint64_t value = 0;
  for (int i = 0; i < 10000; ++i)
    value = rng.next();
  EXPECT_EQ(value, 9981545732273789042ULL);
}

TEST(RngTest, UniformIntStaysInRangeAndCoversIt) {
  Rng rng(7);
  std::set<int64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    int64_t v = rng.uniformInt(3, 9);
    ASSERT_GE(v, 3);
    ASSERT_LE(v, 9);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(rng.uniformInt(4, 4), 4);
}

TEST(RngTest, ShuffleIsAPermutationAndDeterministic) {
  std::vector<int> a(20), b;
  for (int i = 0; i < 20; ++i)
    a[i] = i;
  b = a;
  Rng r1(9), r2(9);
  r1.shuffle(a);
  r2.shuffle(b);
  EXPECT_EQ(a, b);
  std::vector<int> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(sorted[i], i);
}

TEST(RngTest, ForkedStreamsAreIndependentOfDrawCount) {
  Rng a(11), b(11);
  b.next(); // drawing from the parent must not change its forks
  EXPECT_EQ(a.fork(3).next(), b.fork(3).next());
  EXPECT_NE(a.fork(3).next(), a.fork(4).next());
}

} // namespace
} // namespace goodhart
