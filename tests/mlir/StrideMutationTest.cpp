//===- StrideMutationTest.cpp - Moving a block's stride -------------------===//

#include "mlir/Accounting.h"
#include "mlir/Mutations.h"
#include "mlir/PlanLowering.h"

#include "MlirTestSupport.h"

#include "mlir/IR/Verifier.h"

#include <set>

namespace goodhart {
namespace {

const std::string kResNet50 =
    std::string(GOODHART_SOURCE_DIR) + "/corpus/resnet50.mlir";

std::string typeText(mlir::func::FuncOp func) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << func.getFunctionType();
  return text;
}

int64_t layerFlops(mlir::func::FuncOp func, const std::string &name) {
  for (auto &[op, layer] : assignLayerNames(func))
    if (layer == name)
      return computeOpCost(op).flops;
  ADD_FAILURE() << "no layer " << name;
  return 0;
}

TEST(StrideMutationTest, ResNet50DownsamplingBlocksAreTheSites) {
  testing::Loaded m = testing::load(kResNet50);
  ASSERT_TRUE(m.ok) << m.diagnostics;
  std::vector<StrideSite> sites = findStrideSites(m.entry);
  ASSERT_EQ(sites.size(), 3u);
  EXPECT_EQ(sites[0].block, "layer2.0");
  EXPECT_EQ(sites[1].block, "layer3.0");
  EXPECT_EQ(sites[2].block, "layer4.0");
  for (const StrideSite &site : sites) {
    // v1.5: the stride is on the 3x3 conv2 of conv1, conv2, conv3.
    EXPECT_EQ(site.position, 2);
    EXPECT_EQ(site.stride, 2);
    EXPECT_EQ(site.convs, (std::vector<std::string>{site.block + ".conv1",
                                                    site.block + ".conv2",
                                                    site.block + ".conv3"}));
  }
}

TEST(StrideMutationTest, ResNet50Layer2ToV1LowersWithTheSameLayers) {
  testing::Loaded ref = testing::load(kResNet50);
  testing::Loaded m = testing::load(kResNet50);
  ASSERT_TRUE(ref.ok && m.ok) << m.diagnostics;
  mlir::FailureOr<Plan> refPlan = lowerToPlan(ref.entry, {});
  ASSERT_TRUE(mlir::succeeded(refPlan));

  ASSERT_TRUE(mlir::succeeded(moveStride(m.entry, "layer2.0", 1)));
  ASSERT_TRUE(mlir::succeeded(mlir::verify(m.entry)));
  mlir::FailureOr<Plan> plan = lowerToPlan(m.entry, {});
  ASSERT_TRUE(mlir::succeeded(plan));
  // conv1 reads the shortcut's trimmed 55x55 input: no new slice.
  EXPECT_EQ(plan->layers.size(), refPlan->layers.size());
  EXPECT_EQ(typeText(m.entry), typeText(ref.entry));

  // By hand (2 FLOPs a MAC, padding taps not counted). conv1, 1x1
  // 256 -> 128: 56x56 outputs before, 28x28 after.
  EXPECT_EQ(layerFlops(ref.entry, "layer2.0.conv1"), 2 * 56 * 56 * 128 * 256);
  EXPECT_EQ(layerFlops(m.entry, "layer2.0.conv1"), 2 * 28 * 28 * 128 * 256);
  // conv2, 3x3 128 -> 128 with 28x28 outputs. Before: stride 2 on 56 with
  // padding 1 before, 0 after: 27 * 3 + 2 = 83 valid taps per dimension.
  // After: stride 1 on 28 with padding 1 on both sides: 28 * 3 - 2 = 82.
  EXPECT_EQ(layerFlops(ref.entry, "layer2.0.conv2"),
            int64_t{2} * 83 * 83 * 128 * 128);
  EXPECT_EQ(layerFlops(m.entry, "layer2.0.conv2"),
            int64_t{2} * 82 * 82 * 128 * 128);
  // ReLU1 runs at 28x28 too; nothing else changes.
  int64_t delta =
      (2 * 28 * 28 * 128 * 256 - 2 * 56 * 56 * 128 * 256) +
      (int64_t{2} * 82 * 82 * 128 * 128 - int64_t{2} * 83 * 83 * 128 * 128) +
      (layerFlops(m.entry, "layer2.0.relu1") -
       layerFlops(ref.entry, "layer2.0.relu1"));
  EXPECT_EQ(layerFlops(m.entry, "layer2.0.relu1") * 4,
            layerFlops(ref.entry, "layer2.0.relu1"));
  EXPECT_EQ(computeFunctionCost(m.entry).flops,
            computeFunctionCost(ref.entry).flops + delta);
}

TEST(StrideMutationTest, MovingBackRestoresTheReference) {
  testing::Loaded ref = testing::load(kResNet50);
  testing::Loaded m = testing::load(kResNet50);
  ASSERT_TRUE(ref.ok && m.ok) << m.diagnostics;
  for (const char *block : {"layer2.0", "layer3.0", "layer4.0"}) {
    ASSERT_TRUE(mlir::succeeded(moveStride(m.entry, block, 1))) << block;
    ASSERT_TRUE(mlir::succeeded(moveStride(m.entry, block, 2))) << block;
  }
  EXPECT_EQ(computeFunctionCost(m.entry).flops,
            computeFunctionCost(ref.entry).flops);
  mlir::FailureOr<Plan> a = lowerToPlan(ref.entry, {});
  mlir::FailureOr<Plan> b = lowerToPlan(m.entry, {});
  ASSERT_TRUE(mlir::succeeded(a) && mlir::succeeded(b));
  // The same layers; the shortcut's trim may come earlier (moved up for
  // conv1 on the way to v1).
  auto signatures = [](const Plan &plan) {
    std::multiset<std::string> all;
    for (const Layer &l : plan.layers)
      all.insert(layerSignature(plan, l));
    return all;
  };
  EXPECT_EQ(signatures(*a), signatures(*b));
}

TEST(StrideMutationTest, StridingTheExpansionAddsATrim) {
  testing::Loaded m = testing::load(kResNet50);
  ASSERT_TRUE(m.ok) << m.diagnostics;
  size_t before = lowerToPlan(m.entry, {})->layers.size();
  ASSERT_TRUE(mlir::succeeded(moveStride(m.entry, "layer3.0", 3)));
  mlir::FailureOr<Plan> plan = lowerToPlan(m.entry, {});
  ASSERT_TRUE(mlir::succeeded(plan));
  EXPECT_EQ(plan->layers.size(), before + 1);
  bool trimmed = false;
  for (const Layer &l : plan->layers)
    trimmed |= l.name == "layer3.0.conv3.trim" && l.kind == LayerKind::kSlice;
  EXPECT_TRUE(trimmed);
}

TEST(StrideMutationTest, ErrorsNameTheBlock) {
  testing::Loaded m = testing::load(kResNet50);
  ASSERT_TRUE(m.ok) << m.diagnostics;
  std::string messages;
  mlir::ScopedDiagnosticHandler handler(m.context.get(),
                                        [&](mlir::Diagnostic &d) {
                                          messages += d.str() + "\n";
                                          return mlir::success();
                                        });
  EXPECT_TRUE(mlir::failed(moveStride(m.entry, "layer1.0", 1)));
  EXPECT_NE(messages.find("block 'layer1.0' has no chain"), std::string::npos)
      << messages;
  EXPECT_TRUE(mlir::failed(moveStride(m.entry, "layer2.0", 2)));
  EXPECT_NE(messages.find("already has the stride of block 'layer2.0'"),
            std::string::npos)
      << messages;
  EXPECT_TRUE(mlir::failed(moveStride(m.entry, "layer2.0", 0)));
  EXPECT_NE(messages.find("position 0 is not in [1, 3]"), std::string::npos)
      << messages;
  // A refused move leaves the model as it was.
  EXPECT_TRUE(mlir::succeeded(mlir::verify(m.entry)));
}

TEST(StrideMutationTest, SmallCnnHasNoStrideSite) {
  // Its strided conv is alone in its block.
  testing::Loaded m = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(m.ok) << m.diagnostics;
  EXPECT_TRUE(findStrideSites(m.entry).empty());
}

} // namespace
} // namespace goodhart
