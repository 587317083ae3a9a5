//===- VariantGeneratorTest.cpp - Equivalent variants, deterministically --===//

#include "generator/VariantGenerator.h"

#include "../mlir/MlirTestSupport.h"

#include "mlir/PlanLowering.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
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
  ASSERT_EQ(first->variants.size(), 7u) << "5 and 2 identity variants";
  EXPECT_EQ(manifestToJson(*first), manifestToJson(*second));
  for (size_t i = 0; i < 7; ++i)
    EXPECT_EQ(first->variants[i].mlirText, second->variants[i].mlirText);
  // Neighborhood reaches every kind: not five channel variants.
  std::set<std::string> kinds;
  for (const Variant &v : first->variants)
    kinds.insert(v.mutations[0].kind);
  EXPECT_GE(kinds.size(), 4u);
  options.seed = 12;
  testing::Loaded c;
  auto other = generate(options, c);
  ASSERT_TRUE(other.isOk());
  EXPECT_NE(manifestToJson(*first), manifestToJson(*other));
}

TEST(VariantGeneratorTest, NeighborhoodOnResNet50MixesKindsAndLayers) {
  GeneratorOptions options;
  options.count = 20;
  options.identityCount = 0;
  testing::Loaded holder =
      testing::load(std::string(GOODHART_SOURCE_DIR) + "/corpus/resnet50.mlir");
  ASSERT_TRUE(holder.ok) << holder.diagnostics;
  auto gen = generateVariants(*holder.module, holder.entry, options);
  ASSERT_TRUE(gen.isOk()) << gen.status().toString();
  ASSERT_EQ(gen->variants.size(), 20u);
  std::map<std::string, int> kinds;
  std::set<std::string> layers;
  int whole = 0;
  for (const Variant &v : gen->variants) {
    ++kinds[v.mutations[0].kind];
    layers.insert(v.mutations[0].layer);
    whole += v.mutations[0].layer == "*";
    EXPECT_LE(std::abs(v.flopRatio - 1), options.flopTolerance) << v.id;
  }
  EXPECT_GE(kinds.size(), 5u);
  for (const auto &[kind, n] : kinds)
    EXPECT_LE(n, 6) << kind << ": no kind takes the lion's share";
  EXPECT_GE(layers.size(), 12u);
  EXPECT_LE(whole, 6) << "whole-model variants are measured in full: capped";
}

TEST(VariantGeneratorTest, KindsRestrictTheProposals) {
  GeneratorOptions options;
  options.count = 4;
  options.kinds = {"set_activation", "set_dtype"};
  testing::Loaded holder;
  auto gen = generate(options, holder);
  ASSERT_TRUE(gen.isOk()) << gen.status().toString();
  ASSERT_EQ(gen->variants.size(), 6u);
  std::set<std::string> seen;
  for (const Variant &v : gen->variants)
    seen.insert(v.mutations[0].kind);
  EXPECT_EQ(seen,
            (std::set<std::string>{"set_activation", "set_dtype", "identity"}));
  EXPECT_EQ(manifestToJson(*gen)["kinds"],
            nlohmann::json({"set_activation", "set_dtype"}));

  options.strategy = "random";
  options.kinds = {"set_dtype"};
  testing::Loaded r;
  auto random = generate(options, r);
  ASSERT_TRUE(random.isOk()) << random.status().toString();
  for (const Variant &v : random->variants)
    EXPECT_TRUE(v.mutations[0].kind == "set_dtype" ||
                v.mutations[0].kind == "identity")
        << v.mutations[0].describe();

  options.strategy = "neighborhood";
  options.kinds = {"set_heads"};
  testing::Loaded h;
  auto none = generate(options, h);
  ASSERT_FALSE(none.isOk());
  EXPECT_NE(none.status().message().find("--kinds: the model has no "
                                         "set_heads site (its kinds: "
                                         "set_channels, "),
            std::string::npos)
      << none.status().message();

  options.strategy = "grid";
  options.grid = {"set_channels:block1.conv1=60"};
  testing::Loaded g;
  auto grid = generate(options, g);
  ASSERT_FALSE(grid.isOk());
  EXPECT_NE(grid.status().message().find("--kinds applies to neighborhood"),
            std::string::npos);
}

