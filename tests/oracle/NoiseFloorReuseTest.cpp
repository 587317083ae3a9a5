//===- NoiseFloorReuseTest.cpp - Reused layers are no evidence of noise ---===//
//
// With per-layer memoization a variant's unchanged layer is the reference's
// own measurement copied (rel exactly 1). The noise floor, the run-to-run
// spread of unchanged layers, must count only layers measured again.
//
//===----------------------------------------------------------------------===//

#include "oracle/RelativeThroughput.h"

#include "OracleTestData.h"

#include <gtest/gtest.h>

namespace goodhart {
namespace {

/// The reference plus three variants that repeat its problems, each conv
/// measured again 10% slower (noise), each relu as fast.
RunData runWithUnchangedVariants() {
  RunData run = testing::sampleRun();
  for (const char *key : {"v003", "v004", "v005"})
    run.variants.push_back(testing::variant(key, 64, 1000000, 1100, 10, 1110,
                                            "brgconv:avx512_core"));
  return run;
}

TEST(NoiseFloorReuseTest, LayersMeasuredAgainCount) {
  RunVerdict verdict = judgeRun(runWithUnchangedVariants());
  EXPECT_EQ(verdict.noise.layers, 6);
  EXPECT_NEAR(verdict.noise.floor, 1 - 1000.0 / 1100.0, 1e-12);
  EXPECT_EQ(verdict.noiseByKind["conv2d"].layers, 3);
}

TEST(NoiseFloorReuseTest, ReusedLayersAreLeftOut) {
  RunData run = runWithUnchangedVariants();
  // Memoized: the convs were copied from the reference's row, so they equal
  // it exactly; only the relus were measured again.
  for (VariantRecord &v : run.variants)
    if (!v.isReference &&
        v.plan.layers[0].hash == run.reference()->plan.layers[0].hash) {
      v.layers[0].measurement = run.reference()->layers[0].measurement;
      v.reused[0] = LayerReuse{1, -1};
    }
  RunVerdict verdict = judgeRun(run);
  EXPECT_EQ(verdict.noise.layers, 3);
  EXPECT_EQ(verdict.noiseByKind.count("conv2d"), 0u);
  EXPECT_EQ(verdict.noiseByKind["eltwise"].layers, 3);
  EXPECT_DOUBLE_EQ(verdict.noise.floor, 0);

  // Still reported as unchanged layers, with the reference's measurement.
  for (const VariantVerdict &vv : verdict.variants)
    if (vv.key == "v003") {
      EXPECT_EQ(vv.layers[0].verdict, Verdict::kUnchanged);
      EXPECT_DOUBLE_EQ(vv.layers[0].rel.value, 1);
    }
}

TEST(NoiseFloorReuseTest, AllReusedLeavesNoFloor) {
  RunData run = runWithUnchangedVariants();
  for (VariantRecord &v : run.variants)
    if (!v.isReference && v.key >= "v003") {
      v.reused[0] = LayerReuse{1, -1};
      v.reused[1] = LayerReuse{2, -1};
    }
  RunVerdict verdict = judgeRun(run);
  EXPECT_EQ(verdict.noise.layers, 0);
  EXPECT_TRUE(verdict.noiseByKind.empty());
}

} // namespace
} // namespace goodhart
