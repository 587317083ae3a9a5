//===- GenomeTest.cpp - Genomes decode to valid, equivalent variants ------===//

#include "generator/Genome.h"

#include "generator/GenomeMutator.h"
#include "generator/VariantGenerator.h"

#include "../mlir/MlirTestSupport.h"

#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

namespace goodhart {
namespace {

std::unique_ptr<GenomeDecoder> makeDecoder(testing::Loaded &holder) {
  holder = testing::load(testing::kSmallCnn);
  EXPECT_TRUE(holder.ok) << holder.diagnostics;
  auto decoder = GenomeDecoder::create(
      *holder.module, holder.entry.getSymName().str(), LoweringOptions{}, {});
  EXPECT_TRUE(decoder.isOk()) << decoder.status().toString();
  return decoder ? std::move(decoder).value() : nullptr;
}

/// Index of the first site of `kind` on `layer`.
uint16_t siteIndex(const GenomeDecoder &decoder, const std::string &kind,
                   const std::string &layer) {
  const auto &sites = decoder.sites();
  for (size_t i = 0; i < sites.size(); ++i)
    if (sites[i].kind == kind && sites[i].layer == layer)
      return static_cast<uint16_t>(i);
  ADD_FAILURE() << "no " << kind << " site on " << layer;
  return 0;
}

TEST(GenomeTest, BytesRoundTripAndTrailingBytesAreIgnored) {
  std::vector<Gene> genes = {{1, 2}, {0x1234, 0x8001}};
  std::string bytes = serializeGenome(genes);
  ASSERT_EQ(bytes.size(), 8u);
  EXPECT_EQ(static_cast<uint8_t>(bytes[4]), 0x34);
  EXPECT_EQ(static_cast<uint8_t>(bytes[5]), 0x12);
  bytes += "xyz"; // not a whole gene
  EXPECT_EQ(parseGenome(reinterpret_cast<const uint8_t *>(bytes.data()),
                        bytes.size()),
            genes);
  std::string many(4 * (kMaxGenes + 3), '\1');
  EXPECT_EQ(
      parseGenome(reinterpret_cast<const uint8_t *>(many.data()), many.size())
          .size(),
      kMaxGenes);
}

TEST(GenomeTest, GeneValuesIndexCandidatesOrTheRange) {
  std::vector<MutationSite> sites = {
      {"set_channels", "a", 64, {60, 63, 65, 72}, 32, 128},
      {"set_activation", "r", 0, {1, 2, 3, 4}, 0, 4}};
  EXPECT_EQ(geneSpec({0, 2}, sites)->describe(), "set_channels(a, 65)");
  EXPECT_EQ(geneSpec({2, 6}, sites)->describe(), "set_channels(a, 65)")
      << "site and candidate are taken modulo their counts";
  EXPECT_EQ(geneSpec({0, kRangeBit | 3}, sites)->describe(),
            "set_channels(a, 35)");
  EXPECT_FALSE(geneSpec({0, kRangeBit | 32}, sites))
      << "32 + 32 = 64 is the current value: the gene changes nothing";
  EXPECT_EQ(geneSpec({1, 1}, sites)->describe(), "set_activation(r, silu)");
  EXPECT_FALSE(geneSpec({0, 0}, {}));
}

TEST(GenomeTest, DecodesToTheVariantItNames) {
  testing::Loaded holder;
  auto decoder = makeDecoder(holder);
  ASSERT_TRUE(decoder);
  DecodedVariant reference = decoder->decode({});
  EXPECT_TRUE(reference.isReference());
  EXPECT_EQ(reference.canonicalHash, decoder->referenceHash());
  EXPECT_TRUE(reference.changedLayers.empty());

  uint16_t conv1 = siteIndex(*decoder, "set_channels", "block1.conv1");
  const MutationSite &site = decoder->sites()[conv1];
  // 64 -> 65: the third candidate (62, 63, 65, ...).
  auto it = std::find(site.candidates.begin(), site.candidates.end(), 65);
  ASSERT_NE(it, site.candidates.end());
  uint16_t index = static_cast<uint16_t>(it - site.candidates.begin());
  DecodedVariant variant = decoder->decode({{conv1, index}});
  ASSERT_EQ(variant.mutations.size(), 1u);
  EXPECT_EQ(variant.mutations[0].describe(), "set_channels(block1.conv1, 65)");
  EXPECT_NE(variant.canonicalHash, decoder->referenceHash());
  EXPECT_TRUE(std::count(variant.changedLayers.begin(),
                         variant.changedLayers.end(), "block1.conv1"));
  EXPECT_TRUE(mlir::succeeded(mlir::verify(*variant.module)));
}

TEST(GenomeTest, GenesThatBreakEquivalenceAreDroppedWithTheReason) {
  testing::Loaded holder;
  auto decoder = makeDecoder(holder);
  ASSERT_TRUE(decoder);
  // The whole model at 80% width is far outside +-10% FLOPs.
  uint16_t all = siteIndex(*decoder, "scale_width", "*");
  uint16_t relu = siteIndex(*decoder, "set_activation", "block1.relu1");
  DecodedVariant variant =
      decoder->decode({{all, kRangeBit | 0}, {relu, 1 /* silu */}});
  ASSERT_EQ(variant.mutations.size(), 1u);
  EXPECT_EQ(variant.mutations[0].describe(),
            "set_activation(block1.relu1, silu)");
  ASSERT_EQ(variant.dropped.size(), 1u);
  EXPECT_NE(variant.dropped[0].find("scale_width(*, 80)"), std::string::npos)
      << variant.dropped[0];
  EXPECT_NE(variant.dropped[0].find("FLOPs ratio"), std::string::npos)
      << variant.dropped[0];
  EXPECT_EQ(variant.genes, (std::vector<Gene>{{relu, 1}}));
}

TEST(GenomeTest, EveryByteStringDecodesToAnEquivalentVariant) {
  testing::Loaded holder;
  auto decoder = makeDecoder(holder);
  ASSERT_TRUE(decoder);
  Rng rng(7);
  int mutated = 0;
  for (int round = 0; round < 60; ++round) {
    std::string bytes(static_cast<size_t>(rng.uniformInt(0, 20)), '\0');
    for (char &c : bytes)
      c = static_cast<char>(rng.uniformInt(0, 255));
    DecodedVariant variant = decoder->decode(parseGenome(
        reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()));
    EXPECT_EQ(checkEquivalence(decoder->referencePlan(), variant.plan, {}), "")
        << round;
    EXPECT_TRUE(mlir::succeeded(mlir::verify(*variant.module))) << round;
    // The effective genes are canonical: decoding them again drops nothing
    // and gives the same plan.
    DecodedVariant again = decoder->decode(variant.genes);
    EXPECT_TRUE(again.dropped.empty()) << round;
    EXPECT_EQ(again.canonicalHash, variant.canonicalHash) << round;
    mutated += !variant.isReference();
  }
  EXPECT_GT(mutated, 20) << "most random genomes change something";
}

TEST(GenomeTest, EditsAreSeededAndStayWithinBounds) {
  testing::Loaded holder;
  auto decoder = makeDecoder(holder);
  ASSERT_TRUE(decoder);
  const auto &sites = decoder->sites();
  auto run = [&](uint64_t seed) {
    Rng rng(seed);
    std::vector<Gene> genes;
    std::vector<std::vector<Gene>> history;
    for (int i = 0; i < 200; ++i) {
      mutateGenes(genes, sites, rng, 4);
      EXPECT_FALSE(genes.empty());
      EXPECT_LE(genes.size(), 4u);
      history.push_back(genes);
    }
    return history;
  };
  EXPECT_EQ(run(3), run(3));
  EXPECT_NE(run(3), run(4));

  Rng rng(5);
  std::vector<Gene> a = {{1, 1}, {2, 2}, {3, 3}}, b = {{4, 4}, {5, 5}};
  for (int i = 0; i < 50; ++i) {
    std::vector<Gene> child = crossOverGenes(a, b, rng, 4);
    EXPECT_FALSE(child.empty());
    EXPECT_LE(child.size(), 4u);
    for (const Gene &gene : child)
      EXPECT_TRUE(std::count(a.begin(), a.end(), gene) ||
                  std::count(b.begin(), b.end(), gene));
  }
}

} // namespace
} // namespace goodhart
