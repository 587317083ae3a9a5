//===- ActivationMutationTest.cpp - Swapping activations ------------------===//

#include "mlir/Mutations.h"
#include "mlir/PlanLowering.h"

#include "MlirTestSupport.h"

namespace goodhart {
namespace {

const std::string kLlama =
    std::string(GOODHART_SOURCE_DIR) + "/corpus/llama2_7b_layer.mlir";
const std::string kMobileNet =
    std::string(GOODHART_SOURCE_DIR) + "/corpus/mobilenet_v2.mlir";

const Layer *layerNamed(const Plan &plan, const std::string &name) {
  for (const Layer &layer : plan.layers)
    if (layer.name == name)
      return &layer;
  return nullptr;
}

std::string siteKind(const std::vector<ActivationSite> &sites,
                     const std::string &name) {
  for (const ActivationSite &s : sites)
    if (s.layerName == name)
      return s.activation;
  return "";
}

TEST(ActivationMutationTest, FindsClampsAndComposites) {
  testing::Loaded cnn = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(cnn.ok) << cnn.diagnostics;
  std::vector<ActivationSite> sites = findActivationSites(cnn.entry);
  ASSERT_EQ(sites.size(), 4u);
  EXPECT_EQ(sites[0].layerName, "block1.relu1");
  EXPECT_EQ(sites[0].activation, "relu");

  testing::Loaded llama = testing::load(kLlama);
  ASSERT_TRUE(llama.ok) << llama.diagnostics;
  EXPECT_EQ(siteKind(findActivationSites(llama.entry), "mlp.act_fn"), "silu");
  EXPECT_EQ(siteKind(findActivationSites(llama.entry), "mlp.act_fn.sigmoid"),
            "")
      << "a composite's members are not sites";

  testing::Loaded mobile = testing::load(kMobileNet);
  ASSERT_TRUE(mobile.ok) << mobile.diagnostics;
  std::vector<ActivationSite> relu6 = findActivationSites(mobile.entry);
  ASSERT_FALSE(relu6.empty());
  EXPECT_EQ(relu6[0].activation, "relu6");
}

TEST(ActivationMutationTest, EverySwapKeepsTheLayerAndItsName) {
  for (const std::string &kind : activationKinds()) {
    if (kind == "relu")
      continue;
    testing::Loaded cnn = testing::load(testing::kSmallCnn);
    ASSERT_TRUE(cnn.ok);
    mlir::FailureOr<Plan> before = lowerToPlan(cnn.entry, {});
    ASSERT_TRUE(mlir::succeeded(before));
    ASSERT_TRUE(mlir::succeeded(setActivation(cnn.entry, "down.relu", kind)))
        << kind;
    mlir::FailureOr<Plan> after = lowerToPlan(cnn.entry, {});
    ASSERT_TRUE(mlir::succeeded(after)) << kind;
    ASSERT_EQ(after->layers.size(), before->layers.size()) << kind;
    const Layer *layer = layerNamed(*after, "down.relu");
    ASSERT_TRUE(layer) << kind;
    EXPECT_EQ(layer->kind, LayerKind::kEltwise);
    // The plan states ReLU6 as a clamp to [0, 6].
    EXPECT_EQ(layer->attrs.value("op", ""), kind == "relu6" ? "clamp" : kind);
    EXPECT_EQ(siteKind(findActivationSites(cnn.entry), "down.relu"), kind);
  }
}

TEST(ActivationMutationTest, SwapsASiluInALlamaLayer) {
  testing::Loaded llama = testing::load(kLlama);
  ASSERT_TRUE(llama.ok);
  mlir::FailureOr<Plan> before = lowerToPlan(llama.entry, {});
  ASSERT_TRUE(mlir::succeeded(before));
  ASSERT_TRUE(
      mlir::succeeded(setActivation(llama.entry, "mlp.act_fn", "gelu_erf")));
  mlir::FailureOr<Plan> after = lowerToPlan(llama.entry, {});
  ASSERT_TRUE(mlir::succeeded(after));
  EXPECT_EQ(after->layers.size(), before->layers.size());
  const Layer *layer = layerNamed(*after, "mlp.act_fn");
  ASSERT_TRUE(layer);
  EXPECT_EQ(layer->attrs.value("op", ""), "gelu_erf");
  EXPECT_EQ(after->totalParams(), before->totalParams());
}

TEST(ActivationMutationTest, RejectsWhatIsNotAnActivation) {
  testing::Loaded cnn = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(cnn.ok);
  mlir::ScopedDiagnosticHandler quiet(
      cnn.context.get(), [](mlir::Diagnostic &) { return mlir::success(); });
  EXPECT_TRUE(mlir::failed(setActivation(cnn.entry, "block1.conv1", "silu")));
  EXPECT_TRUE(mlir::failed(setActivation(cnn.entry, "block1.relu1", "relu")));
  EXPECT_TRUE(mlir::failed(setActivation(cnn.entry, "block1.relu1", "swish")));
  EXPECT_TRUE(mlir::failed(setActivation(cnn.entry, "nope", "silu")));
}

} // namespace
} // namespace goodhart
