//===- OneDnnBackendTest.cpp - The oneDNN backend on tiny plans -----------===//

#include "runners/onednn/OneDnnBackend.h"
#include "runners/onednn/OneDnnPrimitives.h"

#include "TestPlans.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace goodhart::onednn {
namespace {

MeasureOptions quickOptions() { return testing::deterministicOptions(); }

class OneDnnBackendTest : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_TRUE(backend.initialize().isOk()); }
  OneDnnBackend backend;
};

TEST_F(OneDnnBackendTest, InfoNamesLibraryIsaAndDevice) {
  RunnerInfo info = backend.info();
  EXPECT_EQ(info.library, "oneDNN");
  EXPECT_EQ(info.libraryVersion.rfind("2.", 0), 0u) << info.libraryVersion;
  EXPECT_FALSE(info.isa.empty());
  EXPECT_FALSE(info.device.empty());
  EXPECT_GT(info.threads, 0);
  ASSERT_TRUE(info.extra.contains("affinity"));
  EXPECT_FALSE(info.extra["affinity"].get<std::string>().empty());
  EXPECT_NE(info.extra["affinity"], "unknown");
}

TEST_F(OneDnnBackendTest, MeasuresEveryLayerKindOfTheSmallPlan) {
  Plan plan = testing::smallPlan();
  MeasureResponse r = measurePlan(backend, plan, quickOptions());
  ASSERT_EQ(r.layers.size(), plan.layers.size());
  for (const LayerResult &l : r.layers) {
    const Layer &layer = plan.layers[l.id];
    if (layer.kind == LayerKind::kReshape) {
      EXPECT_EQ(l.measurement.status, ResultStatus::kSkipped);
      EXPECT_NE(l.measurement.reason.find("view"), std::string::npos);
      continue;
    }
    EXPECT_EQ(l.measurement.status, ResultStatus::kOk)
        << layer.describe() << ": " << l.measurement.reason;
    EXPECT_FALSE(l.impl.empty()) << layer.describe();
    EXPECT_EQ(l.measurement.samplesNs.size(), 3u);
    EXPECT_EQ(l.check.verdict, CheckVerdict::kPassed)
        << layer.describe() << ": " << l.check.reason;
    EXPECT_GT(l.check.points, 0);
    EXPECT_GT(l.measurement.stats.medianNs, 0);
    EXPECT_EQ(l.hash, layer.hash);
  }
  ASSERT_TRUE(r.model);
  EXPECT_EQ(r.model->measurement.status, ResultStatus::kOk)
      << r.model->measurement.reason;
  EXPECT_GT(r.model->measurement.stats.medianNs, 0);
}

TEST_F(OneDnnBackendTest, ModeAndLayerSelection) {
  Plan plan = testing::smallPlan();
  MeasureOptions o = quickOptions();
  o.mode = MeasureMode::kLayers;
  o.layers = {0};
  MeasureResponse r = measurePlan(backend, plan, o);
  EXPECT_EQ(r.layers.size(), 1u);
  EXPECT_FALSE(r.model);
  o.mode = MeasureMode::kModel;
  r = measurePlan(backend, plan, o);
  EXPECT_TRUE(r.layers.empty());
  EXPECT_TRUE(r.model);
}

TEST_F(OneDnnBackendTest, UnsupportedOpsAreSkipsWithReasons) {
  Plan plan = testing::smallPlan();
  plan.layers[1].attrs["op"] = "erf";
  LayerResult r = backend.measureLayer(plan, plan.layers[1], quickOptions());
  EXPECT_EQ(r.measurement.status, ResultStatus::kSkipped);
  EXPECT_NE(r.measurement.reason.find("erf"), std::string::npos);
  ModelResult m = backend.measureModel(plan, quickOptions());
  EXPECT_EQ(m.measurement.status, ResultStatus::kSkipped);
  EXPECT_NE(m.measurement.reason.find("relu"), std::string::npos)
      << "the model skip names the layer: " << m.measurement.reason;
}

