//===- ModelZooTest.cpp - Reference models against published figures -----===//

#include "mlir/zoo/ModelZoo.h"

#include "mlir/Mutations.h"
#include "mlir/PlanLowering.h"

#include "MlirTestSupport.h"

#include "mlir/IR/Verifier.h"

#include <algorithm>
#include <set>

namespace goodhart {
namespace {

struct Built {
  std::unique_ptr<mlir::MLIRContext> context = testing::makeContext();
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::func::FuncOp entry;
  Plan plan;
};

Built build(const std::string &name, ZooOptions options = {}) {
  Built b;
  const ZooModel *model = findZooModel(name);
  EXPECT_TRUE(model) << name;
  if (!model)
    return b;
  b.module = buildZooModel(*b.context, *model, options);
  EXPECT_TRUE(b.module) << name;
  if (!b.module)
    return b;
  b.entry = *b.module->getOps<mlir::func::FuncOp>().begin();
  mlir::FailureOr<Plan> plan = lowerToPlan(b.entry, {});
  EXPECT_TRUE(mlir::succeeded(plan));
  b.plan = std::move(*plan);
  return b;
}

/// MACs of the convolutions and the classifier counting padded taps, the
/// way torchvision and fvcore publish them.
int64_t paddedMacs(const Plan &plan) {
  int64_t macs = 0;
  for (const Layer &l : plan.layers) {
    const TensorDesc &out = plan.tensor(l.outputs[0]);
    if (l.kind == LayerKind::kConv2d) {
      const TensorDesc &w = plan.tensor(l.inputs[1]);
      macs += out.numElements() * w.shape[1] * w.shape[2] * w.shape[3];
    } else if (l.kind == LayerKind::kMatMul) {
      macs += out.numElements() * plan.tensor(l.inputs[0]).shape[2];
    }
  }
  return macs;
}

TEST(ModelZooTest, ResNet50MatchesPublishedFigures) {
  Built r = build("resnet50");
  // Published: 25,557,032 with batch norm (gamma, beta per channel). Its
  // convolutions have 64 (stem) + 1,408 + 3,584 + 10,240 + 11,264 = 26,560
  // output channels, so folding replaces 2 x 26,560 parameters by 26,560
  // biases: 25,557,032 - 26,560 = 25,530,472.
  EXPECT_EQ(r.plan.totalParams(), 25557032 - 26560);
  int convs = 0, slices = 0;
  for (const Layer &l : r.plan.layers) {
    convs += l.kind == LayerKind::kConv2d;
    slices += l.kind == LayerKind::kSlice;
  }
  EXPECT_EQ(convs, 53);
  EXPECT_EQ(slices, 3) << "1x1 stride-2 projections on even inputs";
  // Published 4.09 GMACs count padded taps; goodhart's count does not.
  EXPECT_NEAR(paddedMacs(r.plan) / 1e9, 4.09, 0.01);
  EXPECT_LT(r.plan.totalFlops() / 2, paddedMacs(r.plan));
  EXPECT_GT(r.plan.totalFlops() / 2 / 1e9, 3.9);
  EXPECT_EQ(r.plan.tensor(r.plan.outputs[0]).shape,
            std::vector<int64_t>({1, 1000}));
}

TEST(ModelZooTest, MobileNetV2MatchesPublishedFigures) {
  Built m = build("mobilenet_v2");
  // Published: 3,504,872 with batch norm. Each convolution's batch norm has
  // gamma and beta per output channel; folding leaves one bias per channel,
  // so folded parameters + those channels = the published count.
  int64_t bnChannels = 0;
  int depthwise = 0, adds = 0;
  for (const Layer &l : m.plan.layers) {
    if (l.kind == LayerKind::kConv2d) {
      bnChannels += m.plan.tensor(l.outputs[0]).shape[3];
      depthwise += l.attrs["groups"].get<int64_t>() > 1;
    }
    adds += l.kind == LayerKind::kBinary &&
            l.name.find(".add") != std::string::npos;
  }
  EXPECT_EQ(m.plan.totalParams() + bnChannels, 3504872);
  EXPECT_EQ(depthwise, 17);
  EXPECT_EQ(adds, 10) << "residuals where stride is 1 and widths match";
  EXPECT_NEAR(paddedMacs(m.plan) / 1e6, 300.8, 1.0);
  // Expanding a block's input changes the depthwise convolution after it.
  std::vector<ChannelSite> sites = findChannelSites(m.entry);
  for (const ChannelSite &s : sites)
    if (s.layerName == "features.2.conv.0") {
      EXPECT_EQ(s.channels, 96);
      EXPECT_NE(std::find(s.tiedLayers.begin(), s.tiedLayers.end(),
                          "features.2.conv.1"),
                s.tiedLayers.end());
    }
  ASSERT_TRUE(
      mlir::succeeded(setOutputChannels(m.entry, "features.2.conv.0", 100)));
  mlir::FailureOr<Plan> plan = lowerToPlan(m.entry, {});
  ASSERT_TRUE(mlir::succeeded(plan));
  for (const Layer &l : plan->layers)
    if (l.name == "features.2.conv.1")
      EXPECT_EQ(l.attrs["groups"], 100);
}

TEST(ModelZooTest, ResNet50NamesFollowTorchvision) {
  Built r = build("resnet50");
  std::set<std::string> names;
  for (const Layer &l : r.plan.layers)
    names.insert(l.name);
  for (const char *name :
       {"conv1", "maxpool", "layer1.0.conv1", "layer2.0.conv2",
        "layer2.0.downsample", "layer4.2.relu3", "avgpool", "fc"})
    EXPECT_TRUE(names.count(name)) << name;
}

TEST(ModelZooTest, V15PutsTheStrideOnThe3x3) {
  Built r = build("resnet50");
  for (const Layer &l : r.plan.layers) {
    if (l.name == "layer2.0.conv1")
      EXPECT_EQ(l.attrs["stride"], nlohmann::json({1, 1}));
    if (l.name == "layer2.0.conv2")
      EXPECT_EQ(l.attrs["stride"], nlohmann::json({2, 2}));
  }
}

TEST(ModelZooTest, OtherSizesBuild) {
  ZooOptions options;
  options.batch = 2;
  options.resolution = 160;
  options.dtype = "bf16";
  Built r = build("resnet50", options);
  EXPECT_EQ(r.plan.tensor(r.plan.inputs[0]).shape,
            std::vector<int64_t>({2, 160, 160, 3}));
  EXPECT_EQ(r.plan.tensor(r.plan.inputs[0]).dtype, DType::kBF16);
  EXPECT_EQ(r.plan.tensor(r.plan.outputs[0]).shape,
            std::vector<int64_t>({2, 1000}));
  EXPECT_EQ(r.plan.totalParams(), 25557032 - 26560);
}

TEST(ModelZooTest, EveryResNet50ConvolutionIsAMutationSite) {
  Built r = build("resnet50");
  std::vector<ChannelSite> sites = findChannelSites(r.entry);
  EXPECT_EQ(sites.size(), 53u);
  // A bottleneck's last conv is tied to the whole stage by residual adds.
  for (const ChannelSite &s : sites)
    if (s.layerName == "layer3.2.conv3") {
      EXPECT_EQ(s.channels, 1024);
      // 6 blocks x {conv3, add, relu3}, layer3.0.downsample, and the slice
      // before layer4.0.downsample, which keeps channels whole.
      EXPECT_EQ(s.tiedLayers.size(), 6u * 3 + 2);
    }
  ASSERT_TRUE(
      mlir::succeeded(setOutputChannels(r.entry, "layer3.2.conv3", 1000)));
  EXPECT_TRUE(mlir::succeeded(mlir::verify(*r.module)));
}

} // namespace
} // namespace goodhart