TEST(VariantGeneratorTest, TypesTheBackendCannotComputeInAreRejected) {
  // The runner said it computes in f32 and bf16 only (a CPU without
  // avx512_fp16): set_dtype to f16 is no variant, and says why.
  GeneratorOptions options;
  options.count = 8;
  options.kinds = {"set_dtype"};
  options.dtypes = {"f32", "bf16", "i32", "i8"};
  testing::Loaded holder;
  auto gen = generate(options, holder);
  ASSERT_TRUE(gen.isOk()) << gen.status().toString();
  int bf16 = 0;
  for (const Variant &v : gen->variants)
    for (const MutationSpec &m : v.mutations) {
      EXPECT_EQ(m.describe().find(", f16)"), std::string::npos) << m.describe();
      bf16 += m.describe().find(", bf16)") != std::string::npos;
    }
  EXPECT_GT(bf16, 0);
  int refused = 0;
  for (const auto &[what, why] : gen->rejected)
    if (what.find(", f16)") != std::string::npos) {
      ++refused;
      EXPECT_EQ(why, "the backend does not compute in f16 on this machine "
                     "(its runner reports f32, bf16, i32, i8)");
    }
  EXPECT_GT(refused, 0);
  // Without the runner's list every type is proposed.
  options.dtypes.clear();
  testing::Loaded any;
  auto all = generate(options, any);
  ASSERT_TRUE(all.isOk());
  bool f16 = false;
  for (const Variant &v : all->variants)
    f16 |= v.mutations[0].describe().find(", f16)") != std::string::npos;
  EXPECT_TRUE(f16);
  // Retyping the reference itself to such a type is an error.
  options.dtypes = {"f32", "bf16"};
  options.dtype = "f16";
  testing::Loaded retyped;
  auto bad = generate(options, retyped);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message(),
            "--dtype f16: the backend does not compute in it on this machine "
            "(its runner reports f32, bf16)");
}

