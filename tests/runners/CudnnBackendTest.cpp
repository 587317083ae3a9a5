//===- CudnnBackendTest.cpp - The cuDNN runner without and with a GPU -----===//
//
// CI has no GPU: these tests check what must hold there (a clean
// "unavailable", engine names) and skip, with the reason, what needs one.
//
//===----------------------------------------------------------------------===//

#include "runners/cudnn/CudnnBackend.h"
#include "runners/cudnn/CudnnGraph.h"
#include "runners/cudnn/CudnnPeak.h"
#include "runners/cudnn/CudnnVersions.h"

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
  auto g = graphTensor(t, 9, DeviceLayout::kNhwc);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->uid, 9);
  EXPECT_EQ(g->dims, std::vector<int64_t>({2, 3, 7, 5}));
  EXPECT_EQ(g->strides, std::vector<int64_t>({105, 1, 15, 3}));
  EXPECT_EQ(g->type, CUDNN_DATA_BFLOAT16);
  g = graphTensor(t, 9, DeviceLayout::kNchw);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->dims, std::vector<int64_t>({2, 3, 7, 5}));
  EXPECT_EQ(g->strides, std::vector<int64_t>({105, 35, 5, 1}));
  // Conv weights [OC,KH,KW,IC] are [OC,IC,KH,KW] (KRSC, or KCRS in NCHW).
  TensorDesc w{
      1, "w", {16, 3, 3, 8}, DType::kF32, TensorRole::kWeight, std::nullopt};
  auto f = graphTensor(w, 2, DeviceLayout::kNhwc);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->dims, std::vector<int64_t>({16, 8, 3, 3}));
  EXPECT_EQ(f->strides, std::vector<int64_t>({72, 1, 24, 8}));
  f = graphTensor(w, 2, DeviceLayout::kNchw);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->strides, std::vector<int64_t>({72, 9, 3, 1}));
  // Lower ranks: the last plan dimension is C, as for a conv's bias.
  TensorDesc v{2,           "v", {1, 10}, DType::kF32, TensorRole::kActivation,
               std::nullopt};
  auto vg = graphTensor(v, 3, DeviceLayout::kNchw);
  ASSERT_TRUE(vg);
  EXPECT_EQ(vg->dims, std::vector<int64_t>({1, 10, 1, 1}));
  EXPECT_EQ(vg->strides[1], 1);
  TensorDesc big{
      3,           "big", {2, 2, 2, 2, 2}, DType::kF32, TensorRole::kActivation,
      std::nullopt};
  EXPECT_EQ(graphTensor(big, 4, DeviceLayout::kNhwc).status().code(),
            StatusCode::kUnsupported);
}

TEST(CudnnGraphTest, NumericalNotesHaveReadableNames) {
  EXPECT_EQ(numericalNoteName(CUDNN_NUMERICAL_NOTE_TENSOR_CORE), "TENSOR_CORE");
  EXPECT_EQ(numericalNoteName(CUDNN_NUMERICAL_NOTE_DOWN_CONVERT_INPUTS),
            "DOWN_CONVERT_INPUTS");
  EXPECT_EQ(numericalNoteName(CUDNN_NUMERICAL_NOTE_WINOGRAD_TILE_4x4),
            "WINOGRAD_TILE_4x4");
}

TEST(CudnnGraphTest, StrictF32RejectsTensorCoreAndDownConvertingEngines) {
  EngineFilter strict{true}, tf32{false};
  std::vector<cudnnBackendNumericalNote_t> tensorCore = {
      CUDNN_NUMERICAL_NOTE_TENSOR_CORE};
  std::vector<cudnnBackendNumericalNote_t> downConvert = {
      CUDNN_NUMERICAL_NOTE_WINOGRAD, CUDNN_NUMERICAL_NOTE_DOWN_CONVERT_INPUTS};
  std::vector<cudnnBackendNumericalNote_t> reduced = {
      CUDNN_NUMERICAL_NOTE_REDUCED_PRECISION_REDUCTION};
  std::vector<cudnnBackendNumericalNote_t> fft = {
      CUDNN_NUMERICAL_NOTE_FFT, CUDNN_NUMERICAL_NOTE_NONDETERMINISTIC};
  EXPECT_FALSE(engineAllowed(strict, tensorCore));
  EXPECT_FALSE(engineAllowed(strict, downConvert));
  EXPECT_FALSE(engineAllowed(strict, reduced));
  EXPECT_TRUE(engineAllowed(strict, fft));
  EXPECT_TRUE(engineAllowed(strict, {}));
  EXPECT_TRUE(engineAllowed(tf32, tensorCore));
  EXPECT_TRUE(engineAllowed(tf32, downConvert));
}

