//===- RunComparisonTest.cpp - Two runs of the same plans, compared -------===//

#include "oracle/RunComparison.h"

#include "OracleTestData.h"

#include <gtest/gtest.h>

namespace goodhart {
namespace {

using testing::measured;
using testing::sampleRun;

/// The sample run measured again: run 2 with another library version.
RunData candidateRun() {
  RunData data = sampleRun();
  data.run.id = 2;
  data.run.libraryVersion = "2.7.0";
  return data;
}

VariantRecord &variantOf(RunData &data, const std::string &key) {
  for (VariantRecord &v : data.variants)
    if (v.key == key)
      return v;
  ADD_FAILURE() << "no variant " << key;
  return data.variants.front();
}

/// Sets the median of the conv layer and of the whole model of `key`.
void retime(RunData &data, const std::string &key, double convNs,
            double modelNs, double spread = 0.01) {
  VariantRecord &v = variantOf(data, key);
  v.layers[0].measurement = measured(convNs, spread);
  v.model = ModelResult{measured(modelNs, spread)};
}

const VariantComparison &find(const RunComparison &c, const std::string &key) {
  for (const VariantComparison &v : c.variants)
    if (v.key == key)
      return v;
  ADD_FAILURE() << "no comparison of " << key;
  return c.variants.front();
}

TEST(RunComparisonTest, IdenticalRunsAreClean) {
  RunComparison c = compareRuns(sampleRun(), candidateRun());
  ASSERT_EQ(c.variants.size(), 3u);
  EXPECT_EQ(c.variants[0].key, "reference");
  EXPECT_TRUE(c.variants[0].isReference);
  for (const VariantComparison &v : c.variants) {
    EXPECT_EQ(v.change, Change::kSame) << v.key;
    ASSERT_EQ(v.layers.size(), 2u);
    for (const LayerComparison &l : v.layers)
      EXPECT_EQ(l.change, Change::kSame) << v.key << " " << l.name;
  }
  // v001 is a cliff in both runs: kept, neither new nor fixed.
  EXPECT_EQ(find(c, "v001").cliff, CliffChange::kKept);
  EXPECT_EQ(c.newCliffs(), 0);
  EXPECT_EQ(c.fixedCliffs(), 0);
  EXPECT_TRUE(c.mismatches.empty());
  EXPECT_TRUE(c.benchmarkOnly.evaluated);
  EXPECT_FALSE(c.benchmarkOnly.flagged);
  EXPECT_FALSE(c.failed());
}

TEST(RunComparisonTest, SlowerVariantIsARegression) {
  RunData candidate = candidateRun();
  retime(candidate, "v002", 2000, 2015);
  RunComparison c = compareRuns(sampleRun(), candidate);
  const VariantComparison &v = find(c, "v002");
  EXPECT_EQ(v.change, Change::kSlower);
  EXPECT_NEAR(v.speedup.value, 1515.0 / 2015.0, 1e-9);
  EXPECT_EQ(v.layers[0].change, Change::kSlower);
  EXPECT_EQ(v.layers[1].change, Change::kSame);
  EXPECT_EQ(v.slowerLayers(), 1);
  EXPECT_TRUE(v.regressed());
  EXPECT_EQ(v.cliff, CliffChange::kNone); // 0.75 of the reference
  EXPECT_EQ(c.regressions(), 1);
  EXPECT_FALSE(find(c, "reference").regressed());
  EXPECT_TRUE(c.failed());
}

TEST(RunComparisonTest, EverythingFasterIsAnImprovement) {
  RunData candidate = candidateRun();
  retime(candidate, "reference", 800, 810);
  retime(candidate, "v001", 1625, 1635);
  retime(candidate, "v002", 1200, 1215);
  RunComparison c = compareRuns(sampleRun(), candidate);
  EXPECT_EQ(c.improvements(), 3);
  EXPECT_EQ(c.regressions(), 0);
  EXPECT_TRUE(c.benchmarkOnly.evaluated);
  EXPECT_EQ(c.benchmarkOnly.variants, 2);
  EXPECT_NEAR(c.benchmarkOnly.gap.value, 1, 0.01);
  EXPECT_FALSE(c.benchmarkOnly.flagged);
  EXPECT_FALSE(c.failed());
}

TEST(RunComparisonTest, ReferenceAloneFasterIsBenchmarkOnly) {
  RunData candidate = candidateRun();
  retime(candidate, "reference", 700, 710);
  RunComparison c = compareRuns(sampleRun(), candidate);
  EXPECT_EQ(find(c, "reference").change, Change::kFaster);
  EXPECT_EQ(find(c, "v001").change, Change::kSame);
  EXPECT_EQ(find(c, "v002").change, Change::kSame);
  const BenchmarkOnlyImprovement &b = c.benchmarkOnly;
  ASSERT_TRUE(b.evaluated);
  EXPECT_NEAR(b.reference.value, 1010.0 / 710.0, 1e-9);
  EXPECT_NEAR(b.medianVariants.value, 1, 1e-9);
  EXPECT_GT(b.gap.low, 1 + b.threshold);
  EXPECT_TRUE(b.flagged);
  EXPECT_EQ(c.regressions(), 0);
  EXPECT_TRUE(c.failed());
}

TEST(RunComparisonTest, VariantsFollowingTheReferenceIsNotBenchmarkOnly) {
  // The reference gains 42%, the variants 40%: the gap is within the band.
  RunData candidate = candidateRun();
  retime(candidate, "reference", 700, 710);
  retime(candidate, "v001", 1450, 1458);
  retime(candidate, "v002", 1070, 1082);
  RunComparison c = compareRuns(sampleRun(), candidate);
  EXPECT_EQ(find(c, "reference").change, Change::kFaster);
  EXPECT_FALSE(c.benchmarkOnly.flagged);
  EXPECT_FALSE(c.failed());
}

TEST(RunComparisonTest, NewCliff) {
  RunData candidate = candidateRun();
  retime(candidate, "v002", 3000, 3015);
  RunComparison c = compareRuns(sampleRun(), candidate);
  const VariantComparison &v = find(c, "v002");
  EXPECT_EQ(v.cliff, CliffChange::kNew);
  EXPECT_NEAR(v.relCandidate.value, 1.5 * 1010 / 3015, 1e-9);
  EXPECT_EQ(v.layers[0].cliff, CliffChange::kNew);
  EXPECT_EQ(v.layers[1].cliff, CliffChange::kNone);
  EXPECT_EQ(c.newCliffs(), 2);
  EXPECT_TRUE(v.regressed());
  EXPECT_TRUE(c.failed());
}

TEST(RunComparisonTest, FixedCliff) {
  RunData candidate = candidateRun();
  retime(candidate, "v001", 1015.625, 1025.625);
  RunComparison c = compareRuns(sampleRun(), candidate);
  const VariantComparison &v = find(c, "v001");
  EXPECT_EQ(v.cliff, CliffChange::kFixed);
  EXPECT_EQ(v.layers[0].cliff, CliffChange::kFixed);
  EXPECT_EQ(v.change, Change::kFaster);
  EXPECT_EQ(c.fixedCliffs(), 2);
  EXPECT_EQ(c.newCliffs(), 0);
  EXPECT_FALSE(v.regressed());
  EXPECT_FALSE(c.failed());
}

TEST(RunComparisonTest, IntervalStraddlingTheBandIsAmbiguous) {
  // 4% slower with +-3% spread: the interval crosses 0.95.
  RunData candidate = candidateRun();
  retime(candidate, "v002", 1560, 1575, 0.03);
  RunComparison c = compareRuns(sampleRun(), candidate);
  const VariantComparison &v = find(c, "v002");
  EXPECT_LT(v.speedup.low, 0.95);
  EXPECT_GT(v.speedup.high, 0.95);
  EXPECT_EQ(v.change, Change::kAmbiguous);
  EXPECT_EQ(v.layers[0].change, Change::kAmbiguous);
  EXPECT_FALSE(v.regressed());
  EXPECT_FALSE(c.failed());
}

TEST(RunComparisonTest, NoiseFloorWidensTheLayerBand) {
  // An identity variant whose conv ran 10% slower than the reference's in
  // both runs: the runs' noise floor is 10%, so an 8% slower conv is same.
  RunData baseline = sampleRun();
  VariantRecord identity = testing::variant("v003", 64, 1000000, 1111.1, 10,
                                            1121.1, "brgconv:avx512_core");
  identity.mutations = {"identity"};
  baseline.variants.push_back(identity);
  RunData candidate = candidateRun();
  candidate.variants.push_back(identity);
  retime(candidate, "v002", 1630, 1645);
  RunComparison c = compareRuns(baseline, candidate);
  const LayerComparison &conv = find(c, "v002").layers[0];
  EXPECT_NEAR(conv.threshold, 0.1, 0.001);
  EXPECT_NEAR(conv.speedup.value, 1500.0 / 1630.0, 1e-9);
  EXPECT_EQ(conv.change, Change::kSame);
  OracleOptions fixed;
  fixed.calibrateNoise = false;
  RunComparison uncalibrated = compareRuns(baseline, candidate, fixed);
  EXPECT_EQ(find(uncalibrated, "v002").layers[0].change, Change::kSlower);
}

TEST(RunComparisonTest, LayersThatComputeNothingComparePerByte) {
  // The relu as a copy of 1000 bytes, twice as slow in the candidate.
  RunData baseline = sampleRun(), candidate = candidateRun();
  for (RunData *run : {&baseline, &candidate})
    testing::makeReluACopy(*run);
  variantOf(candidate, "reference").layers[1].measurement = measured(20);
  RunComparison c = compareRuns(baseline, candidate);
  const LayerComparison &copy = find(c, "reference").layers[1];
  EXPECT_TRUE(copy.perByte);
  ASSERT_TRUE(copy.speedup.valid);
  EXPECT_NEAR(copy.speedup.value, 0.5, 1e-9);
  EXPECT_EQ(copy.change, Change::kSlower);
  EXPECT_FALSE(find(c, "reference").layers[0].perByte);
}

TEST(RunComparisonTest, MismatchedRunsAreNamed) {
  RunData baseline = sampleRun();
  baseline.run.options = {{"max_time_ms", 30}, {"min_samples", 3}};
  RunData candidate = candidateRun();
  candidate.run.options = {{"max_time_ms", 1000}, {"min_samples", 3}};
  candidate.run.model = "other";
  variantOf(candidate, "v002").mutations = {"set_channels(conv, 97)"};
  candidate.variants.push_back(
      testing::variant("v009", 80, 1250000, 1250, 12, 1262, "brgconv"));
  baseline.run.runner = {{"runner_version", "0.7.0"}};
  candidate.run.runner = {{"runner_version", "0.8.0"}};
  RunComparison c = compareRuns(baseline, candidate);
  ASSERT_EQ(c.mismatches.size(), 3u);
  EXPECT_EQ(c.mismatches[0].field, "model");
  EXPECT_EQ(c.mismatches[0].candidate, "other");
  // A new runner may time differently: named too.
  EXPECT_EQ(c.mismatches[1].field, "runner_version");
  EXPECT_EQ(c.mismatches[1].baseline, "0.7.0");
  EXPECT_EQ(c.mismatches[1].candidate, "0.8.0");
  EXPECT_EQ(c.mismatches[2].field, "options.max_time_ms");
  EXPECT_EQ(c.mismatches[2].baseline, "30");
  EXPECT_EQ(c.mismatches[2].candidate, "1000");
  ASSERT_EQ(c.variants.size(), 2u); // reference and v001
  EXPECT_EQ(c.onlyInBaseline, std::vector<std::string>{"v002"});
  EXPECT_EQ(c.onlyInCandidate,
            (std::vector<std::string>{"v002 (other mutations)", "v009"}));
}

TEST(RunComparisonTest, LayersMatchByHashThenByName) {
  // The candidate renamed the conv (same problem: matched by its hash) and
  // changed the relu's attributes (another hash: matched by its name).
  RunData candidate = candidateRun();
  VariantRecord &v = variantOf(candidate, "v002");
  v.plan.layers[0].name = "conv_renamed";
  v.plan.layers[1].attrs = {{"op", "clamp"}};
  v.plan.layers[1].hash = computeLayerHash(v.plan, v.plan.layers[1]);
  ASSERT_NE(v.plan.layers[1].hash,
            variantOf(candidate, "v001").plan.layers[1].hash);
  std::swap(v.layers[0], v.layers[1]); // result order does not matter
  RunComparison c = compareRuns(sampleRun(), candidate);
  const VariantComparison &vc = find(c, "v002");
  ASSERT_EQ(vc.layers.size(), 2u);
  EXPECT_EQ(vc.layers[0].name, "conv_renamed");
  EXPECT_EQ(vc.layers[0].baselineId, 0);
  EXPECT_EQ(vc.layers[0].change, Change::kSame);
  EXPECT_EQ(vc.layers[1].name, "relu");
  EXPECT_EQ(vc.layers[1].baselineId, 1);
  EXPECT_TRUE(vc.unmatchedLayers.empty());
  v.plan.layers[1].name = "relu2";
  RunComparison renamed = compareRuns(sampleRun(), candidate);
  EXPECT_EQ(find(renamed, "v002").layers.size(), 1u);
  EXPECT_EQ(find(renamed, "v002").unmatchedLayers,
            (std::vector<std::string>{"relu2 (candidate only)",
                                      "relu (baseline only)"}));
}

TEST(RunComparisonTest, UnmeasuredModelSaysWhy) {
  RunData candidate = candidateRun();
  variantOf(candidate, "v002").model.reset();
  RunComparison c = compareRuns(sampleRun(), candidate);
  const VariantComparison &v = find(c, "v002");
  EXPECT_EQ(v.change, Change::kUnmeasured);
  EXPECT_EQ(v.reason, "not measured in the candidate");
  EXPECT_EQ(v.layers[0].change, Change::kSame);
  EXPECT_FALSE(c.failed());
}

TEST(RunComparisonTest, NewFindingsFailTheComparison) {
  RunData baseline = sampleRun();
  baseline.findings.push_back(
      {0, "v001", "mismatch", int64_t(0), "old", "", ""});
  RunData candidate = candidateRun();
  candidate.findings = baseline.findings;
  candidate.findings.push_back(
      {0, "v002", "crash", std::nullopt, "runner died", "", ""});
  RunComparison c = compareRuns(baseline, candidate);
  ASSERT_EQ(c.newFindings.size(), 1u);
  EXPECT_EQ(c.newFindings[0].kind, "crash");
  EXPECT_TRUE(c.failed());
}

} // namespace
} // namespace goodhart
