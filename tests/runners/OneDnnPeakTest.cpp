//===- OneDnnPeakTest.cpp - The peak GEMM and its place in runner info ----===//

#include "runners/onednn/OneDnnPeak.h"

#include "runners/onednn/OneDnnBackend.h"

#include "TestPlans.h"

#include <gtest/gtest.h>

namespace goodhart::onednn {
namespace {

// Small sizes keep these fast; real runs use 2048^3. No assertion is on a
// time: only that one was measured and reported where it belongs.
constexpr PeakOptions kSmall{128, 1, int64_t(1) << 20};

TEST(OneDnnPeakTest, MeasuresF32MatmulGflops) {
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  StatusOr<double> gflops =
      measureMatmulGflops(engine, stream, dnnl::memory::data_type::f32, kSmall);
  ASSERT_TRUE(gflops) << gflops.status().message();
  EXPECT_GT(*gflops, 0);
  StatusOr<double> bad =
      measureMatmulGflops(engine, stream, dnnl::memory::data_type::f32, {0, 1});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidInput);
}

TEST(OneDnnPeakTest, MeasuresCopyGbs) {
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  StatusOr<double> gbs = measureCopyGbs(engine, stream, kSmall);
  ASSERT_TRUE(gbs) << gbs.status().message();
  EXPECT_GT(*gbs, 0);
  PeakOptions empty = kSmall;
  empty.copyBytes = 2; // less than one element
  StatusOr<double> bad = measureCopyGbs(engine, stream, empty);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(bad.status().message().find("peak copy"), std::string::npos);
}

TEST(OneDnnPeakTest, Bf16OnlyWhereTheIsaHasIt) {
  EXPECT_TRUE(isaHasBf16("avx512_core_bf16"));
  EXPECT_TRUE(isaHasBf16("avx512_core_amx"));
  EXPECT_FALSE(isaHasBf16("avx512_core"));
  EXPECT_FALSE(isaHasBf16("avx2"));
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  nlohmann::json f32Only = measurePeaks(engine, stream, "avx2", kSmall);
  EXPECT_GT(f32Only.value("f32", 0.0), 0) << f32Only.dump();
  EXPECT_FALSE(f32Only.contains("bf16"));
  std::string isa = effectiveIsaName();
  if (!isaHasBf16(isa))
    GTEST_SKIP() << "no bf16 on this CPU (" << isa << ")";
  nlohmann::json both = measurePeaks(engine, stream, isa, kSmall);
  EXPECT_GT(both.value("bf16", 0.0), 0) << both.dump();
}

TEST(OneDnnPeakTest, BackendReportsThePeakOnlyWhenAsked) {
  OneDnnBackend backend;
  ASSERT_TRUE(backend.initialize().isOk());
  Plan plan = testing::smallPlan();
  MeasureOptions off = testing::deterministicOptions();
  MeasureResponse r = measurePlan(backend, plan, off);
  EXPECT_FALSE(r.runner.extra.contains("peak_gflops"));
  EXPECT_FALSE(r.runner.extra.contains("peak_gbs"));
  MeasureOptions on = off;
  on.measurePeak = true;
  on.mode = MeasureMode::kModel;
  r = measurePlan(backend, plan, on);
  ASSERT_TRUE(r.runner.extra.contains("peak_gflops")) << r.runner.toJson();
  EXPECT_GT(r.runner.extra["peak_gflops"].value("f32", 0.0), 0);
  ASSERT_TRUE(r.runner.extra.contains("peak_gbs")) << r.runner.toJson();
  EXPECT_GT(r.runner.extra["peak_gbs"].get<double>(), 0);
  // Once per runner: later answers repeat the same numbers.
  EXPECT_EQ(backend.info().extra["peak_gflops"], r.runner.extra["peak_gflops"]);
  EXPECT_EQ(backend.info().extra["peak_gbs"], r.runner.extra["peak_gbs"]);
}

} // namespace
} // namespace goodhart::onednn