TEST(CudnnVersionsTest, VersionsAreReadWithoutAGpu) {
  EXPECT_EQ(dottedVersion(91900), "9.19.0");
  EXPECT_EQ(dottedVersion(130100), "13.1.0");
  EXPECT_EQ(cudaVersion(13000), "13.0");
  EXPECT_EQ(cudaVersion(12080), "12.8");
  EXPECT_EQ(cudaVersion(0), "none");
  nlohmann::json v = libraryVersions();
  EXPECT_EQ(v["cudnn_header_version"], dottedVersion(CUDNN_VERSION));
  EXPECT_EQ(v["cublaslt_header_version"], dottedVersion(CUBLAS_VERSION));
  for (const char *key :
       {"cudnn_version", "cublaslt_version", "cublaslt_cudart_version",
        "cuda_runtime_version", "cuda_driver_version"})
    EXPECT_TRUE(v.contains(key) && v[key].is_string()) << key;
  // The cuDNN this test runs with is a cuDNN 9.
  EXPECT_EQ(v["cudnn_version"].get<std::string>().rfind("9.", 0), 0u);
}

TEST(CudnnPeakTest, ThePeakMatmulIsAValidSquareMatmul) {
  Plan plan = peakMatmulPlan(DType::kBF16, 64);
  ASSERT_TRUE(validatePlan(plan).isOk()) << validatePlan(plan).message();
  ASSERT_EQ(plan.layers.size(), 1u);
  EXPECT_EQ(plan.layers[0].kind, LayerKind::kMatMul);
  EXPECT_EQ(plan.layers[0].flops, 2 * 64 * 64 * 64);
  EXPECT_EQ(plan.layers[0].hash, computeLayerHash(plan, plan.layers[0]));
  for (const TensorDesc &t : plan.tensors) {
    EXPECT_EQ(t.dtype, DType::kBF16);
    EXPECT_EQ(t.shape, (std::vector<int64_t>{1, 64, 64}));
  }
  EXPECT_EQ(peakDtypes().size(), 3u);
}

TEST(CudnnBackendTest, WithoutAGpuItIsUnavailableNotBroken) {
  CudnnBackend backend;
  Status s = backend.initialize();
  if (s.isOk())
    GTEST_SKIP() << "a GPU is present: this test covers machines without";
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_FALSE(s.message().empty());
  RunnerInfo info = backend.info();
  EXPECT_EQ(info.name, "cudnn");
  EXPECT_EQ(info.device, "no device");
  EXPECT_EQ(info.runnerVersion, "0.10.0");
  EXPECT_EQ(info.libraryVersion,
            info.extra["cudnn_version"].get<std::string>());
  // Post-ops and inner products run (after the layer, on cuBLASLt).
  EXPECT_EQ(info.extra["post_ops"],
            nlohmann::json::array({"sum", "eltwise", "binary"}));
  EXPECT_NE(std::find(info.kinds.begin(), info.kinds.end(), "inner_product"),
            info.kinds.end());
  EXPECT_TRUE(info.extra.contains("cublaslt_version"));
  EXPECT_TRUE(info.extra.contains("cuda_driver_version"));
}

