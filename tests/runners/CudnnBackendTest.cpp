//===- CudnnBackendTest.cpp - The cuDNN runner without and with a GPU -----===//
//
// CI has no GPU: these tests check what must hold there (a clean
// "unavailable", engine names) and skip, with the reason, what needs one.
//
//===----------------------------------------------------------------------===//

#include "runners/cudnn/CudnnBackend.h"
#include "runners/cudnn/CudnnGraph.h"

#include "TestPlans.h"

#include <gtest/gtest.h>

namespace goodhart::cuda {
namespace {

TEST(CudnnGraphTest, EngineNameKeepsIdAndKnobs) {
  std::string json = R"({"cudnnVersion":91900,"operationGraph":{"x":1},
    "engine":{"engineId":67,"smVersion":900,"knobChoices":{
      "CUDNN_KNOB_TYPE_TILE_SIZE":8,"CUDNN_KNOB_TYPE_WORKSPACE":1}}})";
  EXPECT_EQ(engineName(json), "engine 67 TILE_SIZE=8 WORKSPACE=1");
  EXPECT_EQ(engineName("not json"), "not json");
}

TEST(CudnnGraphTest, Nhwc4dTensorsGetNchwDimsWithNhwcStrides) {
  TensorDesc t{0,           "x", {2, 7, 5, 3}, DType::kBF16, TensorRole::kInput,
               std::nullopt};
  GraphTensor g = graphTensor(t, 9);
  EXPECT_EQ(g.dims, std::vector<int64_t>({2, 3, 7, 5}));
  EXPECT_EQ(g.strides, std::vector<int64_t>({105, 1, 15, 3}));
  EXPECT_EQ(g.type, CUDNN_DATA_BFLOAT16);
  TensorDesc w{
      1, "w", {16, 3, 3, 8}, DType::kF32, TensorRole::kWeight, std::nullopt};
  GraphTensor f = filterTensor(w, 2);
  EXPECT_EQ(f.dims, std::vector<int64_t>({16, 8, 3, 3}));
  EXPECT_EQ(f.strides, std::vector<int64_t>({72, 1, 24, 8}));
  TensorDesc v{2,           "v", {1, 10}, DType::kF32, TensorRole::kActivation,
               std::nullopt};
  EXPECT_EQ(graphTensor(v, 3).dims, std::vector<int64_t>({1, 1, 1, 10}));
}

TEST(CudnnBackendTest, WithoutAGpuItIsUnavailableNotBroken) {
  CudnnBackend backend;
  Status s = backend.initialize();
  if (s.isOk())
    GTEST_SKIP() << "a GPU is present: this test covers machines without";
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_FALSE(s.message().empty());
  EXPECT_EQ(backend.info().name, "cudnn");
  EXPECT_EQ(backend.info().device, "no device");
}

TEST(CudnnBackendTest, MeasuresTheSmallPlanOnAGpu) {
  CudnnBackend backend;
  Status s = backend.initialize();
  if (!s.isOk())
    GTEST_SKIP() << "no GPU here: " << s.message();
  MeasureResponse r = measurePlan(backend, testing::smallPlan(),
                                  testing::deterministicOptions());
  for (const LayerResult &l : r.layers)
    if (l.measurement.status == ResultStatus::kOk)
      EXPECT_NE(l.check.verdict, CheckVerdict::kMistrusted) << l.id;
}

} // namespace
} // namespace goodhart::cuda