TEST_F(OneDnnBackendTest, ListsTheFloatTypesItsConvolutionsRunIn) {
  // info().dtypes is what the campaign generates for: a floating type is
  // listed exactly when the small plan's convolution runs in it here.
  RunnerInfo info = backend.info();
  ASSERT_FALSE(info.dtypes.empty());
  EXPECT_EQ(info.dtypes.front(), "f32");
  for (auto [type, name] :
       {std::pair{DType::kBF16, "bf16"}, std::pair{DType::kF16, "f16"}}) {
    Plan plan = testing::smallPlan();
    for (int64_t id : {0, 1, 2, 3})
      plan.tensors[id].dtype = type;
    LayerResult r = backend.measureLayer(plan, plan.layers[0], quickOptions());
    bool listed = std::find(info.dtypes.begin(), info.dtypes.end(), name) !=
                  info.dtypes.end();
    EXPECT_EQ(listed, r.measurement.status == ResultStatus::kOk)
        << name << ": " << r.measurement.reason;
  }
}

TEST_F(OneDnnBackendTest, Bf16ConvolutionPassesWithBf16Tolerance) {
  Plan plan = testing::smallPlan();
  for (int64_t id : {0, 1, 3})
    plan.tensors[id].dtype = DType::kBF16;
  plan.tensors[2].dtype = DType::kBF16;
  LayerResult r = backend.measureLayer(plan, plan.layers[0], quickOptions());
  if (r.measurement.status == ResultStatus::kSkipped)
    GTEST_SKIP() << "this CPU has no bf16 convolution: "
                 << r.measurement.reason;
  EXPECT_EQ(r.check.verdict, CheckVerdict::kPassed) << r.check.reason;
  EXPECT_GT(r.check.maxAbsErr, 0) << "bf16 cannot be exact";
}

TEST_F(OneDnnBackendTest, GroupedConvolutionRuns) {
  Plan plan = testing::smallPlan();
  // Depthwise: 8 groups of 1 input channel, 2 outputs each.
  plan.tensors[1].shape = {16, 3, 3, 1};
  plan.layers[0].attrs["groups"] = 8;
  LayerResult r = backend.measureLayer(plan, plan.layers[0], quickOptions());
  EXPECT_EQ(r.measurement.status, ResultStatus::kOk) << r.measurement.reason;
  EXPECT_EQ(r.check.verdict, CheckVerdict::kPassed) << r.check.reason;
  EXPECT_NE(r.repro.find("g8mb1ic8"), std::string::npos) << r.repro;
}

TEST_F(OneDnnBackendTest, ConvolutionWithFewGroupsRunsAndIsChecked) {
  // ResNeXt-style: 2 and 4 groups of 4 and 2 input channels, 8 and 4
  // outputs each; the plan's OHWI weights [16, 3, 3, 8/G] read group-major.
  for (int64_t groups : {2, 4}) {
    Plan plan = testing::smallPlan();
    plan.tensors[1].shape = {16, 3, 3, 8 / groups};
    plan.layers[0].attrs["groups"] = groups;
    plan.layers[0].hash = computeLayerHash(plan, plan.layers[0]);
    ASSERT_TRUE(validatePlan(plan).isOk());
    LayerResult r = backend.measureLayer(plan, plan.layers[0], quickOptions());
    EXPECT_EQ(r.measurement.status, ResultStatus::kOk) << r.measurement.reason;
    EXPECT_EQ(r.check.verdict, CheckVerdict::kPassed) << r.check.reason;
    EXPECT_NE(r.repro.find("g" + std::to_string(groups) + "mb1ic8ih8iw8oc16"),
              std::string::npos)
        << r.repro;
    // The whole model too: the grouped layer feeds the rest.
    MeasureResponse m = measurePlan(backend, plan, quickOptions());
    ASSERT_FALSE(m.layers.empty());
    EXPECT_EQ(m.layers[0].check.verdict, CheckVerdict::kPassed)
        << m.layers[0].check.reason;
  }
}