/// matmul -> broadcast bias add -> layer norm -> softmax -> transpose ->
/// slice -> concat -> reduce, a cast to bf16 and a bias minus the
/// activations (the first operand broadcasts): the kinds transformer plans
/// add.
Plan transformerKindsPlan() {
  using testing::tensor;
  Plan p;
  p.model = "kinds";
  p.variant = "reference";
  p.tensors = {
      tensor(0, {1, 8, 16}, TensorRole::kInput),
      tensor(1, {1, 16, 32}, TensorRole::kWeight),
      tensor(2, {1, 8, 32}, TensorRole::kActivation),
      tensor(3, {1, 1, 32}, TensorRole::kWeight),
      tensor(4, {1, 8, 32}, TensorRole::kActivation),
      tensor(5, {1, 1, 32}, TensorRole::kWeight),
      tensor(6, {1, 1, 32}, TensorRole::kWeight),
      tensor(7, {1, 8, 32}, TensorRole::kActivation),
      tensor(8, {1, 8, 32}, TensorRole::kActivation),
      tensor(9, {1, 32, 8}, TensorRole::kActivation),
      tensor(10, {1, 30, 8}, TensorRole::kActivation),
      tensor(11, {1, 60, 8}, TensorRole::kActivation),
      tensor(12, {1, 60, 1}, TensorRole::kActivation),
      tensor(13, {1, 60, 8}, TensorRole::kActivation),
      tensor(14, {1, 8, 32}, TensorRole::kActivation),
  };
  p.tensors[13].dtype = DType::kBF16;
  auto layer = [](int64_t id, LayerKind kind, std::vector<int64_t> in,
                  int64_t out, nlohmann::json attrs) {
    return testing::makeLayer(id, "l" + std::to_string(id), kind, std::move(in),
                              out, std::move(attrs));
  };
  p.layers = {
      layer(0, LayerKind::kMatMul, {0, 1}, 2, nlohmann::json::object()),
      layer(1, LayerKind::kBinary, {2, 3}, 4, {{"op", "add"}}),
      layer(2, LayerKind::kNorm, {4, 5, 6}, 7,
            {{"op", "layer_norm"}, {"epsilon", 1e-5}}),
      layer(3, LayerKind::kSoftmax, {7}, 8, {{"axis", 2}}),
      layer(4, LayerKind::kTranspose, {8}, 9, {{"perm", {0, 2, 1}}}),
      layer(5, LayerKind::kSlice, {9}, 10, {{"start", {0, 1, 0}}}),
      layer(6, LayerKind::kConcat, {10, 10}, 11, {{"axis", 1}}),
      layer(7, LayerKind::kReduce, {11}, 12, {{"op", "sum"}, {"axis", 2}}),
      layer(8, LayerKind::kCast, {11}, 13, nlohmann::json::object()),
      layer(9, LayerKind::kBinary, {3, 4}, 14, {{"op", "sub"}}),
  };
  p.inputs = {0};
  p.outputs = {12, 13, 14};
  for (Layer &l : p.layers)
    l.hash = computeLayerHash(p, l);
  return p;
}

/// The GPU cases: skipped, with the reason, where no GPU answers.
class CudnnOnAGpuTest : public ::testing::Test {
protected:
  void SetUp() override {
    Status s = backend.initialize();
    if (!s.isOk())
      GTEST_SKIP() << "no GPU here: " << s.message();
  }
  CudnnBackend backend;
};

/// What must hold of any GPU run: no errors, skips say why, measured
/// layers pass the strict check, telemetry or the reason it is missing.
void expectSoundRun(const MeasureResponse &r) {
  for (const LayerResult &l : r.layers) {
    EXPECT_NE(l.measurement.status, ResultStatus::kError)
        << l.id << ": " << l.measurement.reason;
    if (l.measurement.status == ResultStatus::kSkipped) {
      EXPECT_FALSE(l.measurement.reason.empty()) << l.id;
      continue;
    }
    EXPECT_EQ(l.check.verdict, CheckVerdict::kPassed)
        << l.id << " " << l.impl << ": " << l.check.reason;
    EXPECT_TRUE(l.measurement.extra.contains("sm_clock_mhz") ||
                l.measurement.extra.contains("nvml"))
        << l.measurement.extra.dump();
  }
}

