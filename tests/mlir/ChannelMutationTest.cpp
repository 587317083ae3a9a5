//===- ChannelMutationTest.cpp - Tied dimensions and channel changes ------===//

#include "mlir/DimensionAnalysis.h"
#include "mlir/Mutations.h"
#include "mlir/PlanLowering.h"

#include "MlirTestSupport.h"
#include "TorchStyle.h"

#include "mlir/IR/Verifier.h"

namespace goodhart {
namespace {

const ChannelSite *siteNamed(const std::vector<ChannelSite> &sites,
                             const std::string &name) {
  for (const ChannelSite &s : sites)
    if (s.layerName == name)
      return &s;
  return nullptr;
}

bool contains(const std::vector<std::string> &v, const std::string &s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(DimensionAnalysisTest, ResidualTiesTheBlockInput) {
  testing::Loaded m = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(m.ok);
  DimensionAnalysis analysis(m.entry);
  mlir::Value x = m.entry.getArgument(0);
  mlir::Value w1 = m.entry.getArgument(1);
  mlir::Value w2 = m.entry.getArgument(3);
  // conv2's output channels == x's channels (residual) == conv1's IC.
  EXPECT_TRUE(analysis.tied({x, 3}, {w2, 0}));
  EXPECT_TRUE(analysis.tied({x, 3}, {w1, 3}));
  // conv1's output channels are a class of their own with conv2's IC.
  EXPECT_TRUE(analysis.tied({w1, 0}, {w2, 3}));
  EXPECT_FALSE(analysis.tied({w1, 0}, {x, 3}));
  // Spatial dims are not channel dims.
  EXPECT_FALSE(analysis.tied({x, 1}, {x, 3}));
}

TEST(ChannelMutationTest, FindsEverySiteWithItsTiedLayers) {
  testing::Loaded m = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(m.ok);
  std::vector<ChannelSite> sites = findChannelSites(m.entry);
  ASSERT_EQ(sites.size(), 4u);
  const ChannelSite *conv2 = siteNamed(sites, "block1.conv2");
  ASSERT_TRUE(conv2);
  EXPECT_EQ(conv2->channels, 64);
  EXPECT_TRUE(contains(conv2->tiedLayers, "block1.residual"));
  EXPECT_TRUE(contains(conv2->tiedLayers, "block1.relu2"));
  const ChannelSite *expand = siteNamed(sites, "expand.conv");
  ASSERT_TRUE(expand);
  EXPECT_TRUE(contains(expand->tiedLayers, "head.avgpool"));
  EXPECT_TRUE(contains(expand->tiedLayers, "head.flatten"));
}

TEST(ChannelMutationTest, EverySiteTakesOtherWidths) {
  for (int64_t channels : {63, 65, 96}) {
    for (const char *name :
         {"block1.conv1", "block1.conv2", "down.conv", "expand.conv"}) {
      testing::Loaded m = testing::load(testing::kSmallCnn);
      ASSERT_TRUE(m.ok);
      ASSERT_TRUE(mlir::succeeded(setOutputChannels(m.entry, name, channels)))
          << name << " -> " << channels;
      EXPECT_TRUE(mlir::succeeded(mlir::verify(*m.module)));
      mlir::FailureOr<Plan> plan = lowerToPlan(m.entry, {});
      ASSERT_TRUE(mlir::succeeded(plan)) << name;
      EXPECT_EQ(plan->layers.size(), 14u);
      for (const Layer &l : plan->layers) {
        if (l.name == name) {
          EXPECT_EQ(plan->tensor(l.outputs[0]).shape[3], channels) << name;
        }
      }
    }
  }
}

TEST(ChannelMutationTest, ConsumersFollow) {
  testing::Loaded m = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(m.ok);
  ASSERT_TRUE(mlir::succeeded(setOutputChannels(m.entry, "block1.conv2", 63)));
  auto shape = [&](unsigned arg) {
    return llvm::cast<mlir::RankedTensorType>(
               m.entry.getArgument(arg).getType())
        .getShape()
        .vec();
  };
  EXPECT_EQ(shape(0), std::vector<int64_t>({1, 56, 56, 63})) << "input x";
  EXPECT_EQ(shape(1), std::vector<int64_t>({64, 3, 3, 63})) << "conv1 IC";
  EXPECT_EQ(shape(3), std::vector<int64_t>({63, 3, 3, 64})) << "conv2 OC";
  EXPECT_EQ(shape(4), std::vector<int64_t>({63})) << "conv2 bias";
  EXPECT_EQ(shape(5), std::vector<int64_t>({128, 3, 3, 63})) << "down IC";
  EXPECT_EQ(m.entry.getFunctionType().getInput(0),
            m.entry.getArgument(0).getType())
      << "the signature follows the block arguments";
}

TEST(ChannelMutationTest, ClassifierFollowsThroughTheReshape) {
  testing::Loaded m = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(m.ok);
  ASSERT_TRUE(mlir::succeeded(setOutputChannels(m.entry, "expand.conv", 250)));
  mlir::FailureOr<Plan> plan = lowerToPlan(m.entry, {});
  ASSERT_TRUE(mlir::succeeded(plan));
  EXPECT_EQ(plan->tensor(plan->layers[11].outputs[0]).shape,
            std::vector<int64_t>({1, 1, 250}));
  EXPECT_EQ(plan->tensor(plan->layers[12].inputs[1]).shape,
            std::vector<int64_t>({1, 250, 1000}));
}

TEST(ChannelMutationTest, ConstantWeightsAreRebuilt) {
  std::string path =
      testing::writeTemp("torch_mut.mlir", testing::kTorchStyleModule);
  testing::Loaded m = testing::load(path);
  ASSERT_TRUE(m.ok) << m.diagnostics;
  ASSERT_TRUE(mlir::succeeded(setOutputChannels(m.entry, "conv2d_1", 12)));
  mlir::FailureOr<Plan> plan = lowerToPlan(m.entry, {});
  ASSERT_TRUE(mlir::succeeded(plan));
  EXPECT_EQ(plan->tensor(plan->layers[1].inputs[1]).shape,
            std::vector<int64_t>({12, 3, 3, 3}));
  // 1x4x4x12 flattens to 192 features.
  EXPECT_EQ(plan->tensor(plan->layers[4].inputs[1]).shape,
            std::vector<int64_t>({1, 192, 10}));
}

TEST(ChannelMutationTest, ErrorsNameTheLayer) {
  testing::Loaded m = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(m.ok);
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  {
    DiagnosticPrinter printer(*m.context, "smallcnn.mlir", os);
    EXPECT_TRUE(mlir::failed(setOutputChannels(m.entry, "nope", 3)));
    EXPECT_TRUE(mlir::failed(setOutputChannels(m.entry, "head.fc", 3)));
    EXPECT_TRUE(mlir::failed(setOutputChannels(m.entry, "down.maxpool", 3)));
    EXPECT_TRUE(mlir::failed(setOutputChannels(m.entry, "down.conv", 0)));
  }
  os.flush();
  EXPECT_NE(diagnostics.find("no layer named 'nope'"), std::string::npos);
  // The classifier is a linear layer, but its width is the model's output.
  EXPECT_NE(diagnostics.find("'head.fc': changing its output channels would "
                             "change the model's outputs"),
            std::string::npos);
  EXPECT_NE(diagnostics.find("'down.maxpool', neither a convolution nor a "
                             "linear layer"),
            std::string::npos);
  EXPECT_NE(diagnostics.find("cannot have 0 output channels"),
            std::string::npos);
}

} // namespace
} // namespace goodhart
