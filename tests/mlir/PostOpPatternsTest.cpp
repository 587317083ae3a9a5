//===- PostOpPatternsTest.cpp - Convolutions and Linears with post-ops ----===//
//
// The opt-in fusions of CompositePatterns.h (conv_post_ops, linear): what
// they absorb, what they must leave alone, and that plans keep their
// arithmetic and names.
//
//===----------------------------------------------------------------------===//

#include "mlir/CompositePatterns.h"
#include "mlir/PlanLowering.h"
#include "mlir/zoo/ModelZoo.h"

#include "MlirTestSupport.h"

namespace goodhart {
namespace {

LoweringOptions fused() {
  LoweringOptions options;
  for (const std::string &pattern : postOpPatterns())
    options.fuse.insert(pattern);
  return options;
}

const Layer *layerNamed(const Plan &plan, const std::string &name) {
  for (const Layer &l : plan.layers)
    if (l.name == name)
      return &l;
  ADD_FAILURE() << "no layer " << name;
  return nullptr;
}

TEST(PostOpPatternsTest, OffByDefault) {
  EXPECT_EQ(defaultFusedPatterns().count("conv_post_ops"), 0u);
  EXPECT_EQ(defaultFusedPatterns().count("linear"), 0u);
  testing::Loaded m = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(m.ok) << m.diagnostics;
  mlir::FailureOr<Plan> plan = lowerToPlan(m.entry, {});
  ASSERT_TRUE(mlir::succeeded(plan));
  EXPECT_EQ(plan->layers.size(), 14u);
  for (const Layer &l : plan->layers) {
    EXPECT_FALSE(l.attrs.contains("post_ops")) << l.name;
    EXPECT_TRUE(l.pattern.empty()) << l.name << ": unfused, yet not tagged";
  }
}

TEST(PostOpPatternsTest, SmallCnnFusesResidualsActivationsAndTheClassifier) {
  testing::Loaded m = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(m.ok) << m.diagnostics;
  mlir::FailureOr<Plan> unfused = lowerToPlan(m.entry, {});
  mlir::FailureOr<Plan> plan = lowerToPlan(m.entry, fused());
  ASSERT_TRUE(mlir::succeeded(plan) && mlir::succeeded(unfused));
  ASSERT_TRUE(validatePlan(*plan).isOk());
  std::vector<std::string> names;
  for (const Layer &l : plan->layers)
    names.push_back(l.name);
  EXPECT_EQ(names,
            std::vector<std::string>(
                {"block1.conv1", "block1.conv2", "down.conv", "down.maxpool",
                 "expand.conv", "head.avgpool", "head.flatten", "head.fc"}));
  // The arithmetic is the same; only the traffic of the fused ops is gone.
  EXPECT_EQ(plan->totalFlops(), unfused->totalFlops());
  EXPECT_EQ(plan->totalParams(), unfused->totalParams());
  EXPECT_LT(plan->totalBytes(), unfused->totalBytes());

  const Layer *conv1 = layerNamed(*plan, "block1.conv1");
  ASSERT_TRUE(conv1);
  EXPECT_EQ(conv1->kind, LayerKind::kConv2d);
  EXPECT_EQ(conv1->attrs["post_ops"],
            nlohmann::json::parse(R"([{"kind":"eltwise","op":"relu"}])"));
  EXPECT_EQ(conv1->inputs.size(), 3u);
  EXPECT_EQ(conv1->location, "block1.conv1");

  // conv2 + residual (the model input) + relu: the sum operand follows the
  // bias, and the output keeps the convolution's name.
  const Layer *conv2 = layerNamed(*plan, "block1.conv2");
  ASSERT_TRUE(conv2);
  EXPECT_EQ(
      conv2->attrs["post_ops"],
      nlohmann::json::parse(
          R"([{"kind":"sum","input":3},{"kind":"eltwise","op":"relu"}])"));
  ASSERT_EQ(conv2->inputs.size(), 4u);
  EXPECT_EQ(conv2->inputs[3], plan->inputs[0]);
  EXPECT_EQ(conv2->numPrimaryInputs(), 3u);
  EXPECT_EQ(plan->tensor(conv2->outputs[0]).name, "block1.conv2");
  EXPECT_EQ(plan->consumersOf(conv2->outputs[0]),
            std::vector<int64_t>({layerNamed(*plan, "down.conv")->id}));

  // The classifier: matmul by a weight plus the bias add.
  const Layer *fc = layerNamed(*plan, "head.fc");
  ASSERT_TRUE(fc);
  EXPECT_EQ(fc->kind, LayerKind::kInnerProduct);
  ASSERT_EQ(fc->inputs.size(), 3u);
  EXPECT_EQ(plan->tensor(fc->inputs[1]).shape,
            std::vector<int64_t>({1, 256, 1000}));
  EXPECT_EQ(plan->tensor(fc->inputs[2]).shape,
            std::vector<int64_t>({1, 1, 1000}));
  EXPECT_FALSE(fc->attrs.contains("post_ops"));
  EXPECT_EQ(plan->outputs, fc->outputs);

  // Post-ops are part of the problem: the hash changes with them.
  EXPECT_NE(conv1->hash, layerNamed(*unfused, "block1.conv1")->hash);
}

/// conv -> clamp where the convolution's result is also returned: the
/// clamp may not absorb it.
TEST(PostOpPatternsTest, ValuesReadElsewhereStayLayers) {
  std::string path = testing::writeTemp("shared-conv.mlir", R"mlir(
func.func @f(%x: tensor<1x8x8x4xf32>, %w: tensor<4x1x1x4xf32> {goodhart.weight}, %b: tensor<4xf32> {goodhart.weight}) -> (tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>) {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x8x4xf32>, tensor<4x1x1x4xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x4xf32>
  %r = tosa.clamp %c {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  return %c, %r : tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>
})mlir");
  testing::Loaded m = testing::load(path);
  ASSERT_TRUE(m.ok) << m.diagnostics;
  mlir::FailureOr<Plan> plan = lowerToPlan(m.entry, fused());
  ASSERT_TRUE(mlir::succeeded(plan));
  ASSERT_EQ(plan->layers.size(), 2u);
  EXPECT_FALSE(plan->layers[0].attrs.contains("post_ops"));
}

/// Depthwise conv -> ReLU6 -> add of a broadcast (not a residual): the
/// clamp is a post-op with its bounds, the broadcast add is not a sum.
TEST(PostOpPatternsTest, DepthwiseClampAndNoBroadcastSum) {
  std::string path = testing::writeTemp("dw-relu6.mlir", R"mlir(
func.func @f(%x: tensor<1x8x8x32xf32>, %w: tensor<3x3x32x1xf32> {goodhart.weight}, %b: tensor<32xf32> {goodhart.weight}, %s: tensor<1x1x1x32xf32> {goodhart.weight}) -> tensor<1x8x8x32xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %d = tosa.depthwise_conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x8x8x32xf32>, tensor<3x3x32x1xf32>, tensor<32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x32xf32> loc("dw")
  %r = tosa.clamp %d {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32> loc("relu6")
  %y = tosa.add %r, %s : (tensor<1x8x8x32xf32>, tensor<1x1x1x32xf32>) -> tensor<1x8x8x32xf32>
  return %y : tensor<1x8x8x32xf32>
})mlir");
  testing::Loaded m = testing::load(path);
  ASSERT_TRUE(m.ok) << m.diagnostics;
  mlir::FailureOr<Plan> plan = lowerToPlan(m.entry, fused());
  ASSERT_TRUE(mlir::succeeded(plan));
  ASSERT_EQ(plan->layers.size(), 2u);
  const Layer &dw = plan->layers[0];
  EXPECT_EQ(dw.name, "dw");
  EXPECT_EQ(dw.attrs["groups"], 32);
  EXPECT_EQ(plan->tensor(dw.inputs[1]).shape,
            std::vector<int64_t>({32, 3, 3, 1}))
      << "depthwise weights in conv2d form, through the fusion";
  EXPECT_EQ(dw.attrs["post_ops"],
            nlohmann::json::parse(
                R"([{"kind":"eltwise","op":"clamp","alpha":0.0,"beta":6.0}])"));
  EXPECT_EQ(plan->layers[1].kind, LayerKind::kBinary);
}

/// A matmul of two activations (attention scores) is no Linear; one by a
/// weight with batch 1 is, with a residual sum after its bias.
TEST(PostOpPatternsTest, LinearNeedsAConstantWeight) {
  std::string path = testing::writeTemp("linear.mlir", R"mlir(
func.func @f(%x: tensor<1x4x8xf32>, %k: tensor<1x8x4xf32>, %w: tensor<1x8x8xf32> {goodhart.weight}, %b: tensor<1x1x8xf32> {goodhart.weight}) -> (tensor<1x4x4xf32>, tensor<1x4x8xf32>) {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %s = tosa.matmul %x, %k, %zp, %zp : (tensor<1x4x8xf32>, tensor<1x8x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4xf32> loc("scores")
  %l = tosa.matmul %x, %w, %zp, %zp : (tensor<1x4x8xf32>, tensor<1x8x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x8xf32> loc("dense")
  %lb = tosa.add %l, %b : (tensor<1x4x8xf32>, tensor<1x1x8xf32>) -> tensor<1x4x8xf32>
  %res = tosa.add %lb, %x : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %t = tosa.tanh %res : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  return %s, %t : tensor<1x4x4xf32>, tensor<1x4x8xf32>
})mlir");
  testing::Loaded m = testing::load(path);
  ASSERT_TRUE(m.ok) << m.diagnostics;
  mlir::FailureOr<Plan> plan = lowerToPlan(m.entry, fused());
  ASSERT_TRUE(mlir::succeeded(plan));
  ASSERT_EQ(plan->layers.size(), 2u);
  EXPECT_EQ(plan->layers[0].kind, LayerKind::kMatMul);
  const Layer &dense = plan->layers[1];
  EXPECT_EQ(dense.name, "dense");
  EXPECT_EQ(dense.kind, LayerKind::kInnerProduct);
  EXPECT_EQ(dense.attrs["post_ops"],
            nlohmann::json::parse(R"([{"kind":"sum","input":3},)"
                                  R"({"kind":"eltwise","op":"tanh"}])"));
  ASSERT_EQ(dense.inputs.size(), 4u);
  EXPECT_EQ(dense.inputs[3], plan->inputs[0]);
  EXPECT_TRUE(validatePlan(*plan).isOk());
  // Only the pattern asked for runs.
  LoweringOptions convsOnly;
  convsOnly.fuse.insert("conv_post_ops");
  mlir::FailureOr<Plan> plain = lowerToPlan(m.entry, convsOnly);
  ASSERT_TRUE(mlir::succeeded(plain));
  EXPECT_EQ(plain->layers.size(), 5u);
}

/// ResNet-50 (the zoo's): every convolution but the projection shortcuts
/// absorbs a ReLU, every block's last convolution its residual; the FLOPs
/// stay those of the unfused plan.
TEST(PostOpPatternsTest, ResNet50) {
  auto context = testing::makeContext();
  const ZooModel *model = findZooModel("resnet50");
  ASSERT_TRUE(model);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      buildZooModel(*context, *model, {});
  ASSERT_TRUE(module);
  auto entry = *module->getOps<mlir::func::FuncOp>().begin();
  mlir::FailureOr<Plan> unfused = lowerToPlan(entry, {});
  mlir::FailureOr<Plan> plan = lowerToPlan(entry, fused());
  ASSERT_TRUE(mlir::succeeded(plan) && mlir::succeeded(unfused));
  EXPECT_EQ(unfused->layers.size(), 127u);
  int convs = 0, sums = 0, relus = 0, linears = 0;
  for (const Layer &l : plan->layers) {
    convs += l.kind == LayerKind::kConv2d;
    linears += l.kind == LayerKind::kInnerProduct;
    for (const nlohmann::json &op : l.attrs.value("post_ops", nlohmann::json()))
      (op["kind"] == "sum" ? sums : relus) += 1;
  }
  EXPECT_EQ(convs, 53);
  EXPECT_EQ(sums, 16);
  EXPECT_EQ(relus, 49);
  EXPECT_EQ(linears, 1);
  EXPECT_EQ(plan->totalFlops(), unfused->totalFlops());
  EXPECT_TRUE(validatePlan(*plan).isOk());
}

} // namespace
} // namespace goodhart
