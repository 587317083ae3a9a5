//===- AccountingTest.cpp - FLOPs, bytes, parameters against hand figures -===//

#include "mlir/Accounting.h"
#include "mlir/PlanLowering.h"

#include "MlirTestSupport.h"

namespace goodhart {
namespace {

TEST(AccountingTest, ValidTapsExcludePadding) {
  // 3 taps, pad 1, stride 1 over 56: the first and last output lose a tap.
  EXPECT_EQ(countValidTaps(56, 56, 3, 1, 1, 1), 3 * 56 - 2);
  // No padding: every tap valid.
  EXPECT_EQ(countValidTaps(14, 14, 1, 1, 0, 1), 14);
  // 3x3 stride 2 on 56 with pad (1, 0), as exporters write it: output 0
  // covers inputs -1..1 (2 valid), outputs 1..27 cover 2o-1..2o+1 (3 valid).
  EXPECT_EQ(countValidTaps(56, 28, 3, 2, 1, 1), 2 + 27 * 3);
  // Dilation 2, pad 2, kernel 3 over 5 -> 5: taps at o-2, o, o+2.
  // o=0: {0,2} 2; o=1: {1,3} 2; o=2: {0,2,4} 3; o=3: {1,3} 2; o=4: {2,4} 2.
  EXPECT_EQ(countValidTaps(5, 5, 3, 1, 2, 2), 11);
}

struct LayerFigure {
  const char *name;
  int64_t flops;
  int64_t params;
};

TEST(AccountingTest, SmallCnnLayersMatchHandFigures) {
  testing::Loaded model = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(model.ok) << model.diagnostics;
  mlir::FailureOr<Plan> plan = lowerToPlan(model.entry, {});
  ASSERT_TRUE(mlir::succeeded(plan));
  const LayerFigure figures[] = {
      // 2 * OC 64 * IC 64 * (3*56-2)^2 taps; weights 64*3*3*64 + bias 64.
      {"block1.conv1", 2LL * 64 * 64 * 166 * 166, 64 * 9 * 64 + 64},
      {"block1.relu1", 56 * 56 * 64, 0},
      {"block1.conv2", 2LL * 64 * 64 * 166 * 166, 64 * 9 * 64 + 64},
      {"block1.residual", 56 * 56 * 64, 0},
      // stride 2, pad (1,0): 83 taps per dimension (see above).
      {"down.conv", 2LL * 128 * 64 * 83 * 83, 128 * 9 * 64 + 128},
      // 2x2 stride 2 over 28: 28 valid taps per dimension, one op each.
      {"down.maxpool", 128 * 28 * 28, 0},
      {"expand.conv", 2LL * 256 * 128 * 14 * 14, 256 * 128 + 256},
      {"head.avgpool", 256 * 14 * 14, 0},
      {"head.flatten", 0, 0},
      {"head.fc", 2LL * 256 * 1000, 256 * 1000},
      {"head.bias", 1000, 1000},
  };
  for (const LayerFigure &f : figures) {
    auto it = std::find_if(plan->layers.begin(), plan->layers.end(),
                           [&](const Layer &l) { return l.name == f.name; });
    ASSERT_NE(it, plan->layers.end()) << f.name;
    EXPECT_EQ(it->flops, f.flops) << f.name;
    EXPECT_EQ(it->params, f.params) << f.name;
  }
  // conv1 bytes: input 56*56*64, weights 36864, bias 64, output 56*56*64,
  // all f32.
  EXPECT_EQ(plan->layers[0].bytes, 4 * (2 * 56 * 56 * 64 + 36864 + 64));
  EXPECT_EQ(plan->layers[11].bytes, 0) << "a reshape moves nothing";
  OpCost total = computeFunctionCost(model.entry);
  EXPECT_EQ(total.flops, plan->totalFlops());
  EXPECT_EQ(total.params, 437736);
  EXPECT_EQ(plan->totalParams(), 437736);
  EXPECT_EQ(total.bytes, plan->totalBytes());
}

} // namespace
} // namespace goodhart