TEST_F(OneDnnBackendTest, SliceRunsAndIsChecked) {
  // x [1,5,5,4] -> slice to [1,4,4,4] at (0,1,1,0) -> relu.
  Plan p;
  p.model = "slice";
  p.tensors = {testing::tensor(0, {1, 5, 5, 4}, TensorRole::kInput),
               testing::tensor(1, {1, 4, 4, 4}, TensorRole::kActivation),
               testing::tensor(2, {1, 4, 4, 4}, TensorRole::kActivation)};
  Layer slice;
  slice.id = 0;
  slice.name = "trim";
  slice.kind = LayerKind::kSlice;
  slice.inputs = {0};
  slice.outputs = {1};
  slice.attrs = {{"start", {0, 1, 1, 0}}};
  Layer relu;
  relu.id = 1;
  relu.name = "relu";
  relu.kind = LayerKind::kEltwise;
  relu.inputs = {1};
  relu.outputs = {2};
  relu.attrs = {{"op", "relu"}};
  p.layers = {slice, relu};
  p.inputs = {0};
  p.outputs = {2};
  ASSERT_TRUE(validatePlan(p).isOk());
  MeasureResponse r = measurePlan(backend, p, quickOptions());
  ASSERT_EQ(r.layers.size(), 2u);
  EXPECT_EQ(r.layers[0].measurement.status, ResultStatus::kOk)
      << r.layers[0].measurement.reason;
  EXPECT_EQ(r.layers[0].check.verdict, CheckVerdict::kPassed)
      << r.layers[0].check.reason;
  EXPECT_DOUBLE_EQ(r.layers[0].check.maxAbsErr, 0) << "a copy is exact";
  ASSERT_TRUE(r.model);
  EXPECT_EQ(r.model->measurement.status, ResultStatus::kOk)
      << r.model->measurement.reason;
}

TEST(BenchdnnReproTest, ConvolutionLine) {
  Plan plan = testing::smallPlan();
  EXPECT_EQ(benchdnnLine(plan, plan.layers[0]),
            "--conv --dir=FWD_B --cfg=f32 --stag=any --wtag=any "
            "--dtag=any mb1ic8ih8iw8oc16oh8ow8kh3kw3sh1sw1ph1pw1dh0dw0"
            "n\"conv\"");
  EXPECT_EQ(benchdnnLine(plan, plan.layers[2]),
            "--pool --dir=FWD_I --cfg=f32 --tag=acdb --alg=max "
            "mb1ic16ih8iw8oh4ow4kh2kw2sh2sw2ph0pw0n\"pool\"");
  EXPECT_EQ(benchdnnLine(plan, plan.layers[5]),
            "--matmul --cfg=f32 --wtag=any 1x1x256:1x256x10n\"fc\"");
  EXPECT_EQ(benchdnnLine(plan, plan.layers[1]),
            "--eltwise --dir=FWD_I --dt=f32 --inplace=false --alg=relu "
            "--alpha=0 --beta=0 1x8x8x16");
  EXPECT_EQ(benchdnnLine(plan, plan.layers[4]), "");
}

TEST(BenchdnnReproTest, AxisOpsKeepThePlansOwnDimensions) {
  using testing::tensor;
  // Softmax over C of an NHWC tensor: the plan's axis 3 over its own
  // dimensions is the memory the runner normalizes (benchdnn's abx).
  Plan softmax =
      testing::oneLayerPlan({tensor(0, {2, 4, 4, 16}, TensorRole::kInput),
                             tensor(1, {2, 4, 4, 16}, TensorRole::kActivation)},
                            LayerKind::kSoftmax, {{"axis", 3}});
  EXPECT_EQ(benchdnnLine(softmax, softmax.layers[0]),
            "--softmax --dir=FWD_I --sdt=f32 --ddt=f32 --inplace=false "
            "--alg=SOFTMAX --axis=3 2x4x4x16");
  // Layer norm over the last dimension: 3-d keeps benchdnn's default tag,
  // 4-d says abx.
  Plan norm = testing::oneLayerPlan(
      {tensor(0, {2, 3, 4, 8}, TensorRole::kInput),
       tensor(1, {8}, TensorRole::kWeight),
       tensor(2, {2, 3, 4, 8}, TensorRole::kActivation)},
      LayerKind::kNorm, {{"op", "layer_norm"}, {"epsilon", 1e-5}});
  EXPECT_EQ(benchdnnLine(norm, norm.layers[0]),
            "--lnorm --dir=FWD_I --dt=f32 --tag=abx --inplace=false "
            "--flags=C 2x3x4x8");
  Plan reduce =
      testing::oneLayerPlan({tensor(0, {2, 4, 4, 16}, TensorRole::kInput),
                             tensor(1, {2, 4, 4, 1}, TensorRole::kActivation)},
                            LayerKind::kReduce, {{"op", "prod"}, {"axis", 3}});
  EXPECT_EQ(benchdnnLine(reduce, reduce.layers[0]),
            "--reduction --sdt=f32 --ddt=f32 --dtag=abx --alg=mul "
            "2x4x4x16:2x4x4x1");
  reduce.layers[0].attrs["op"] = "argmax";
  EXPECT_EQ(benchdnnLine(reduce, reduce.layers[0]), "");
}

