//===- KernelMutationTest.cpp - Changing a convolution's kernel size ------===//

#include "mlir/Accounting.h"
#include "mlir/Mutations.h"
#include "mlir/PlanLowering.h"

#include "MlirTestSupport.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Verifier.h"

namespace goodhart {
namespace {

const std::string kResNet50 =
    std::string(GOODHART_SOURCE_DIR) + "/corpus/resnet50.mlir";

mlir::Operation *layer(mlir::func::FuncOp func, const std::string &name) {
  for (auto &[op, layerName] : assignLayerNames(func))
    if (layerName == name)
      return op;
  return nullptr;
}

llvm::SmallVector<int64_t> shape(mlir::Value v) {
  return llvm::to_vector(
      llvm::cast<mlir::RankedTensorType>(v.getType()).getShape());
}

const KernelSite *siteOf(const std::vector<KernelSite> &sites,
                         const std::string &name) {
  for (const KernelSite &site : sites)
    if (site.layerName == name)
      return &site;
  return nullptr;
}

TEST(KernelMutationTest, SmallCnnSitesAndTheirCompensation) {
  testing::Loaded m = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(m.ok) << m.diagnostics;
  std::vector<KernelSite> sites = findKernelSites(m.entry);
  ASSERT_EQ(sites.size(), 4u);
  EXPECT_EQ(sites[0].layerName, "block1.conv1");
  EXPECT_EQ(sites[0].kernel, 3);
  EXPECT_EQ(sites[0].channels, 64);
  EXPECT_EQ(sites[0].producer, "");
  // conv2's outputs are tied to the model's input by the residual add:
  // conv1's channels compensate.
  EXPECT_EQ(sites[1].layerName, "block1.conv2");
  EXPECT_EQ(sites[1].producer, "block1.conv1");
  EXPECT_EQ(sites[1].channels, 64);
  EXPECT_EQ(sites[2].layerName, "down.conv");
  EXPECT_EQ(sites[3].layerName, "expand.conv");
  EXPECT_EQ(sites[3].kernel, 1);
}

TEST(KernelMutationTest, SmallCnnConv1To5x5Gets23Channels) {
  testing::Loaded ref = testing::load(testing::kSmallCnn);
  testing::Loaded m = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(ref.ok && m.ok) << m.diagnostics;
  ASSERT_TRUE(mlir::succeeded(setKernel(m.entry, "block1.conv1", 5)));
  ASSERT_TRUE(mlir::succeeded(mlir::verify(m.entry)));

  auto conv1 = llvm::cast<mlir::tosa::Conv2DOp>(layer(m.entry, "block1.conv1"));
  auto conv2 = llvm::cast<mlir::tosa::Conv2DOp>(layer(m.entry, "block1.conv2"));
  // 64 * 9 / 25 = 23.04 -> 23; 56x56 kept with padding 2.
  EXPECT_EQ(shape(conv1.getWeight()),
            (llvm::SmallVector<int64_t>{23, 5, 5, 64}));
  EXPECT_EQ(shape(conv1.getResult()),
            (llvm::SmallVector<int64_t>{1, 56, 56, 23}));
  EXPECT_EQ(llvm::to_vector(conv1.getPad()),
            (llvm::SmallVector<int64_t>{2, 2, 2, 2}));
  EXPECT_EQ(shape(conv2.getWeight()),
            (llvm::SmallVector<int64_t>{64, 3, 3, 23}));

  // FLOPs by hand (2 a MAC, padding taps not counted): 3x3 on 56 with
  // padding 1 has 56 * 3 - 2 = 166 valid taps a dimension, 5x5 with
  // padding 2 has 56 * 5 - 2 * (2 + 1) = 274. 23 x 274^2 vs 64 x 166^2
  // input-channel MACs: within 2.1% (575 vs 576 without padding).
  EXPECT_EQ(computeOpCost(layer(ref.entry, "block1.conv1")).flops,
            int64_t{2} * 166 * 166 * 64 * 64);
  EXPECT_EQ(computeOpCost(conv1).flops, int64_t{2} * 274 * 274 * 23 * 64);

  mlir::FailureOr<Plan> refPlan = lowerToPlan(ref.entry, {});
  mlir::FailureOr<Plan> plan = lowerToPlan(m.entry, {});
  ASSERT_TRUE(mlir::succeeded(refPlan) && mlir::succeeded(plan));
  EXPECT_EQ(plan->layers.size(), refPlan->layers.size());
}

TEST(KernelMutationTest, TiedOutputsCompensateThroughTheProducer) {
  testing::Loaded m = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(m.ok) << m.diagnostics;
  ASSERT_TRUE(mlir::succeeded(setKernel(m.entry, "block1.conv2", 1)));
  auto conv1 = llvm::cast<mlir::tosa::Conv2DOp>(layer(m.entry, "block1.conv1"));
  auto conv2 = llvm::cast<mlir::tosa::Conv2DOp>(layer(m.entry, "block1.conv2"));
  // 64 * 9 / 1 = 576 input channels; conv2's 64 outputs stay (residual).
  EXPECT_EQ(shape(conv1.getWeight()),
            (llvm::SmallVector<int64_t>{576, 3, 3, 64}));
  EXPECT_EQ(shape(conv2.getWeight()),
            (llvm::SmallVector<int64_t>{64, 1, 1, 576}));
  EXPECT_EQ(llvm::to_vector(conv2.getPad()),
            (llvm::SmallVector<int64_t>{0, 0, 0, 0}));
  EXPECT_EQ(shape(conv2.getResult()),
            (llvm::SmallVector<int64_t>{1, 56, 56, 64}));
}

TEST(KernelMutationTest, StridedKernelsPadTheExporterWay) {
  testing::Loaded m = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(m.ok) << m.diagnostics;
  ASSERT_TRUE(mlir::succeeded(setKernel(m.entry, "down.conv", 5)));
  auto down = llvm::cast<mlir::tosa::Conv2DOp>(layer(m.entry, "down.conv"));
  // (56 - 1 + 2 + 1 - 4) / 2 + 1 = 28; 128 * 9 / 25 = 46.08 -> 46.
  EXPECT_EQ(llvm::to_vector(down.getPad()),
            (llvm::SmallVector<int64_t>{2, 1, 2, 1}));
  EXPECT_EQ(shape(down.getResult()),
            (llvm::SmallVector<int64_t>{1, 28, 28, 46}));

  testing::Loaded one = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(one.ok);
  ASSERT_TRUE(mlir::succeeded(setKernel(one.entry, "down.conv", 1)));
  auto down1 = llvm::cast<mlir::tosa::Conv2DOp>(layer(one.entry, "down.conv"));
  // A 1x1 stride-2 window on 56 needs the input sliced to 55.
  EXPECT_EQ(shape(down1.getInput()),
            (llvm::SmallVector<int64_t>{1, 55, 55, 64}));
  EXPECT_TRUE(down1.getInput().getDefiningOp<mlir::tosa::SliceOp>());
  EXPECT_EQ(shape(down1.getResult()),
            (llvm::SmallVector<int64_t>{1, 28, 28, 1152}));
}

TEST(KernelMutationTest, ResNetShortcutOfAResidualIsRefused) {
  testing::Loaded m = testing::load(kResNet50);
  ASSERT_TRUE(m.ok) << m.diagnostics;
  std::vector<KernelSite> sites = findKernelSites(m.entry);
  // Its outputs join the residual; its input is layer1's residual stream.
  EXPECT_EQ(siteOf(sites, "layer2.0.downsample"), nullptr);
  // A bottleneck's conv3 compensates through conv2.
  const KernelSite *conv3 = siteOf(sites, "layer2.1.conv3");
  ASSERT_NE(conv3, nullptr);
  EXPECT_EQ(conv3->producer, "layer2.1.conv2");
  ASSERT_NE(siteOf(sites, "conv1"), nullptr);
  EXPECT_EQ(siteOf(sites, "conv1")->kernel, 7);

  std::string messages;
  mlir::ScopedDiagnosticHandler handler(m.context.get(),
                                        [&](mlir::Diagnostic &d) {
                                          messages += d.str() + "\n";
                                          return mlir::success();
                                        });
  EXPECT_TRUE(mlir::failed(setKernel(m.entry, "layer2.0.downsample", 3)));
  EXPECT_NE(messages.find("is layer 'layer2.0.downsample': its output "
                          "channels are tied to a residual"),
            std::string::npos)
      << messages;
  EXPECT_TRUE(mlir::failed(setKernel(m.entry, "layer2.0.relu1", 3)));
  EXPECT_NE(messages.find("not a tosa.conv2d"), std::string::npos) << messages;
  EXPECT_TRUE(mlir::succeeded(mlir::verify(m.entry)));
}

} // namespace
} // namespace goodhart
