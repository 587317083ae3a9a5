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

/// A function of %x [1,4,8] (and the extra `args`) whose body is `body`
/// returning `results`, with the constants a GELU and a Linear need.
std::string geluModule(const std::string &args, const std::string &body,
                       const std::string &results,
                       const std::string &resultTypes) {
  auto splat = [](const char *name, const char *value) {
    return std::string("  %") + name + " = \"tosa.const\"() <{values = dense<" +
           value + "> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>\n";
  };
  return "func.func @f(%x: tensor<1x4x8xf32>" + args + ") -> (" + resultTypes +
         ") {\n" +
         "  %zp = \"tosa.const\"() <{values = dense<0.0> : tensor<1xf32>}> : "
         "() -> tensor<1xf32>\n"
         "  %shift = \"tosa.const\"() <{values = dense<0> : tensor<1xi8>}> : "
         "() -> tensor<1xi8>\n" +
         splat("k", "0.707106769") + splat("one", "1.0") +
         splat("half", "5.000000e-01") + body + "  return " + results + " : " +
         resultTypes + "\n}\n";
}

/// 0.5 * (v * (1 + erf(v * 0.7071))) of %v [1,4,8], the result %y.
std::string geluErf(const std::string &v) {
  const std::string t = "tensor<1x4x8xf32>", c = "tensor<1x1x1xf32>",
                    s = "tensor<1xi8>";
  return "  %ga = tosa.mul %" + v + ", %k, %shift : (" + t + ", " + c + ", " +
         s + ") -> " + t + "\n  %ge = tosa.erf %ga : (" + t + ") -> " + t +
         "\n  %gb = tosa.add %one, %ge : (" + c + ", " + t + ") -> " + t +
         "\n  %gp = tosa.mul %" + v + ", %gb, %shift : (" + t + ", " + t +
         ", " + s + ") -> " + t + "\n  %y = tosa.mul %half, %gp, %shift : (" +
         c + ", " + t + ", " + s + ") -> " + t + "\n";
}

const char *kLinearArgs = ", %w: tensor<1x8x8xf32> {goodhart.weight}, %b: "
                          "tensor<1x1x8xf32> {goodhart.weight}";
const char *kLinear =
    "  %l = tosa.matmul %x, %w, %zp, %zp : (tensor<1x4x8xf32>, "
    "tensor<1x8x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x8xf32> "
    "loc(\"fc1\")\n"
    "  %lb = tosa.add %l, %b : (tensor<1x4x8xf32>, tensor<1x1x8xf32>) -> "
    "tensor<1x4x8xf32>\n";
const char *kT3 = "tensor<1x4x8xf32>";

/// BERT's FFN: Linear (matmul by a weight, bias) then GELU is one
/// inner_product with an eltwise gelu_erf post-op; its FLOPs stay those of
/// the six ops.
TEST(PostOpPatternsTest, GeluAfterALinearIsAPostOp) {
  testing::Loaded m = testing::load(testing::writeTemp(
      "linear-gelu.mlir",
      geluModule(kLinearArgs, kLinear + geluErf("lb"), "%y", kT3)));
  ASSERT_TRUE(m.ok) << m.diagnostics;
  mlir::FailureOr<Plan> unfused = lowerToPlan(m.entry, {});
  mlir::FailureOr<Plan> plan = lowerToPlan(m.entry, fused());
  ASSERT_TRUE(mlir::succeeded(plan) && mlir::succeeded(unfused));
  ASSERT_EQ(unfused->layers.size(), 3u) << "matmul, bias add, gelu";
  ASSERT_EQ(plan->layers.size(), 1u);
  const Layer &fc = plan->layers[0];
  EXPECT_EQ(fc.name, "fc1");
  EXPECT_EQ(fc.kind, LayerKind::kInnerProduct);
  EXPECT_EQ(fc.inputs.size(), 3u);
  EXPECT_EQ(fc.attrs["post_ops"],
            nlohmann::json::parse(R"([{"kind":"eltwise","op":"gelu_erf"}])"));
  EXPECT_EQ(fc.pattern, "");
  EXPECT_EQ(plan->totalFlops(), unfused->totalFlops());
  EXPECT_EQ(plan->outputs, fc.outputs);
  EXPECT_TRUE(validatePlan(*plan).isOk());
  // With GELU fusion off the GELU stays five eltwise layers after the
  // inner product.
  LoweringOptions noGelu = fused();
  noGelu.fuse.erase("gelu_erf");
  mlir::FailureOr<Plan> apart = lowerToPlan(m.entry, noGelu);
  ASSERT_TRUE(mlir::succeeded(apart));
  EXPECT_EQ(apart->layers.size(), 6u);
  EXPECT_FALSE(apart->layers[0].attrs.contains("post_ops"));
}