TEST_F(CudnnOnAGpuTest, MeasuresTheSmallPlanStrictF32OnAGpu) {
  MeasureResponse r = measurePlan(backend, testing::smallPlan(),
                                  testing::deterministicOptions());
  expectSoundRun(r);
  EXPECT_EQ(r.layers[0].measurement.status, ResultStatus::kOk)
      << r.layers[0].measurement.reason;
  EXPECT_NE(r.layers[0].impl.find("[strict f32]"), std::string::npos)
      << r.layers[0].impl;
  EXPECT_NE(r.layers[0].repro.find("allow_tf32=False"), std::string::npos);
  ASSERT_TRUE(r.model);
  EXPECT_EQ(r.model->measurement.status, ResultStatus::kOk)
      << r.model->measurement.reason;
  // Layers time the device's work behind a blocking kernel; the whole
  // model keeps the host's launches.
  EXPECT_EQ(r.layers[0].measurement.extra.value("timing", ""),
            "device work only (blocking kernel)")
      << r.layers[0].measurement.extra.dump();
  EXPECT_FALSE(r.layers[0].measurement.extra.contains("blocking_timeouts"))
      << r.layers[0].measurement.extra.dump();
  EXPECT_EQ(r.model->measurement.extra.value("timing", ""),
            "from the host's first launch");
  // With NVML the whole model's power comes from an energy window, or the
  // extra says why not.
  const nlohmann::json &extra = r.model->measurement.extra;
  if (!extra.contains("nvml")) {
    EXPECT_TRUE(extra.value("power_source", "") == "energy window" ||
                extra.contains("energy_window"))
        << extra.dump();
    if (extra.contains("power_source")) {
      EXPECT_GT(extra["power_w"].get<double>(), 0);
      EXPECT_GE(extra["energy_wall_ms"].get<double>(), 250);
    }
  }
}

TEST_F(CudnnOnAGpuTest, MeasuresItsPeakOncePerProcessOnAGpu) {
  MeasureOptions o = testing::deterministicOptions();
  o.measurePeak = true;
  measurePlan(backend, testing::smallPlan(), o);
  nlohmann::json peaks =
      backend.info().extra.value("peak_gflops", nlohmann::json());
  ASSERT_TRUE(peaks.is_object()) << backend.info().extra.dump();
  for (const char *dtype : {"bf16", "f16", "f32"})
    EXPECT_GT(peaks.value(dtype, 0.0), 0) << dtype << ": " << peaks.dump();
  // Tensor cores: half precision well above strict f32.
  EXPECT_GT(peaks.value("bf16", 0.0), 4 * peaks.value("f32", 0.0))
      << peaks.dump();
  // A device copy: hundreds of GB/s at least on any GPU cuDNN 9 runs on.
  nlohmann::json extra = backend.info().extra;
  ASSERT_TRUE(extra.contains("peak_gbs")) << extra.dump();
  EXPECT_GT(extra["peak_gbs"].get<double>(), 100) << extra.dump();
}

TEST_F(CudnnOnAGpuTest, Tf32AndNchwAreMeasurementOptionsOnAGpu) {
  MeasureOptions o = testing::deterministicOptions();
  o.layout = "nchw";
  MeasureResponse r = measurePlan(backend, testing::smallPlan(), o);
  expectSoundRun(r);
  EXPECT_EQ(r.layers[0].measurement.status, ResultStatus::kOk)
      << r.layers[0].measurement.reason;
  EXPECT_EQ(r.layers[0].repro.find("channels_last"), std::string::npos);
  // The flattening reshape of an NCHW-stored tensor moves data: a copy,
  // checked like any layer, and the whole model runs.
  ASSERT_EQ(r.layers.size(), 6u);
  EXPECT_EQ(r.layers[4].measurement.status, ResultStatus::kOk)
      << r.layers[4].measurement.reason;
  EXPECT_NE(r.layers[4].impl.find("goodhart strided copy"), std::string::npos)
      << r.layers[4].impl;
  ASSERT_TRUE(r.model);
  EXPECT_EQ(r.model->measurement.status, ResultStatus::kOk)
      << r.model->measurement.reason;
  o = testing::deterministicOptions();
  o.tf32 = true;
  o.check = false; // TF32 does not meet the f32 tolerance
  r = measurePlan(backend, testing::smallPlan(), o);
  EXPECT_NE(r.layers[0].impl.find("[tf32 allowed]"), std::string::npos)
      << r.layers[0].impl;
}