TEST(BenchdnnReproTest, EltwiseAndBinaryLinesAreOneProblemAsTheRunnerRunsIt) {
  using testing::tensor;
  // alpha and beta always given (benchdnn would also run 0.25 and -0.25),
  // to every digit.
  Plan clamp = testing::oneLayerPlan(
      {tensor(0, {1, 8}, TensorRole::kInput),
       tensor(1, {1, 8}, TensorRole::kActivation)},
      LayerKind::kEltwise,
      {{"op", "clamp"}, {"alpha", -0.1234567}, {"beta", 6}});
  EXPECT_EQ(benchdnnLine(clamp, clamp.layers[0]),
            "--eltwise --dir=FWD_I --dt=f32 --inplace=false --alg=clip "
            "--alpha=-0.1234567 --beta=6 1x8");
  // neg runs as oneDNN's linear, rsqrt as its power: the line says so.
  clamp.layers[0].attrs = {{"op", "neg"}};
  EXPECT_EQ(benchdnnLine(clamp, clamp.layers[0]),
            "--eltwise --dir=FWD_I --dt=f32 --inplace=false --alg=linear "
            "--alpha=-1 --beta=0 1x8");
  clamp.layers[0].attrs = {{"op", "rsqrt"}};
  EXPECT_NE(benchdnnLine(clamp, clamp.layers[0])
                .find("--alg=pow --alpha=1 --beta=-0.5 "),
            std::string::npos);
  // A weight times x: oneDNN broadcasts only its second source, so the
  // runner swaps them, and so does the line.
  Plan mul =
      testing::oneLayerPlan({tensor(0, {1, 1, 16}, TensorRole::kWeight),
                             tensor(1, {2, 5, 16}, TensorRole::kInput),
                             tensor(2, {2, 5, 16}, TensorRole::kActivation)},
                            LayerKind::kBinary, {{"op", "mul"}});
  EXPECT_EQ(benchdnnLine(mul, mul.layers[0]),
            "--binary --sdt=f32:f32 --ddt=f32 --inplace=false --alg=mul "
            "2x5x16:1x1x16");
  // Subtraction cannot swap: the runner skips it, and there is no line.
  mul.layers[0].attrs["op"] = "sub";
  EXPECT_EQ(benchdnnLine(mul, mul.layers[0]), "");
}

TEST(BenchdnnReproTest, TransposesAndCastsAreReordersConcatsConcat) {
  using testing::tensor;
  // BERT's head split: [B,S,H,D] -> [B,H,S,D] writes the source's dims in
  // the order a, c, b, d.
  Plan heads = testing::oneLayerPlan(
      {tensor(0, {8, 384, 16, 64}, TensorRole::kInput),
       tensor(1, {8, 16, 384, 64}, TensorRole::kActivation)},
      LayerKind::kTranspose, {{"perm", {0, 2, 1, 3}}});
  EXPECT_EQ(benchdnnLine(heads, heads.layers[0]),
            "--reorder --sdt=f32 --ddt=f32 --stag=abcd --dtag=acbd "
            "8x384x16x64");
  TensorDesc half = tensor(1, {2, 8}, TensorRole::kActivation);
  half.dtype = DType::kBF16;
  Plan cast =
      testing::oneLayerPlan({tensor(0, {2, 8}, TensorRole::kInput), half},
                            LayerKind::kCast, nlohmann::json::object());
  EXPECT_EQ(benchdnnLine(cast, cast.layers[0]),
            "--reorder --sdt=f32 --ddt=bf16 --stag=ab --dtag=ab 2x8");
  Plan concat =
      testing::oneLayerPlan({tensor(0, {1, 4, 4, 8}, TensorRole::kInput),
                             tensor(1, {1, 4, 4, 24}, TensorRole::kInput),
                             tensor(2, {1, 4, 4, 32}, TensorRole::kActivation)},
                            LayerKind::kConcat, {{"axis", 3}});
  EXPECT_EQ(benchdnnLine(concat, concat.layers[0]),
            "--concat --sdt=f32 --ddt=f32 --stag=abcd:abcd --dtag=abcd "
            "--axis=3 1x4x4x8:1x4x4x24");
  Plan slice =
      testing::oneLayerPlan({tensor(0, {1, 8}, TensorRole::kInput),
                             tensor(1, {1, 4}, TensorRole::kActivation)},
                            LayerKind::kSlice, {{"start", {0, 2}}});
  EXPECT_EQ(benchdnnLine(slice, slice.layers[0]), "")
      << "benchdnn's reorder takes no offset";
}