/// The Linear's result read outside the GELU keeps them apart; the GELU's
/// result read twice does not.
TEST(PostOpPatternsTest, GeluNeedsEveryUseOfItsInput) {
  testing::Loaded shared = testing::load(
      testing::writeTemp("linear-gelu-shared.mlir",
                         geluModule(kLinearArgs, kLinear + geluErf("lb"),
                                    "%y, %lb", std::string(kT3) + ", " + kT3)));
  ASSERT_TRUE(shared.ok) << shared.diagnostics;
  mlir::FailureOr<Plan> plan = lowerToPlan(shared.entry, fused());
  ASSERT_TRUE(mlir::succeeded(plan));
  ASSERT_EQ(plan->layers.size(), 2u);
  EXPECT_EQ(plan->layers[0].kind, LayerKind::kInnerProduct);
  EXPECT_FALSE(plan->layers[0].attrs.contains("post_ops"));
  EXPECT_EQ(plan->layers[1].attrs["op"], "gelu_erf");

  testing::Loaded twice = testing::load(testing::writeTemp(
      "linear-gelu-twice.mlir",
      geluModule(kLinearArgs,
                 kLinear + geluErf("lb") +
                     "  %t = tosa.tanh %y : (tensor<1x4x8xf32>) -> "
                     "tensor<1x4x8xf32>\n",
                 "%y, %t", std::string(kT3) + ", " + kT3)));
  ASSERT_TRUE(twice.ok) << twice.diagnostics;
  plan = lowerToPlan(twice.entry, fused());
  ASSERT_TRUE(mlir::succeeded(plan));
  ASSERT_EQ(plan->layers.size(), 2u);
  EXPECT_EQ(plan->layers[0].attrs["post_ops"],
            nlohmann::json::parse(R"([{"kind":"eltwise","op":"gelu_erf"}])"));
  EXPECT_EQ(plan->layers[1].attrs["op"], "tanh");
  EXPECT_EQ(plan->outputs[0], plan->layers[0].outputs[0]);
}

/// A matmul of two activations: scale by a constant, add a mask broadcast
/// over rows (binary post-ops), then GELU; a same-shape add is a sum.
TEST(PostOpPatternsTest, MatmulTakesBinaryPostOpsAndGelu) {
  const std::string t = kT3, s = "tensor<1xi8>";
  std::string body =
      "  %sc = \"tosa.const\"() <{values = dense<1.250000e-01> : "
      "tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>\n"
      "  %q = tosa.matmul %x, %kt, %zp, %zp : (tensor<1x4x8xf32>, "
      "tensor<1x8x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x8xf32> "
      "loc(\"scores\")\n"
      "  %qs = tosa.mul %q, %sc, %shift : (" +
      t + ", tensor<1x1x1xf32>, " + s + ") -> " + t +
      "\n"
      "  %qm = tosa.add %mask, %qs : (tensor<1x1x8xf32>, " +
      t + ") -> " + t + "\n  %v = tosa.add %qm, %r : (" + t + ", " + t +
      ") -> " + t + "\n" + geluErf("v");
  testing::Loaded m = testing::load(testing::writeTemp(
      "matmul-post-ops.mlir",
      geluModule(", %kt: tensor<1x8x8xf32>, %mask: tensor<1x1x8xf32>, %r: "
                 "tensor<1x4x8xf32>",
                 body, "%y", t)));
  ASSERT_TRUE(m.ok) << m.diagnostics;
  mlir::FailureOr<Plan> plan = lowerToPlan(m.entry, fused());
  ASSERT_TRUE(mlir::succeeded(plan));
  ASSERT_EQ(plan->layers.size(), 1u);
  const Layer &mm = plan->layers[0];
  EXPECT_EQ(mm.name, "scores");
  EXPECT_EQ(mm.kind, LayerKind::kMatMul);
  EXPECT_EQ(mm.attrs["post_ops"], nlohmann::json::parse(R"([
      {"kind":"binary","op":"mul","input":2},
      {"kind":"binary","op":"add","input":3},
      {"kind":"sum","input":4},
      {"kind":"eltwise","op":"gelu_erf"}])"));
  ASSERT_EQ(mm.inputs.size(), 5u);
  EXPECT_EQ(plan->tensor(mm.inputs[2]).value, 0.125);
  EXPECT_EQ(plan->tensor(mm.inputs[3]).shape, std::vector<int64_t>({1, 1, 8}));
  EXPECT_EQ(mm.numPrimaryInputs(), 2u);
  EXPECT_TRUE(validatePlan(*plan).isOk()) << validatePlan(*plan).message();
  // Only asked for: without matmul_post_ops the matmul stays bare.
  LoweringOptions linearsOnly = fused();
  linearsOnly.fuse.erase("matmul_post_ops");
  mlir::FailureOr<Plan> bare = lowerToPlan(m.entry, linearsOnly);
  ASSERT_TRUE(mlir::succeeded(bare));
  EXPECT_EQ(bare->layers.size(), 5u);
}

