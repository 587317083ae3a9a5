//===- PlanLoweringTest.cpp - TOSA functions to execution plans -----------===//

#include "mlir/PlanLowering.h"

#include "MlirTestSupport.h"
#include "TorchStyle.h"

namespace goodhart {
namespace {

const Layer &layerNamed(const Plan &plan, const std::string &name) {
  for (const Layer &l : plan.layers)
    if (l.name == name)
      return l;
  static Layer none;
  ADD_FAILURE() << "no layer " << name;
  return none;
}

TEST(PlanLoweringTest, SmallCnnStructure) {
  testing::Loaded m = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(m.ok) << m.diagnostics;
  mlir::FailureOr<Plan> plan =
      lowerToPlan(m.entry, {"smallcnn", "reference", "smallcnn.mlir"});
  ASSERT_TRUE(mlir::succeeded(plan));
  EXPECT_EQ(plan->model, "smallcnn");
  ASSERT_EQ(plan->layers.size(), 14u);
  const LayerKind kinds[] = {
      LayerKind::kConv2d,  LayerKind::kEltwise, LayerKind::kConv2d,
      LayerKind::kBinary,  LayerKind::kEltwise, LayerKind::kConv2d,
      LayerKind::kEltwise, LayerKind::kPool2d,  LayerKind::kConv2d,
      LayerKind::kEltwise, LayerKind::kPool2d,  LayerKind::kReshape,
      LayerKind::kMatMul,  LayerKind::kBinary};
  for (size_t i = 0; i < 14; ++i)
    EXPECT_EQ(plan->layers[i].kind, kinds[i]) << i;
  // Inputs and weights: x is the only input; 10 weight arguments.
  ASSERT_EQ(plan->inputs.size(), 1u);
  EXPECT_EQ(plan->tensor(plan->inputs[0]).shape,
            std::vector<int64_t>({1, 56, 56, 64}));
  int weights = 0;
  for (const TensorDesc &t : plan->tensors)
    weights += t.role == TensorRole::kWeight;
  EXPECT_EQ(weights, 10);
  // Attributes of the strided convolution, with exporter-style padding.
  const Layer &down = layerNamed(*plan, "down.conv");
  EXPECT_EQ(down.attrs["stride"], nlohmann::json({2, 2}));
  EXPECT_EQ(down.attrs["pad"], nlohmann::json({1, 0, 1, 0}));
  EXPECT_EQ(down.attrs["groups"], 1);
  EXPECT_EQ(layerNamed(*plan, "block1.relu1").attrs["op"], "relu");
  EXPECT_EQ(layerNamed(*plan, "down.maxpool").attrs["algorithm"], "max");
  // Edges: the residual add reads conv2's output and the model input.
  const Layer &add = layerNamed(*plan, "block1.residual");
  EXPECT_EQ(plan->producerOf(add.inputs[0]), 2);
  EXPECT_EQ(add.inputs[1], plan->inputs[0]);
  EXPECT_EQ(plan->consumersOf(plan->inputs[0]), std::vector<int64_t>({0, 3}));
  EXPECT_EQ(plan->outputs.size(), 1u);
  EXPECT_EQ(plan->producerOf(plan->outputs[0]), 13);
  EXPECT_TRUE(validatePlan(*plan).isOk());
  // The location names the source.
  EXPECT_EQ(layerNamed(*plan, "block1.conv1").location, "block1.conv1");
}

TEST(PlanLoweringTest, IdenticalProblemsShareAHash) {
  testing::Loaded m = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(m.ok);
  mlir::FailureOr<Plan> plan = lowerToPlan(m.entry, {});
  ASSERT_TRUE(mlir::succeeded(plan));
  // conv1 and conv2 solve the same problem; relu1 and relu2 too.
  EXPECT_EQ(plan->layers[0].hash, plan->layers[2].hash);
  EXPECT_EQ(plan->layers[1].hash, plan->layers[4].hash);
  EXPECT_NE(plan->layers[0].hash, plan->layers[5].hash);
  // Round trip through JSON keeps everything.
  StatusOr<Plan> back = planFromJson(planToJson(*plan));
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_EQ(planToJson(*back), planToJson(*plan));
}

TEST(PlanLoweringTest, TorchMlirStyleModule) {
  std::string path =
      testing::writeTemp("torch_style.mlir", testing::kTorchStyleModule);
  testing::Loaded m = testing::load(path);
  ASSERT_TRUE(m.ok) << m.diagnostics;
  mlir::FailureOr<Plan> plan = lowerToPlan(m.entry, {});
  ASSERT_TRUE(mlir::succeeded(plan));
  ASSERT_EQ(plan->layers.size(), 7u);
  EXPECT_EQ(plan->layers[0].kind, LayerKind::kTranspose);
  EXPECT_EQ(plan->layers[0].attrs["perm"], nlohmann::json({0, 2, 3, 1}));
  EXPECT_EQ(plan->layers[1].kind, LayerKind::kConv2d);
  EXPECT_EQ(plan->layers[2].attrs["op"], "clamp");
  EXPECT_EQ(plan->layers[2].attrs["beta"], 6.0);
  // Constant weights become weight tensors; zero points disappear.
  int weights = 0;
  for (const TensorDesc &t : plan->tensors)
    weights += t.role == TensorRole::kWeight;
  EXPECT_EQ(weights, 4) << "conv w, conv b, fc w, fc b";
  EXPECT_EQ(plan->layers[1].inputs.size(), 3u);
  EXPECT_EQ(plan->totalParams(), 16 * 27 + 16 + 2560 + 10);
  // Strided conv with pad (1,0): 4 outputs, taps 2 + 3 + 3 + 3 = 11.
  EXPECT_EQ(plan->layers[1].flops, 2 * 16 * 3 * 11 * 11);
  EXPECT_EQ(plan->inputs.size(), 1u);
  EXPECT_EQ(plan->tensor(plan->outputs[0]).shape,
            std::vector<int64_t>({1, 10}));
}

TEST(PlanLoweringTest, DepthwiseBecomesGroupedConvolution) {
  std::string path = testing::writeTemp("dw.mlir", R"mlir(
func.func @dw(%x: tensor<1x8x8x32xf32>, %w: tensor<3x3x32x1xf32> {goodhart.weight}, %b: tensor<32xf32> {goodhart.weight}) -> tensor<1x8x8x32xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %d = tosa.depthwise_conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x8x8x32xf32>, tensor<3x3x32x1xf32>, tensor<32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x32xf32>
  return %d : tensor<1x8x8x32xf32>
})mlir");
  testing::Loaded m = testing::load(path);
  ASSERT_TRUE(m.ok) << m.diagnostics;
  mlir::FailureOr<Plan> plan = lowerToPlan(m.entry, {});
  ASSERT_TRUE(mlir::succeeded(plan));
  const Layer &dw = plan->layers[0];
  EXPECT_EQ(dw.kind, LayerKind::kConv2d);
  EXPECT_EQ(dw.attrs["groups"], 32);
  EXPECT_EQ(plan->tensor(dw.inputs[1]).shape,
            std::vector<int64_t>({32, 3, 3, 1}));
  EXPECT_EQ(dw.flops, 2 * 32 * (3 * 8 - 2) * (3 * 8 - 2));
  EXPECT_EQ(dw.name, "conv2d_0") << "no name location: kind_index";
}

} // namespace
} // namespace goodhart