TEST(BenchdnnReproTest, GroupsAndTypesAsThisBenchdnnNamesThem) {
  Plan plan = testing::smallPlan();
  Layer &conv = plan.layers[0];
  conv.attrs["groups"] = 2;
  plan.tensors[conv.inputs[1]].shape[3] /= 2;
  EXPECT_NE(benchdnnLine(plan, conv).find(" g2mb1ic8ih8"), std::string::npos)
      << benchdnnLine(plan, conv);
  for (int64_t id : {conv.inputs[0], conv.inputs[1], conv.outputs[0]})
    plan.tensors[id].dtype = DType::kBF16;
  EXPECT_NE(benchdnnLine(plan, conv).find(" --cfg=bf16bf16bf16 "),
            std::string::npos)
      << benchdnnLine(plan, conv);
  plan.tensors[conv.outputs[0]].dtype = DType::kF32;
  EXPECT_NE(benchdnnLine(plan, conv).find(" --cfg=bf16bf16f32 "),
            std::string::npos);
  plan.tensors[conv.inputs[0]].dtype = DType::kBool;
  EXPECT_EQ(benchdnnLine(plan, conv), "") << "benchdnn has no bool type";
  // An inner product's full-shape binary post-op: benchdnn's ip dst is 2-d.
  Plan fc = testing::innerProductPlan();
  fc.layers[0].attrs["post_ops"] =
      nlohmann::json::parse(R"([{"kind":"binary","op":"add","input":3}])");
  EXPECT_NE(benchdnnLine(fc, fc.layers[0])
                .find("--attr-post-ops=add:f32:per_tensor:ab "),
            std::string::npos)
      << benchdnnLine(fc, fc.layers[0]);
}

TEST(OneDnnPrimitivesTest, Nhwc4dMapsToLogicalNchw) {
  TensorDesc t{0,           "x", {1, 7, 5, 3}, DType::kBF16, TensorRole::kInput,
               std::nullopt};
  EXPECT_EQ(logicalDims(t), dnnl::memory::dims({1, 3, 7, 5}));
  EXPECT_EQ(plainDesc(t).get_size(), size_t(1 * 7 * 5 * 3 * 2));
  EXPECT_FALSE(toDnnlType(DType::kBool));
}

TEST_F(OneDnnBackendTest, ConvolutionWithSumAndReluPostOps) {
  Plan plan = testing::convPostOpPlan();
  ASSERT_TRUE(validatePlan(plan).isOk());
  const Layer &conv = plan.layers[1];
  EXPECT_EQ(benchdnnLine(plan, conv),
            "--conv --dir=FWD_B --cfg=f32 --stag=any --wtag=any "
            "--dtag=any --attr-post-ops=sum+relu "
            "mb1ic8ih8iw8oc8oh8ow8kh3kw3sh1sw1ph1pw1dh0dw0n\"conv\"");
  LayerResult r = backend.measureLayer(plan, conv, quickOptions());
  ASSERT_EQ(r.measurement.status, ResultStatus::kOk) << r.measurement.reason;
  EXPECT_EQ(r.check.verdict, CheckVerdict::kPassed) << r.check.reason;
  EXPECT_GT(r.check.points, 0);
  // Without its post-ops the convolution is another problem.
  Plan bare = plan;
  bare.layers[1].attrs.erase("post_ops");
  bare.layers[1].inputs.pop_back();
  LayerResult plain =
      backend.measureLayer(bare, bare.layers[1], quickOptions());
  ASSERT_EQ(plain.measurement.status, ResultStatus::kOk);
  EXPECT_EQ(plain.check.verdict, CheckVerdict::kPassed);
  EXPECT_NE(computeLayerHash(bare, bare.layers[1]),
            computeLayerHash(plan, conv));
  // The whole model: in place (the sum's operand is dead after the layer)
  // and with a copy (the sum's operand is the model input, also the src).
  for (bool sumOfInput : {false, true}) {
    Plan model = testing::convPostOpPlan(sumOfInput);
    ModelResult m = backend.measureModel(model, quickOptions());
    EXPECT_EQ(m.measurement.status, ResultStatus::kOk)
        << sumOfInput << ": " << m.measurement.reason;
    LayerResult l =
        backend.measureLayer(model, model.layers[1], quickOptions());
    EXPECT_EQ(l.check.verdict, CheckVerdict::kPassed)
        << sumOfInput << ": " << l.check.reason;
  }
}

