//===- NeighborhoodStrategyTest.cpp - Every site's nearby values ----------===//

#include "generator/ChannelStrategy.h"
#include "generator/Strategies.h"

#include "../mlir/MlirTestSupport.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace goodhart {
namespace {

const std::string kResNet50 =
    std::string(GOODHART_SOURCE_DIR) + "/corpus/resnet50.mlir";
const std::string kBertLarge =
    std::string(GOODHART_SOURCE_DIR) + "/corpus/bert_large.mlir";
const std::string kLlamaLayer =
    std::string(GOODHART_SOURCE_DIR) + "/corpus/llama2_7b_layer.mlir";

bool contains(const std::vector<int64_t> &values, int64_t v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

TEST(NeighborhoodStrategyTest, IntegerSitesTakeTheirAlignmentClassesInRange) {
  // A kernel of 3: 1 and 5 are +-2 and odd; 7 is no alignment class of 3.
  MutationSite kernel{"set_kernel", "conv", 3, {1, 5, 7}, 1, 7};
  EXPECT_EQ(neighborhoodSiteValues(kernel), (std::vector<int64_t>{1, 5}));
  // 16 heads of a 1024 hidden size: divisors only, in [4, 64].
  MutationSite heads{"set_heads", "*", 16, {4, 8, 32, 64}, 4, 64};
  EXPECT_EQ(neighborhoodSiteValues(heads), (std::vector<int64_t>{8, 32, 64}));
  // A channel count of 64 with a narrower range than its neighborhood.
  MutationSite channels{"set_channels",         "c", 64,
                        neighborhoodValues(64), 48,  80};
  EXPECT_EQ(neighborhoodSiteValues(channels),
            (std::vector<int64_t>{48, 56, 61, 62, 63, 65, 66, 67, 72, 80}));
}

TEST(NeighborhoodStrategyTest, CategoricalSitesTakeEveryAlternative) {
  MutationSite activation{"set_activation", "relu1", 0, {1, 2, 3, 4}, 0, 4};
  EXPECT_EQ(neighborhoodSiteValues(activation), activation.candidates);
  MutationSite dtype{"set_dtype", "*", 0, {1, 2}, 0, 2};
  EXPECT_EQ(neighborhoodSiteValues(dtype), dtype.candidates);
  // A stride's position among four convolutions: every other position,
  // though 4 is no alignment class of 1.
  MutationSite stride{"move_stride", "layer2.0", 1, {2, 3, 4}, 1, 4, true};
  EXPECT_EQ(neighborhoodSiteValues(stride), stride.candidates);
  // Percentages of 100, though only 97 (a prime) is an alignment class.
  MutationSite width{"scale_width", "*", 100, {90, 97, 110}, 80, 120, true};
  EXPECT_EQ(neighborhoodSiteValues(width), width.candidates);
  // The same table as a size: only the alignment class.
  width.categorical = false;
  EXPECT_EQ(neighborhoodSiteValues(width), (std::vector<int64_t>{97}));
  // A size whose candidates are all far from its alignment classes offers
  // nothing.
  MutationSite far{"set_kernel", "conv", 7, {1, 3}, 1, 7};
  EXPECT_TRUE(neighborhoodSiteValues(far).empty());
}

/// A catalog with two local kinds over several layers and two whole-model
/// kinds.
std::vector<MutationSite> syntheticCatalog() {
  std::vector<MutationSite> sites;
  for (const char *layer : {"a", "b", "c", "d"})
    sites.push_back(
        {"set_channels", layer, 64, neighborhoodValues(64), 32, 128});
  for (const char *layer : {"a.relu", "b.relu"})
    sites.push_back({"set_activation", layer, 0, {1, 2, 3, 4}, 0, 4});
  sites.push_back({"set_dtype", "*", 0, {1, 2}, 0, 2});
  sites.push_back({"set_spatial", "*", 224, {210, 216, 223}, 210, 238});
  return sites;
}

TEST(NeighborhoodStrategyTest, OrderSpreadsOverKindsAndLayers) {
  std::vector<MutationSite> sites = syntheticCatalog();
  Rng rng(3);
  std::vector<MutationSpec> p = proposeNeighborhoodMutations(sites, rng);
  // Every value of every site, once.
  size_t total = 0;
  for (const MutationSite &site : sites)
    total += neighborhoodSiteValues(site).size();
  ASSERT_EQ(p.size(), total);
  std::set<std::string> distinct;
  for (const MutationSpec &m : p)
    distinct.insert(m.describe());
  EXPECT_EQ(distinct.size(), total);

  // Local kinds alternate in catalog order, a whole-model site every
  // fourth place: channels, activation, channels | dtype(*) | activation,
  // channels, activation | spatial | ...
  std::vector<std::string> kinds;
  for (size_t i = 0; i < 8; ++i)
    kinds.push_back(p[i].kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"set_channels", "set_activation",
                                             "set_channels", "set_dtype",
                                             "set_activation", "set_channels",
                                             "set_activation", "set_spatial"}));
  // One value of each channel site before a second value of any.
  std::set<std::string> firstChannelLayers;
  for (size_t i = 0, n = 0; n < 4; ++i)
    if (p[i].kind == "set_channels") {
      EXPECT_TRUE(firstChannelLayers.insert(p[i].layer).second) << p[i].layer;
      ++n;
    }
}