/// A sub whose second operand is the product is not `product - operand`.
TEST(PostOpPatternsTest, OperandMinusProductIsNoPostOp) {
  const std::string t = kT3;
  std::string body =
      "  %q = tosa.matmul %x, %kt, %zp, %zp : (tensor<1x4x8xf32>, "
      "tensor<1x8x8xf32>, tensor<1xf32>, tensor<1xf32>) -> " +
      t + "\n  %y = tosa.sub %mask, %q : (tensor<1x1x8xf32>, " + t + ") -> " +
      t + "\n";
  testing::Loaded m = testing::load(testing::writeTemp(
      "matmul-sub.mlir",
      geluModule(", %kt: tensor<1x8x8xf32>, %mask: tensor<1x1x8xf32>", body,
                 "%y", t)));
  ASSERT_TRUE(m.ok) << m.diagnostics;
  mlir::FailureOr<Plan> plan = lowerToPlan(m.entry, fused());
  ASSERT_TRUE(mlir::succeeded(plan));
  ASSERT_EQ(plan->layers.size(), 2u);
  EXPECT_FALSE(plan->layers[0].attrs.contains("post_ops"));
}

/// BERT-large and the Llama layer (the zoo's): the FFN's GELU and the
/// gate's SiLU join their Linear, attention's scores take the scale (and
/// Llama's causal mask) and keep the attention tag.
TEST(PostOpPatternsTest, Transformers) {
  auto context = testing::makeContext();
  struct Expected {
    const char *model;
    size_t unfused, fused;
    const char *activation;
    int activations;
    const char *scores;
    int attentions;
  };
  for (const Expected &e :
       {Expected{"bert_large", 816, 576, "gelu_erf", 24,
                 R"([{"kind":"binary","op":"mul","input":2}])", 24},
        Expected{"llama2_7b_layer", 57, 52, "silu", 1,
                 R"([{"kind":"binary","op":"mul","input":2},)"
                 R"({"kind":"binary","op":"add","input":3}])",
                 1}}) {
    const ZooModel *model = findZooModel(e.model);
    ASSERT_TRUE(model) << e.model;
    mlir::OwningOpRef<mlir::ModuleOp> module =
        buildZooModel(*context, *model, {});
    ASSERT_TRUE(module);
    auto entry = *module->getOps<mlir::func::FuncOp>().begin();
    mlir::FailureOr<Plan> unfused = lowerToPlan(entry, {});
    mlir::FailureOr<Plan> plan = lowerToPlan(entry, fused());
    ASSERT_TRUE(mlir::succeeded(plan) && mlir::succeeded(unfused));
    EXPECT_EQ(unfused->layers.size(), e.unfused) << e.model;
    EXPECT_EQ(plan->layers.size(), e.fused) << e.model;
    int activations = 0, scores = 0;
    for (const Layer &l : plan->layers) {
      nlohmann::json postOps = l.attrs.value("post_ops", nlohmann::json());
      if (l.kind == LayerKind::kInnerProduct && !postOps.empty() &&
          postOps.back()["op"] == e.activation)
        ++activations;
      if (l.kind == LayerKind::kMatMul && !postOps.empty()) {
        EXPECT_EQ(postOps, nlohmann::json::parse(e.scores)) << l.name;
        EXPECT_EQ(l.pattern, "attention") << l.name;
        ++scores;
      }
    }
    EXPECT_EQ(activations, e.activations) << e.model;
    EXPECT_EQ(scores, e.attentions) << e.model;
    EXPECT_EQ(plan->totalFlops(), unfused->totalFlops()) << e.model;
    EXPECT_TRUE(validatePlan(*plan).isOk()) << validatePlan(*plan).message();
  }
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
