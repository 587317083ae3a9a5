//===- MemoizationTest.cpp - Reused results name the layer they stand for -===//

#include "generator/cli/Memoization.h"

#include <gtest/gtest.h>

namespace goodhart::cli {
namespace {

TEST(MemoizationTest, RepeatedLayersGetTheirOwnNameInTheRepro) {
  Plan plan;
  for (int64_t id : {0, 1, 2}) {
    Layer layer;
    layer.id = id;
    layer.name = "block" + std::to_string(id) + ".conv";
    layer.hash = id == 1 ? "other" : "same";
    plan.layers.push_back(layer);
  }
  MemoPlan memo;
  memo.toMeasure = {0, 1};
  memo.repeats[2] = 0;
  LayerResult first, second;
  first.id = 0;
  first.repro = "--conv mb1ic8oc8 n\"block0.conv\"";
  second.id = 1;
  second.repro = "--conv mb1ic8oc16 n\"block1.conv\"";
  std::vector<LayerResult> merged = mergeMemoized(plan, memo, {first, second});
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(merged[2].id, 2);
  EXPECT_EQ(merged[2].hash, "same");
  EXPECT_EQ(merged[2].repro, "--conv mb1ic8oc8 n\"block2.conv\"");
  EXPECT_EQ(merged[0].repro, first.repro);
}

} // namespace
} // namespace goodhart::cli
