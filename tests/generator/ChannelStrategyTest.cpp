//===- ChannelStrategyTest.cpp - Channel neighborhoods --------------------===//

#include "generator/ChannelStrategy.h"

#include <gtest/gtest.h>

namespace goodhart {
namespace {

TEST(ChannelStrategyTest, NeighborhoodOf64CoversAlignmentClasses) {
  // +-1, +-2: 62 63 65 66; multiples of 8: 56 72; of 16: 48 80; of 32: 32
  // 96; of 64: (0) 128; of 128: (0) 128; primes: 61 67.
  std::vector<int64_t> expected = {32, 48, 56, 61, 62, 63, 65,
                                   66, 67, 72, 80, 96, 128};
  EXPECT_EQ(neighborhoodValues(64), expected);
}

TEST(ChannelStrategyTest, NeighborhoodOfAnOddCount) {
  std::vector<int64_t> values = neighborhoodValues(65);
  // 64 (a multiple of 64) and 67 (the next prime) are the interesting ones.
  EXPECT_NE(std::find(values.begin(), values.end(), 64), values.end());
  EXPECT_NE(std::find(values.begin(), values.end(), 67), values.end());
  EXPECT_EQ(std::find(values.begin(), values.end(), 65), values.end());
}

TEST(ChannelStrategyTest, SmallCountsStayPositive) {
  for (int64_t v : neighborhoodValues(1))
    EXPECT_GT(v, 0);
  for (int64_t v : neighborhoodValues(3))
    EXPECT_GT(v, 0);
}

TEST(ChannelStrategyTest, ProposalsAreSeededAndComplete) {
  std::vector<ChannelSite> sites = {{"a", 64, {}}, {"b", 128, {}}};
  Rng r1(5), r2(5), r3(6);
  std::vector<MutationSpec> p1 = proposeChannelMutations(sites, r1);
  std::vector<MutationSpec> p2 = proposeChannelMutations(sites, r2);
  std::vector<MutationSpec> p3 = proposeChannelMutations(sites, r3);
  EXPECT_EQ(p1, p2);
  EXPECT_NE(p1, p3);
  EXPECT_EQ(p1.size(),
            neighborhoodValues(64).size() + neighborhoodValues(128).size());
}

TEST(MutationSpecTest, DescribeAndParseRoundTrip) {
  MutationSpec spec{"set_channels", "block1.conv1", 65};
  EXPECT_EQ(spec.describe(), "set_channels(block1.conv1, 65)");
  std::optional<MutationSpec> parsed = MutationSpec::parse(spec.describe());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, spec);
}

TEST(MutationSpecTest, ParseRejectsMalformedText) {
  EXPECT_FALSE(MutationSpec::parse("set_channels"));
  EXPECT_FALSE(MutationSpec::parse("set_channels(conv1)"));
  EXPECT_FALSE(MutationSpec::parse("set_channels(conv1, x)"));
  EXPECT_FALSE(MutationSpec::parse("(conv1, 3)"));
}

} // namespace
} // namespace goodhart