TEST_F(CudnnOnAGpuTest, TransformerKindsRunOrSayWhyOnAGpu) {
  MeasureOptions o = testing::deterministicOptions();
  o.mode = MeasureMode::kLayers;
  MeasureResponse r = measurePlan(backend, transformerKindsPlan(), o);
  ASSERT_EQ(r.layers.size(), 10u);
  expectSoundRun(r);
  // The transpose (tiled), the cast and the broadcast of sub's first
  // operand run on goodhart's copy kernel.
  for (size_t i : {4u, 8u, 9u}) {
    EXPECT_EQ(r.layers[i].measurement.status, ResultStatus::kOk)
        << r.layers[i].measurement.reason;
    EXPECT_NE(r.layers[i].impl.find("goodhart strided copy"), std::string::npos)
        << r.layers[i].impl;
  }
  for (const LayerResult &l : r.layers)
    std::cerr << "layer " << l.id << " "
              << resultStatusName(l.measurement.status) << " " << l.impl
              << l.measurement.reason << "\n";
}

/// Post-ops (sum, eltwise, binary) run after their layer as in-place
/// pointwise kernels, and inner products on cuBLASLt: each passes the
/// float64 check, and the implementation names the post-ops.
TEST_F(CudnnOnAGpuTest, PostOpsAndInnerProductsRunAndPassTheCheckOnAGpu) {
  MeasureOptions o = testing::deterministicOptions();
  o.mode = MeasureMode::kLayers;
  std::vector<Plan> plans = {
      testing::convPostOpPlan(), testing::convPostOpPlan(true),
      testing::innerProductPlan(),
      testing::matmulPostOpPlan(
          nlohmann::json::parse(R"([{"kind":"binary","op":"mul","input":2},
                                    {"kind":"eltwise","op":"gelu_erf"}])"),
          {{{1, 1, 1}, 0.125}})};
  for (const Plan &plan : plans) {
    MeasureResponse r = measurePlan(backend, plan, o);
    expectSoundRun(r);
    const LayerResult &l = r.layers.back();
    EXPECT_EQ(l.measurement.status, ResultStatus::kOk)
        << plan.model << ": " << l.measurement.reason;
    EXPECT_NE(l.impl.find("+ post-ops "), std::string::npos)
        << plan.model << ": " << l.impl;
    EXPECT_NE(l.repro.find("; y="), std::string::npos) << l.repro;
    // An inner product's bias: cuBLASLt's epilogue, or a kernel after it
    // where the heuristic has no algorithm with one.
    if (plan.layers.back().kind == LayerKind::kInnerProduct) {
      EXPECT_TRUE(l.impl.find("+ bias epilogue") != std::string::npos ||
                  l.impl.find("(a second kernel)") != std::string::npos)
          << l.impl;
    }
  }
}

/// `plan` with every tensor in bf16 (as the benchmarked models run).
Plan asBf16(Plan plan) {
  for (TensorDesc &t : plan.tensors)
    t.dtype = DType::kBF16;
  for (Layer &l : plan.layers)
    l.hash = computeLayerHash(plan, l);
  return plan;
}

