//===- VariantGeneratorTest.cpp - Equivalent variants, deterministically --===//

#include "generator/VariantGenerator.h"

#include "../mlir/MlirTestSupport.h"

#include "mlir/PlanLowering.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace goodhart {
namespace {

StatusOr<Generation> generate(const GeneratorOptions &options,
                              testing::Loaded &holder) {
  holder = testing::load(testing::kSmallCnn);
  EXPECT_TRUE(holder.ok) << holder.diagnostics;
  return generateVariants(*holder.module, holder.entry, options);
}

TEST(VariantGeneratorTest, SameSeedSameVariants) {
  GeneratorOptions options;
  options.count = 5;
  options.seed = 11;
  testing::Loaded a, b;
  auto first = generate(options, a);
  auto second = generate(options, b);
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  ASSERT_TRUE(second.isOk());
  ASSERT_EQ(first->variants.size(), 5u);
  EXPECT_EQ(manifestToJson(*first), manifestToJson(*second));
  for (size_t i = 0; i < 5; ++i)
    EXPECT_EQ(first->variants[i].mlirText, second->variants[i].mlirText);
  options.seed = 12;
  testing::Loaded c;
  auto other = generate(options, c);
  ASSERT_TRUE(other.isOk());
  EXPECT_NE(manifestToJson(*first), manifestToJson(*other));
}

TEST(VariantGeneratorTest, VariantsAreEquivalentDistinctAndRecorded) {
  GeneratorOptions options;
  options.count = 8;
  testing::Loaded holder;
  auto gen = generate(options, holder);
  ASSERT_TRUE(gen.isOk());
  const Plan &ref = gen->reference.plan;
  std::set<std::string> hashes{gen->reference.canonicalHash};
  for (const Variant &v : gen->variants) {
    EXPECT_EQ(v.plan.layers.size(), ref.layers.size());
    EXPECT_LE(std::abs(v.flopRatio - 1), options.flopTolerance) << v.id;
    EXPECT_LE(std::abs(v.paramRatio - 1), options.paramTolerance) << v.id;
    EXPECT_TRUE(hashes.insert(v.canonicalHash).second) << "duplicate " << v.id;
    ASSERT_EQ(v.mutations.size(), 1u);
    EXPECT_FALSE(v.changedLayers.empty());
    EXPECT_EQ(v.plan.metadata["seed"], options.seed);
    EXPECT_EQ(v.plan.metadata["mutations"][0], v.mutations[0].describe());
    EXPECT_EQ(v.plan.variant, v.id);
    EXPECT_TRUE(v.mlirText.rfind("// goodhart variant " + v.id, 0) == 0);
  }
  // Large changes (64 -> 128 on a 3x3 convolution) break the FLOP budget.
  bool rejectedForFlops = false;
  for (const auto &[what, why] : gen->rejected)
    rejectedForFlops |= why.find("FLOPs ratio") != std::string::npos;
  EXPECT_TRUE(rejectedForFlops);
}

TEST(VariantGeneratorTest, VariantTextParsesBackToTheSamePlan) {
  GeneratorOptions options;
  options.count = 1;
  testing::Loaded holder;
  auto gen = generate(options, holder);
  ASSERT_TRUE(gen.isOk());
  std::string path =
      testing::writeTemp("variant.mlir", gen->variants[0].mlirText);
  testing::Loaded again = testing::load(path);
  ASSERT_TRUE(again.ok) << again.diagnostics;
  mlir::FailureOr<Plan> plan = lowerToPlan(again.entry, {});
  ASSERT_TRUE(mlir::succeeded(plan));
  EXPECT_EQ(canonicalPlanHash(*plan), gen->variants[0].canonicalHash);
  EXPECT_EQ(plan->layers[0].name, "block1.conv1") << "names survive";
}

TEST(VariantGeneratorTest, ImpossibleConstraintsSayHowCloseTheyCame) {
  GeneratorOptions options;
  options.flopTolerance = 1e-6;
  options.paramTolerance = 1e-6;
  testing::Loaded holder;
  auto gen = generate(options, holder);
  ASSERT_FALSE(gen.isOk());
  EXPECT_NE(gen.status().message().find("equivalence constraints"),
            std::string::npos);
  EXPECT_NE(gen.status().message().find("closest FLOPs ratio reached"),
            std::string::npos)
      << gen.status().message();
}

TEST(VariantGeneratorTest, UnknownStrategyIsAnError) {
  GeneratorOptions options;
  options.strategy = "genetic";
  testing::Loaded holder;
  auto gen = generate(options, holder);
  ASSERT_FALSE(gen.isOk());
  EXPECT_NE(gen.status().message().find("unknown strategy 'genetic'"),
            std::string::npos);
}

} // namespace
} // namespace goodhart