TEST(NeighborhoodStrategyTest, OrderIsSeeded) {
  std::vector<MutationSite> sites = syntheticCatalog();
  Rng r1(5), r2(5), r3(6);
  std::vector<MutationSpec> p1 = proposeNeighborhoodMutations(sites, r1);
  EXPECT_EQ(p1, proposeNeighborhoodMutations(sites, r2));
  EXPECT_NE(p1, proposeNeighborhoodMutations(sites, r3));
}

TEST(NeighborhoodStrategyTest, SelectKindsKeepsThoseNamedAndNamesTheOthers) {
  std::vector<MutationSite> sites = syntheticCatalog();
  StatusOr<std::vector<MutationSite>> all = selectKinds(sites, {});
  ASSERT_TRUE(all.isOk());
  EXPECT_EQ(all->size(), sites.size());
  StatusOr<std::vector<MutationSite>> some =
      selectKinds(sites, {"set_spatial", "set_activation"});
  ASSERT_TRUE(some.isOk());
  ASSERT_EQ(some->size(), 3u);
  for (const MutationSite &site : *some)
    EXPECT_TRUE(site.kind == "set_spatial" || site.kind == "set_activation");
  StatusOr<std::vector<MutationSite>> bad = selectKinds(sites, {"set_heads"});
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find(
                "no set_heads site (its kinds: set_channels, set_activation, "
                "set_dtype, set_spatial)"),
            std::string::npos)
      << bad.status().message();
}

/// Checks every proposal against its site: an integer site's value is one
/// of its reference's alignment classes, in range and a candidate.
void expectValuesValid(const std::vector<MutationSite> &sites,
                       const std::vector<MutationSpec> &proposals) {
  std::map<std::pair<std::string, std::string>, const MutationSite *> byKey;
  for (const MutationSite &site : sites)
    byKey[{site.kind, site.layer}] = &site;
  for (const MutationSpec &m : proposals) {
    auto it = byKey.find({m.kind, m.layer});
    ASSERT_NE(it, byKey.end()) << m.describe();
    const MutationSite &site = *it->second;
    EXPECT_NE(m.value, site.current) << m.describe();
    EXPECT_TRUE(contains(site.candidates, m.value)) << m.describe();
    EXPECT_GE(m.value, site.minValue) << m.describe();
    EXPECT_LE(m.value, site.maxValue) << m.describe();
    if (!site.categorical) {
      EXPECT_TRUE(contains(neighborhoodValues(site.current), m.value))
          << m.describe() << " is no alignment class of " << site.current;
    }
  }
}

std::map<std::string, int> kindCounts(const std::vector<MutationSpec> &p,
                                      size_t n) {
  std::map<std::string, int> counts;
  for (size_t i = 0; i < std::min(n, p.size()); ++i)
    ++counts[p[i].kind];
  return counts;
}

TEST(NeighborhoodStrategyTest, ResNet50FirstTwentyMixKindsAndLayers) {
  testing::Loaded holder = testing::load(kResNet50);
  ASSERT_TRUE(holder.ok) << holder.diagnostics;
  std::vector<MutationSite> sites = enumerateMutationSites(holder.entry);
  for (const MutationSite &site : sites)
    EXPECT_EQ(site.categorical,
              site.kind == "scale_width" || site.kind == "set_activation" ||
                  site.kind == "set_dtype" || site.kind == "move_stride")
        << site.kind;
  Rng rng(1);
  std::vector<MutationSpec> p = proposeNeighborhoodMutations(sites, rng);
  expectValuesValid(sites, p);
  std::map<std::string, int> first = kindCounts(p, 20);
  for (const char *kind : {"set_channels", "scale_width", "set_activation",
                           "set_dtype", "move_stride", "set_kernel"})
    EXPECT_GE(first[kind], 2) << kind;
  std::set<std::string> layers;
  int whole = 0;
  for (size_t i = 0; i < 20; ++i) {
    layers.insert(p[i].layer);
    whole += p[i].layer == "*";
  }
  EXPECT_GE(layers.size(), 14u) << "spread over layers";
  EXPECT_EQ(whole, 5) << "every fourth is whole-model";
  // The whole-model kinds come in turn: set_spatial among the first 20.
  EXPECT_GE(first["set_spatial"], 1);
}

TEST(NeighborhoodStrategyTest, TransformersOfferSeveralKinds) {
  for (const std::string &path : {kBertLarge, kLlamaLayer}) {
    testing::Loaded holder = testing::load(path);
    ASSERT_TRUE(holder.ok) << holder.diagnostics;
    std::vector<MutationSite> sites = enumerateMutationSites(holder.entry);
    Rng rng(1);
    std::vector<MutationSpec> p = proposeNeighborhoodMutations(sites, rng);
    expectValuesValid(sites, p);
    std::map<std::string, int> first = kindCounts(p, 20);
    EXPECT_GE(first.size(), 4u) << path;
    EXPECT_GE(first["set_seq"], 1) << path;
  }
}

} // namespace
} // namespace goodhart