/// With fusion "graph" a convolution, its bias and post-ops are one cuDNN
/// graph and a GEMM's bias, residual sum, scale and ReLU are cuBLASLt's
/// epilogue, alpha and beta (CudnnFusionTest covers which); where the
/// library has no engine, the eager kernels run and the implementation
/// says why. Either way the float64 check passes.
TEST_F(CudnnOnAGpuTest, GraphFusionRunsAndPassesTheCheckOnAGpu) {
  MeasureOptions o = testing::deterministicOptions();
  o.mode = MeasureMode::kLayers;
  o.fusion = "graph";
  const Plan scaledRelu = testing::matmulPostOpPlan(
      nlohmann::json::parse(R"([{"kind":"binary","op":"mul","input":2},
                                {"kind":"eltwise","op":"relu"}])"),
      {{{1, 1, 1}, 0.125}});
  struct Case {
    Plan plan;
    std::vector<const char *> impls; // one of them is in the impl
  };
  const char *kConvFused = "+ bias, sum, relu fused (one cuDNN graph)";
  const char *kNotFused = "[no graph fusion: ";
  std::vector<Case> cases = {
      {testing::convPostOpPlan(), {kConvFused, kNotFused}},
      {asBf16(testing::convPostOpPlan()), {kConvFused, kNotFused}},
      {testing::innerProductPlan(),
       {"+ residual as C (beta 1), bias epilogue", kNotFused}},
      {asBf16(testing::innerProductPlan(64, 64, 64)),
       {"+ residual as C (beta 1), bias epilogue", kNotFused}},
      {scaledRelu, {"+ alpha 0.125, relu epilogue", kNotFused}},
  };
  int fused = 0;
  for (const Case &c : cases) {
    MeasureResponse r = measurePlan(backend, c.plan, o);
    expectSoundRun(r);
    const LayerResult &l = r.layers.back();
    std::cerr << "layer " << c.plan.model << " "
              << resultStatusName(l.measurement.status) << " " << l.impl
              << l.measurement.reason << "\n";
    EXPECT_EQ(l.measurement.status, ResultStatus::kOk)
        << c.plan.model << ": " << l.measurement.reason;
    bool named = false;
    for (const char *impl : c.impls)
      named = named || l.impl.find(impl) != std::string::npos;
    EXPECT_TRUE(named) << l.impl;
    fused += l.impl.find(kNotFused) == std::string::npos;
    EXPECT_NE(l.repro.find("# goodhart fused"), std::string::npos) << l.repro;
  }
  // cuBLASLt has a bias and a ReLU epilogue for plain f32 and bf16 GEMMs.
  EXPECT_GE(fused, 3);
}

/// Rank-5 pointwise ops (a [B,S,KV,G,D] attention tensor): a broadcast
/// add, a ReLU and a sub whose first operand broadcasts run on merged
/// 4-d views and pass the check.
TEST_F(CudnnOnAGpuTest, PointwiseOpsAboveRankFourRunOnAGpu) {
  using testing::tensor;
  Plan p;
  p.model = "rank5";
  p.variant = "reference";
  p.tensors = {tensor(0, {2, 3, 4, 5, 6}, TensorRole::kInput),
               tensor(1, {1, 1, 4, 5, 6}, TensorRole::kWeight),
               tensor(2, {2, 3, 4, 5, 6}, TensorRole::kActivation),
               tensor(3, {2, 3, 4, 5, 6}, TensorRole::kActivation),
               tensor(4, {2, 3, 4, 5, 6}, TensorRole::kActivation)};
  auto layer = [](int64_t id, LayerKind kind, std::vector<int64_t> in,
                  int64_t out, const char *op) {
    return testing::makeLayer(id, op, kind, std::move(in), out, {{"op", op}});
  };
  p.layers = {layer(0, LayerKind::kBinary, {0, 1}, 2, "add"),
              layer(1, LayerKind::kEltwise, {2}, 3, "relu"),
              layer(2, LayerKind::kBinary, {1, 3}, 4, "sub")};
  p.inputs = {0};
  p.outputs = {4};
  for (Layer &l : p.layers)
    l.hash = computeLayerHash(p, l);
  MeasureResponse r = measurePlan(backend, p, testing::deterministicOptions());
  expectSoundRun(r);
  for (const LayerResult &l : r.layers)
    EXPECT_EQ(l.measurement.status, ResultStatus::kOk)
        << l.id << ": " << l.measurement.reason;
  ASSERT_TRUE(r.model);
  EXPECT_EQ(r.model->measurement.status, ResultStatus::kOk)
      << r.model->measurement.reason;
}

} // namespace
} // namespace goodhart::cuda