TEST(VariantGeneratorTest, VariantsAreEquivalentDistinctAndRecorded) {
  GeneratorOptions options;
  options.count = 8;
  testing::Loaded holder;
  auto gen = generate(options, holder);
  ASSERT_TRUE(gen.isOk());
  const Plan &ref = gen->reference.plan;
  std::set<std::string> hashes{gen->reference.canonicalHash};
  auto nonCasts = [](const Plan &plan) {
    return std::count_if(
        plan.layers.begin(), plan.layers.end(),
        [](const Layer &l) { return l.kind != LayerKind::kCast; });
  };
  for (const Variant &v : gen->variants) {
    // A one-layer set_dtype adds casts.
    EXPECT_EQ(nonCasts(v.plan), nonCasts(ref));
    EXPECT_LE(std::abs(v.flopRatio - 1), options.flopTolerance) << v.id;
    EXPECT_LE(std::abs(v.paramRatio - 1), options.paramTolerance) << v.id;
    ASSERT_EQ(v.mutations.size(), 1u);
    if (v.mutations[0].kind == "identity") {
      EXPECT_EQ(v.canonicalHash, gen->reference.canonicalHash) << v.id;
      EXPECT_TRUE(v.changedLayers.empty()) << v.id;
    } else {
      EXPECT_TRUE(hashes.insert(v.canonicalHash).second)
          << "duplicate " << v.id;
      EXPECT_FALSE(v.changedLayers.empty());
    }
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
  // Activation swaps keep FLOPs and parameters: only sizes can miss.
  options.kinds = {"set_channels"};
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

std::vector<std::string> kinds(const Generation &gen) {
  std::vector<std::string> out;
  for (const Variant &v : gen.variants)
    for (const MutationSpec &m : v.mutations)
      out.push_back(m.kind);
  return out;
}

TEST(VariantGeneratorTest, IdentityVariantsAreTheControlGroup) {
  GeneratorOptions options;
  options.count = 3;
  testing::Loaded holder;
  auto gen = generate(options, holder);
  ASSERT_TRUE(gen.isOk()) << gen.status().toString();
  ASSERT_EQ(gen->variants.size(), 5u);
  std::set<std::string> refNames;
  for (const Layer &layer : gen->reference.plan.layers)
    refNames.insert(layer.name);
  for (size_t i = 3; i < 5; ++i) {
    const Variant &v = gen->variants[i];
    ASSERT_EQ(v.mutations.size(), 1u);
    EXPECT_EQ(v.mutations[0].kind, "identity");
    EXPECT_EQ(v.canonicalHash, gen->reference.canonicalHash);
    EXPECT_TRUE(v.changedLayers.empty());
    EXPECT_EQ(v.flopRatio, 1.0);
    EXPECT_EQ(v.mlirText.find("@smallcnn("), std::string::npos)
        << "the function is renamed";
    std::set<std::string> names;
    for (const Layer &layer : v.plan.layers)
      names.insert(layer.name);
    EXPECT_EQ(names, refNames) << "layer names stay mappable";
  }
  EXPECT_NE(gen->variants[3].mlirText, gen->variants[4].mlirText);
  options.identityCount = 0;
  testing::Loaded again;
  auto none = generate(options, again);
  ASSERT_TRUE(none.isOk());
  EXPECT_EQ(none->variants.size(), 3u);
}

TEST(VariantGeneratorTest, RandomStrategyIsSeededAndEquivalent) {
  GeneratorOptions options;
  options.strategy = "random";
  options.count = 12;
  options.seed = 5;
  testing::Loaded a, b, c;
  auto first = generate(options, a);
  auto second = generate(options, b);
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  ASSERT_TRUE(second.isOk());
  ASSERT_EQ(first->variants.size(), 14u);
  EXPECT_EQ(manifestToJson(*first), manifestToJson(*second));
  for (size_t i = 0; i < first->variants.size(); ++i)
    EXPECT_EQ(first->variants[i].mlirText, second->variants[i].mlirText);
  std::vector<std::string> seen = kinds(*first);
  for (const char *kind :
       {"set_channels", "set_activation", "set_dtype", "identity"})
    EXPECT_NE(std::find(seen.begin(), seen.end(), kind), seen.end()) << kind;
  for (const Variant &v : first->variants) {
    EXPECT_LE(std::abs(v.flopRatio - 1), options.flopTolerance) << v.id;
    EXPECT_LE(std::abs(v.paramRatio - 1), options.paramTolerance) << v.id;
  }
  options.seed = 6;
  auto other = generate(options, c);
  ASSERT_TRUE(other.isOk());
  EXPECT_NE(manifestToJson(*first), manifestToJson(*other));
}

TEST(VariantGeneratorTest, GridTriesEveryPointOfTheProduct) {
  GeneratorOptions options;
  options.strategy = "grid";
  options.grid = {"set_channels:block1.conv1=60,62,64,66"};
  testing::Loaded holder;
  auto gen = generate(options, holder);
  ASSERT_TRUE(gen.isOk()) << gen.status().toString();
  ASSERT_EQ(gen->variants.size(), 3u) << "64 is the reference";
  EXPECT_EQ(gen->variants[0].mutations[0].describe(),
            "set_channels(block1.conv1, 60)");
  EXPECT_EQ(gen->variants[2].mutations[0].value, 66);
  ASSERT_EQ(gen->rejected.size(), 1u);
  EXPECT_EQ(gen->rejected[0].second, "duplicate of reference");

  options.grid = {"set_channels:block1.conv1=60,62",
                  "set_activation:block1.relu1=silu,gelu_erf"};
  testing::Loaded a, b;
  auto product = generate(options, a);
  ASSERT_TRUE(product.isOk()) << product.status().toString();
  ASSERT_EQ(product->variants.size(), 4u);
  EXPECT_EQ(
      product->variants[1].mutations,
      (std::vector<MutationSpec>{
          {"set_channels", "block1.conv1", 60},
          *MutationSpec::named("set_activation", "block1.relu1", "gelu_erf")}));
  auto again = generate(options, b);
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(manifestToJson(*product), manifestToJson(*again));
}

TEST(VariantGeneratorTest, BadGridsSayWhatIsWrong) {
  GeneratorOptions options;
  options.strategy = "grid";
  testing::Loaded holder;
  auto none = generate(options, holder);
  ASSERT_FALSE(none.isOk());
  EXPECT_NE(none.status().message().find("at least one --grid"),
            std::string::npos);
  for (const char *bad : {"set_channels=60", "set_channels:=60",
                          "set_channels:conv1=6x", "set_dtype:*=f64"}) {
    options.grid = {bad};
    testing::Loaded h;
    auto gen = generate(options, h);
    ASSERT_FALSE(gen.isOk()) << bad;
    EXPECT_NE(gen.status().message().find(std::string("--grid '") + bad),
              std::string::npos)
        << gen.status().message();
  }
}

} // namespace
} // namespace goodhart
