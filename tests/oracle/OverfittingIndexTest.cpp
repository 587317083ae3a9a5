//===- OverfittingIndexTest.cpp - The reference against its neighborhood --===//

#include "oracle/OverfittingIndex.h"

#include "OracleTestData.h"
#include "runners/common/Stats.h"

#include <gtest/gtest.h>

#include <random>

namespace goodhart {
namespace {

/// `n` whole-model samples around `ns` with 2% noise, from `seed`.
Measurement noisy(double ns, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, 0.02 * ns);
  Measurement m;
  for (size_t i = 0; i < n; ++i)
    m.samplesNs.push_back(ns + noise(rng));
  m.stats = computeStats(m.samplesNs);
  return m;
}

/// A run whose reference takes `refNs` and whose variants (all with the
/// reference's FLOPs) take `variantNs`, each with `samples` samples.
RunData run(double refNs, const std::vector<double> &variantNs,
            size_t samples = 40) {
  RunData data = testing::sampleRun();
  data.variants.resize(1);
  data.variants[0].model = ModelResult{noisy(refNs, samples, 1)};
  for (size_t i = 0; i < variantNs.size(); ++i) {
    VariantRecord v = testing::variant("v" + std::to_string(i), 64, 1000000,
                                       1000, 10, variantNs[i], "x");
    v.model = ModelResult{noisy(variantNs[i], samples, 100 + i)};
    data.variants.push_back(v);
  }
  return data;
}

TEST(OverfittingIndexTest, ClearlyFasterReferenceIsFlagged) {
  RunData data = run(1000, {1500, 1600, 1450, 1700, 1550});
  RunVerdict v = judgeRun(data);
  const OverfittingIndex &o = v.overfitting;
  ASSERT_TRUE(o.evaluated) << o.reason;
  EXPECT_EQ(o.variants, 5);
  EXPECT_DOUBLE_EQ(o.percentile, 1.0);
  // Same FLOPs: the index is the median variant time over the reference's.
  EXPECT_NEAR(o.index.value, 1.55, 0.03);
  EXPECT_LT(o.index.low, o.index.value);
  EXPECT_GT(o.index.high, o.index.value);
  EXPECT_GT(o.index.low, 1.4);
  EXPECT_TRUE(o.oneShotTuning);
  EXPECT_EQ(o.noiseSource, "unchanged layers");
  // The same seed gives the same interval.
  OverfittingIndex again = judgeRun(data).overfitting;
  EXPECT_EQ(again.index.low, o.index.low);
  EXPECT_EQ(again.index.high, o.index.high);
}

TEST(OverfittingIndexTest, ReferenceInTheMiddleIsNotFlagged) {
  RunData data = run(1000, {900, 950, 1050, 1100, 980, 1020});
  OverfittingIndex o = judgeRun(data).overfitting;
  ASSERT_TRUE(o.evaluated) << o.reason;
  EXPECT_DOUBLE_EQ(o.percentile, 0.5);
  EXPECT_NEAR(o.index.value, 1.0, 0.03);
  EXPECT_LT(o.index.low, 1.0);
  EXPECT_FALSE(o.oneShotTuning);
}

TEST(OverfittingIndexTest, FewerThanThreeVariantsGiveAReason) {
  RunData data = run(1000, {1500, 1600});
  // A third variant that failed does not count.
  data.variants.push_back(
      testing::variant("v9", 64, 1000000, 1000, 10, 1500, "x"));
  data.variants.back().model->measurement.status = ResultStatus::kError;
  OverfittingIndex o = judgeRun(data).overfitting;
  EXPECT_FALSE(o.evaluated);
  EXPECT_FALSE(o.oneShotTuning);
  EXPECT_FALSE(o.index.valid);
  EXPECT_EQ(o.variants, 2);
  EXPECT_EQ(o.reason,
            "not enough variants: 2 measured as a whole model, 3 needed");
}

TEST(OverfittingIndexTest, IdentityVariantsSetTheFloorAndStayOutOfTheMedian) {
  EXPECT_TRUE(isIdentityVariant({"identity(conv, 0)"}));
  EXPECT_TRUE(isIdentityVariant({" identity (relu, 1)"}));
  EXPECT_FALSE(isIdentityVariant({}));
  EXPECT_FALSE(isIdentityVariant({"identity(conv, 0)", "set_channels(c, 65)"}));

  // Variants 12% slower: flagged against the default 5% band...
  RunData data = run(1000, {1120, 1120, 1120, 1120});
  OverfittingIndex plain = judgeRun(data).overfitting;
  ASSERT_TRUE(plain.evaluated);
  EXPECT_TRUE(plain.oneShotTuning);
  // ...but not when rebuilding the reference unchanged moved it by 20%.
  for (double ns : {1200.0, 1010.0}) {
    VariantRecord id = testing::variant("id" + std::to_string(int(ns)), 64,
                                        1000000, 1000, 10, ns, "x");
    id.mutations = {"identity(conv, 0)"};
    id.model = ModelResult{noisy(ns, 40, 7)};
    data.variants.push_back(id);
  }
  OverfittingIndex o = judgeRun(data).overfitting;
  ASSERT_TRUE(o.evaluated);
  EXPECT_EQ(o.variants, 4) << "identity variants are not the neighborhood";
  EXPECT_EQ(o.identityVariants, 2);
  EXPECT_EQ(o.noiseSource, "identity variants");
  EXPECT_NEAR(o.noiseFloor, 1 - 1000.0 / 1200.0, 0.02);
  EXPECT_NEAR(o.index.value, plain.index.value, 1e-12);
  EXPECT_FALSE(o.oneShotTuning);
}

TEST(OverfittingIndexTest, FewSamplesUseTheMediansIntervals) {
  // testing::variant's measurements have 3 samples: no bootstrap.
  RunData data = run(1000, {2000, 2100, 1900}, 3);
  OverfittingIndex o = judgeRun(data).overfitting;
  ASSERT_TRUE(o.evaluated);
  EXPECT_TRUE(o.index.valid);
  EXPECT_LE(o.index.low, o.index.value);
  EXPECT_GE(o.index.high, o.index.value);
  EXPECT_TRUE(o.oneShotTuning);
}

TEST(OverfittingIndexTest, NoReferenceMeasurementNoIndex) {
  RunData data = run(1000, {1500, 1600, 1700});
  data.variants[0].model.reset();
  OverfittingIndex o = judgeRun(data).overfitting;
  EXPECT_FALSE(o.evaluated);
  EXPECT_EQ(o.reason, "the reference's whole model was not measured");
}

} // namespace
} // namespace goodhart
