//===- OneDnnBackendTest.cpp - The oneDNN backend on tiny plans -----------===//

#include "runners/onednn/OneDnnBackend.h"
#include "runners/onednn/OneDnnPrimitives.h"

#include "TestPlans.h"

#include <gtest/gtest.h>

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
            "--conv --dir=FWD_I --dt=f32:f32:f32 --stag=any --wtag=any "
            "--dtag=any g1mb1ic8ih8iw8oc16oh8ow8kh3kw3sh1sw1ph1pw1dh0dw0"
            "n\"conv\"");
  EXPECT_EQ(benchdnnLine(plan, plan.layers[2]),
            "--pool --dir=FWD_I --dt=f32 --tag=acdb --alg=max "
            "mb1ic16ih8iw8oh4ow4kh2kw2sh2sw2ph0pw0n\"pool\"");
  EXPECT_EQ(benchdnnLine(plan, plan.layers[5]),
            "--matmul --dt=f32:f32:f32 --wtag=any 1x1x256:1x256x10n\"fc\"");
  EXPECT_EQ(benchdnnLine(plan, plan.layers[1]),
            "--eltwise --dir=FWD_I --dt=f32 --tag=acdb --alg=relu 1x16x8x8");
  EXPECT_EQ(benchdnnLine(plan, plan.layers[4]), "");
}

TEST(OneDnnPrimitivesTest, Nhwc4dMapsToLogicalNchw) {
  TensorDesc t{0,           "x", {1, 7, 5, 3}, DType::kBF16, TensorRole::kInput,
               std::nullopt};
  EXPECT_EQ(logicalDims(t), dnnl::memory::dims({1, 3, 7, 5}));
  EXPECT_EQ(plainDesc(t).get_size(), size_t(1 * 7 * 5 * 3 * 2));
  EXPECT_FALSE(toDnnlType(DType::kBool));
}

} // namespace
} // namespace goodhart::onednn