TEST_F(OneDnnBackendTest, ClampPostOpHasItsBounds) {
  Plan plan = testing::convPostOpPlan();
  plan.layers[1].attrs["post_ops"] = nlohmann::json::parse(
      R"([{"kind":"eltwise","op":"clamp","alpha":0.0,"beta":0.25}])");
  plan.layers[1].inputs.pop_back();
  ASSERT_TRUE(validatePlan(plan).isOk());
  EXPECT_NE(
      benchdnnLine(plan, plan.layers[1]).find("--attr-post-ops=clip:0:0.25 "),
      std::string::npos);
  LayerResult r = backend.measureLayer(plan, plan.layers[1], quickOptions());
  ASSERT_EQ(r.measurement.status, ResultStatus::kOk) << r.measurement.reason;
  EXPECT_EQ(r.check.verdict, CheckVerdict::kPassed) << r.check.reason;
}

TEST_F(OneDnnBackendTest, InnerProductWithBiasSumAndTanh) {
  Plan plan = testing::innerProductPlan();
  ASSERT_TRUE(validatePlan(plan).isOk());
  MeasureResponse r = measurePlan(backend, plan, quickOptions());
  ASSERT_EQ(r.layers.size(), 1u);
  const LayerResult &l = r.layers[0];
  ASSERT_EQ(l.measurement.status, ResultStatus::kOk) << l.measurement.reason;
  EXPECT_EQ(l.check.verdict, CheckVerdict::kPassed) << l.check.reason;
  EXPECT_FALSE(l.impl.empty());
  ASSERT_TRUE(r.model);
  EXPECT_EQ(r.model->measurement.status, ResultStatus::kOk)
      << r.model->measurement.reason;
  EXPECT_EQ(benchdnnLine(plan, plan.layers[0]),
            "--ip --dir=FWD_B --cfg=f32 --stag=any --wtag=any "
            "--dtag=any --attr-post-ops=sum+tanh mb4ic16oc8n\"fc\"");
  // BERT-large's dense layer, as PyTorch runs nn.Linear on oneDNN.
  Plan bert = testing::innerProductPlan(384, 1024, 1024);
  bert.layers[0].attrs.erase("post_ops");
  bert.layers[0].inputs.pop_back();
  EXPECT_EQ(benchdnnLine(bert, bert.layers[0]),
            "--ip --dir=FWD_B --cfg=f32 --stag=any --wtag=any "
            "--dtag=any mb384ic1024oc1024n\"fc\"");
}

TEST_F(OneDnnBackendTest, InfoListsInnerProductAndPostOps) {
  RunnerInfo info = backend.info();
  EXPECT_NE(std::find(info.kinds.begin(), info.kinds.end(), "inner_product"),
            info.kinds.end());
  EXPECT_EQ(info.extra["post_ops"],
            nlohmann::json({"sum", "eltwise", "binary"}));
}

/// Measures the one layer of `plan` and its whole model; both must run and
/// the layer's output must match the float64 reference.
void expectRunsAndPasses(OneDnnBackend &backend, const Plan &plan) {
  ASSERT_TRUE(validatePlan(plan).isOk()) << validatePlan(plan).message();
  MeasureResponse r = measurePlan(backend, plan, quickOptions());
  ASSERT_EQ(r.layers.size(), 1u);
  const LayerResult &l = r.layers[0];
  ASSERT_EQ(l.measurement.status, ResultStatus::kOk) << l.measurement.reason;
  EXPECT_EQ(l.check.verdict, CheckVerdict::kPassed) << l.check.reason;
  EXPECT_GT(l.check.points, 0);
  EXPECT_FALSE(l.impl.empty());
  ASSERT_TRUE(r.model);
  EXPECT_EQ(r.model->measurement.status, ResultStatus::kOk)
      << r.model->measurement.reason;
}

TEST_F(OneDnnBackendTest, MatmulWithGelu) {
  for (const char *gelu : {"gelu_erf", "gelu_tanh"}) {
    nlohmann::json postOps = {{{"kind", "eltwise"}, {"op", gelu}}};
    Plan plan = testing::matmulPostOpPlan(postOps, {});
    expectRunsAndPasses(backend, plan);
    EXPECT_EQ(benchdnnLine(plan, plan.layers[0]),
              std::string("--matmul --cfg=f32 --wtag=any "
                          "--attr-post-ops=") +
                  gelu + " 2x4x16:2x16x8n\"mm\"");
  }
  // Without post-ops the line is the plain matmul's.
  Plan bare = testing::matmulPostOpPlan(nlohmann::json::array(), {});
  EXPECT_EQ(benchdnnLine(bare, bare.layers[0]),
            "--matmul --cfg=f32 --wtag=any 2x4x16:2x16x8n\"mm\"");
}

/// Attention's scores: a scale by a constant, then a residual sum.
TEST_F(OneDnnBackendTest, MatmulWithScaleAndSum) {
  Plan plan = testing::matmulPostOpPlan(
      nlohmann::json::parse(R"([{"kind":"binary","op":"mul","input":2},
                                {"kind":"sum","input":3}])"),
      {{{1, 1, 1}, 0.125}, {{2, 4, 8}}});
  expectRunsAndPasses(backend, plan);
  EXPECT_EQ(benchdnnLine(plan, plan.layers[0]),
            "--matmul --cfg=f32 --wtag=any "
            "--attr-post-ops=mul:f32:common+sum 2x4x16:2x16x8n\"mm\"");
  // A division by the constant runs and checks as well.
  Plan model = plan;
  model.layers[0].attrs["post_ops"][0]["op"] = "div";
  model.layers[0].hash = computeLayerHash(model, model.layers[0]);
  LayerResult l = backend.measureLayer(model, model.layers[0], quickOptions());
  ASSERT_EQ(l.measurement.status, ResultStatus::kOk) << l.measurement.reason;
  EXPECT_EQ(l.check.verdict, CheckVerdict::kPassed) << l.check.reason;
}

/// A mask broadcast over rows, a full-shape operand, and an inner product
/// with a per-column binary post-op.
TEST_F(OneDnnBackendTest, BinaryPostOpBroadcasts) {
  Plan mask = testing::matmulPostOpPlan(
      nlohmann::json::parse(R"([{"kind":"binary","op":"add","input":2},
                                {"kind":"eltwise","op":"silu"}])"),
      {{{2, 1, 8}}});
  expectRunsAndPasses(backend, mask);
  EXPECT_EQ(benchdnnLine(mask, mask.layers[0]), "")
      << "benchdnn names no policy for a [B,1,N] operand";
  // Llama's causal mask [1,S,S] on the scores of every head.
  Plan causal = testing::matmulPostOpPlan(
      nlohmann::json::parse(R"([{"kind":"binary","op":"mul","input":2},
                                {"kind":"binary","op":"add","input":3}])"),
      {{{1, 1, 1}, 0.125}, {{1, 4, 8}}}, 4);
  expectRunsAndPasses(backend, causal);
  Plan full = testing::matmulPostOpPlan(
      nlohmann::json::parse(R"([{"kind":"binary","op":"max","input":2}])"),
      {{{2, 4, 8}}});
  expectRunsAndPasses(backend, full);
  EXPECT_NE(benchdnnLine(full, full.layers[0])
                .find("--attr-post-ops=max:f32:per_tensor:abc "),
            std::string::npos);
  Plan fc = testing::innerProductPlan();
  fc.tensors[3].shape = {1, 1, 8};
  fc.layers[0].attrs["post_ops"] = nlohmann::json::parse(
      R"([{"kind":"binary","op":"mul","input":3},
          {"kind":"eltwise","op":"gelu_erf"}])");
  fc.layers[0].hash = computeLayerHash(fc, fc.layers[0]);
  expectRunsAndPasses(backend, fc);
  EXPECT_NE(benchdnnLine(fc, fc.layers[0])
                .find("--attr-post-ops=mul:f32:per_oc+gelu_erf mb4ic16oc8"),
            std::string::npos)
      << benchdnnLine(fc, fc.layers[0]);
}

} // namespace
} // namespace goodhart::onednn
