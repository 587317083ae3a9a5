//===- RelativeThroughputTest.cpp - Ratios, intervals and verdicts --------===//

#include "oracle/RelativeThroughput.h"

#include "OracleTestData.h"
#include "runners/common/Stats.h"

#include <gtest/gtest.h>

namespace goodhart {
namespace {

using testing::measured;

TEST(RelativeThroughputTest, HandComputedRatio) {
  // Reference: 1e9 FLOPs in 1 ms. Variant: 1.1e9 FLOPs in 2 ms.
  // (1.1e9 / 2) / (1e9 / 1) = 0.55.
  Ratio r = relativeThroughput(1000000000, measured(1e6, 0), 1100000000,
                               measured(2e6, 0));
  ASSERT_TRUE(r.valid);
  EXPECT_DOUBLE_EQ(r.value, 0.55);
  EXPECT_DOUBLE_EQ(r.low, 0.55);
  EXPECT_DOUBLE_EQ(r.high, 0.55);
}

TEST(RelativeThroughputTest, IntervalFromBothMedians) {
  // Reference median 100 in [90, 110]; variant median 100 in [95, 105].
  Ratio r =
      relativeThroughput(10, measured(100, 0.10), 10, measured(100, 0.05));
  EXPECT_DOUBLE_EQ(r.value, 1.0);
  EXPECT_DOUBLE_EQ(r.low, 90.0 / 105.0);
  EXPECT_DOUBLE_EQ(r.high, 110.0 / 95.0);
}

TEST(RelativeThroughputTest, OneSampleIsNoInterval) {
  // A whole model slower than the time limit yields a single sample: its
  // "interval" is a point, so the ratio is noisy, never a cliff.
  Measurement once = measured(200, 0);
  once.samplesNs = {200};
  once.stats.count = 1;
  Ratio r = relativeThroughput(10, measured(100, 0.01), 10, once);
  ASSERT_TRUE(r.valid);
  EXPECT_FALSE(r.bounded);
  EXPECT_DOUBLE_EQ(r.value, 0.5);
  OracleOptions options;
  EXPECT_EQ(judge(r, options), Verdict::kNoisy);
  EXPECT_FALSE(isCliff(r, options));
  EXPECT_TRUE(
      relativeThroughput(10, measured(100, 0.01), 10, measured(200, 0.01))
          .bounded);
}

/// `n` samples spread evenly over center * [1 - spread, 1 + spread].
Measurement sampled(double center, size_t n, double spread) {
  Measurement m;
  for (size_t i = 0; i < n; ++i)
    m.samplesNs.push_back(
        center * (1 - spread + 2 * spread * double(i) / double(n - 1)));
  m.stats = computeStats(m.samplesNs);
  return m;
}

TEST(RelativeThroughputTest, BootstrapsWhenBothSidesHaveSamples) {
  // Same work, variant twice as slow: rel 0.5 from the samples' medians.
  Measurement ref = sampled(100, 41, 0.1), var = sampled(200, 41, 0.1);
  OracleOptions o;
  o.statistic = TimeStatistic{0.5};
  Ratio r = relativeThroughput(10, ref, 10, var, o);
  ASSERT_TRUE(r.valid);
  EXPECT_DOUBLE_EQ(r.value, 0.5);
  BootstrapInterval boot =
      bootstrapMedianRatio(ref.samplesNs, var.samplesNs, o.bootstrap);
  EXPECT_DOUBLE_EQ(r.low, boot.low);
  EXPECT_DOUBLE_EQ(r.high, boot.high);
  EXPECT_LT(r.low, 0.5);
  EXPECT_GT(r.high, 0.5);
  // The bootstrap interval is tighter than the bound from both medians'
  // order-statistic intervals.
  EXPECT_GT(r.low, 0.5 * ref.stats.ciLowNs / 100 * 200 / var.stats.ciHighNs);
  // Four samples on one side: the order-statistic path.
  Measurement few = sampled(200, 4, 0.1);
  Ratio fallback = relativeThroughput(10, ref, 10, few, o);
  EXPECT_DOUBLE_EQ(fallback.low, ref.stats.ciLowNs / few.stats.ciHighNs);
  EXPECT_DOUBLE_EQ(fallback.high, ref.stats.ciHighNs / few.stats.ciLowNs);
  // By the default statistic, the minimum: the ratio of the minima and the
  // bootstrap of that ratio.
  OracleOptions byMin;
  Ratio min = relativeThroughput(10, ref, 10, var, byMin);
  EXPECT_DOUBLE_EQ(min.value, 90.0 / 180.0);
  BootstrapInterval minBoot =
      bootstrapQuantileRatio(ref.samplesNs, var.samplesNs, 0, byMin.bootstrap);
  EXPECT_DOUBLE_EQ(min.low, minBoot.low);
  EXPECT_DOUBLE_EQ(min.high, minBoot.high);
}

TEST(RelativeThroughputTest, Verdicts) {
  OracleOptions o;
  auto verdictOf = [&](double value, double low, double high) {
    Ratio r{true, value, low, high};
    return judge(r, o);
  };
  EXPECT_EQ(verdictOf(0.5, 0.45, 0.55), Verdict::kSlower);
  EXPECT_EQ(verdictOf(1.5, 1.4, 1.6), Verdict::kFaster);
  EXPECT_EQ(verdictOf(1.01, 0.98, 1.03), Verdict::kSame);
  EXPECT_EQ(verdictOf(0.93, 0.90, 0.97), Verdict::kNoisy) << "straddles 0.95";
  EXPECT_EQ(verdictOf(0.96, 0.914, 0.996), Verdict::kNoisy)
      << "the point is within 5% but the interval is not: undecided";
  EXPECT_EQ(verdictOf(1.0, 0.5, 1.6), Verdict::kNoisy) << "too wide";
  EXPECT_EQ(judge(Ratio{}, o), Verdict::kUnmeasured);
  EXPECT_TRUE(isCliff({true, 0.5, 0.45, 0.55}, o));
  EXPECT_FALSE(isCliff({true, 0.6, 0.5, 0.7}, o)) << "interval reaches 0.67";
}

TEST(RelativeThroughputTest, JudgesARunWorstFirst) {
  RunData run = testing::sampleRun();
  RunVerdict v = judgeRun(run);
  ASSERT_TRUE(v.hasReference);
  ASSERT_EQ(v.variants.size(), 2u);
  const VariantVerdict &worst = v.variants[0];
  EXPECT_EQ(worst.key, "v001");
  // Model: (F_v / 2041.25) / (F_r / 1010) with F = conv + relu FLOPs.
  double fr = 1000000 + 64 * 64, fv = 1015625 + 64 * 65;
  EXPECT_NEAR(worst.rel.value, (fv / 2041.25) / (fr / 1010), 1e-12);
  EXPECT_EQ(worst.verdict, Verdict::kSlower);
  EXPECT_TRUE(worst.cliff);
  // The conv layer: its problem changed, its implementation switched.
  const LayerVerdict &conv = worst.layers[0];
  EXPECT_TRUE(conv.changed);
  EXPECT_TRUE(conv.implSwitch);
  EXPECT_EQ(conv.implRef, "brgconv:avx512_core");
  EXPECT_EQ(conv.implVar, "gemm:jit");
  EXPECT_NEAR(conv.rel.value, 0.5, 1e-12);
  EXPECT_TRUE(conv.cliff);
  EXPECT_EQ(v.variants[1].key, "v002");
  EXPECT_EQ(v.variants[1].layers[0].verdict, Verdict::kSame);
  EXPECT_FALSE(v.variants[1].layers[0].implSwitch);
}

TEST(RelativeThroughputTest, AVariantKeepsTheStepsThatMadeItsReference) {
  RunData run = testing::sampleRun();
  run.variants[1].plan.metadata["base_mutations"] = {"set_dtype(*, bf16)"};
  RunVerdict v = judgeRun(run);
  ASSERT_EQ(v.variants.size(), 2u);
  const VariantVerdict &retyped =
      v.variants[0].key == run.variants[1].key ? v.variants[0] : v.variants[1];
  EXPECT_EQ(retyped.baseMutations,
            std::vector<std::string>{"set_dtype(*, bf16)"});
  const VariantVerdict &other =
      &retyped == &v.variants[0] ? v.variants[1] : v.variants[0];
  EXPECT_TRUE(other.baseMutations.empty());
}

TEST(RelativeThroughputTest, MatchesLayersByNameWhenStructureDiffers) {
  RunData run = testing::sampleRun();
  // Swap v002's layers: kinds no longer line up by index.
  std::swap(run.variants[2].plan.layers[0], run.variants[2].plan.layers[1]);
  run.variants[2].plan.layers[0].id = 0;
  run.variants[2].plan.layers[1].id = 1;
  std::swap(run.variants[2].layers[0], run.variants[2].layers[1]);
  run.variants[2].layers[0].id = 0;
  run.variants[2].layers[1].id = 1;
  RunVerdict v = judgeRun(run);
  const VariantVerdict &v002 = v.variants[1];
  ASSERT_EQ(v002.key, "v002");
  EXPECT_EQ(v002.layers[0].name, "relu");
  EXPECT_EQ(v002.layers[0].implRef, "jit:avx512_core");
}

TEST(RelativeThroughputTest, UnmeasuredLayersCarryTheirReason) {
  RunData run = testing::sampleRun();
  run.variants[1].layers[1].measurement.status = ResultStatus::kSkipped;
  run.variants[1].layers[1].measurement.reason = "no bf16 on this CPU";
  run.variants[1].model.reset();
  RunVerdict v = judgeRun(run);
  const VariantVerdict *v001 = nullptr;
  for (const VariantVerdict &vv : v.variants)
    if (vv.key == "v001")
      v001 = &vv;
  ASSERT_TRUE(v001);
  EXPECT_EQ(v001->layers[1].verdict, Verdict::kUnmeasured);
  EXPECT_EQ(v001->layers[1].reason, "no bf16 on this CPU");
  EXPECT_EQ(v001->verdict, Verdict::kUnmeasured);
  EXPECT_EQ(v001->reason, "whole model not measured");
}

TEST(RelativeThroughputTest, LayerWorkIsFlopsElseBytes) {
  Layer conv, copy;
  conv.flops = 100;
  conv.bytes = 40;
  copy.bytes = 80;
  LayerWork flops = layerWork(conv, conv);
  EXPECT_FALSE(flops.perByte);
  EXPECT_EQ(flops.ref, 100);
  LayerWork bytes = layerWork(copy, copy);
  EXPECT_TRUE(bytes.perByte);
  EXPECT_EQ(bytes.var, 80);
  EXPECT_EQ(layerWork(Layer{}, Layer{}).ref, 0);
}

TEST(RelativeThroughputTest, LayersThatComputeNothingAreJudgedPerByte) {
  // The relu as a copy: no FLOPs; the reference moves 1000 bytes in 10 ns,
  // v001 1015 bytes in 20 ns (0.5075x per byte), v002 1500 bytes in 15 ns
  // (the same per byte).
  RunData run = testing::sampleRun();
  const int64_t bytes[] = {1000, 1015, 1500};
  for (size_t i = 0; i < 3; ++i) {
    run.variants[i].plan.layers[1].flops = 0;
    run.variants[i].plan.layers[1].bytes = bytes[i];
  }
  run.variants[1].layers[1].measurement = testing::measured(20);
  RunVerdict v = judgeRun(run);
  const LayerVerdict &slow = v.variants[0].layers[1];
  ASSERT_EQ(v.variants[0].key, "v001");
  EXPECT_TRUE(slow.perByte);
  ASSERT_TRUE(slow.rel.valid);
  EXPECT_NEAR(slow.rel.value, 0.5075, 1e-9);
  EXPECT_EQ(slow.verdict, Verdict::kSlower);
  EXPECT_TRUE(slow.cliff);
  const LayerVerdict &same = v.variants[1].layers[1];
  EXPECT_NEAR(same.rel.value, 1.0, 1e-9);
  // The conv still counts FLOPs.
  EXPECT_FALSE(v.variants[0].layers[0].perByte);

  // Nothing to count on either side: unmeasured, and it says why.
  for (VariantRecord &var : run.variants)
    var.plan.layers[1].bytes = 0;
  RunVerdict none = judgeRun(run);
  EXPECT_EQ(none.variants[0].layers[1].verdict, Verdict::kUnmeasured);
  EXPECT_EQ(none.variants[0].layers[1].reason,
            "no work to compare: 0 FLOPs and 0 bytes");
}

TEST(RelativeThroughputTest, UnchangedLayersCalibrateTheNoiseFloor) {
  RunData run = testing::sampleRun();
  // v003 repeats the reference's problems; its conv came out 10% slower in
  // its own runner invocation: that is noise, not a finding.
  run.variants.push_back(testing::variant("v003", 64, 1000000, 1100, 10, 1110,
                                          "brgconv:avx512_core"));
  // v004 changes the conv; it runs at 0.93 of the reference per FLOP.
  run.variants.push_back(testing::variant("v004", 96, 1500000, 1500 / 0.93, 15,
                                          1515, "brgconv:avx512_core"));
  auto find = [](const RunVerdict &v, const std::string &key) {
    for (const VariantVerdict &vv : v.variants)
      if (vv.key == key)
        return vv;
    ADD_FAILURE() << key;
    return VariantVerdict();
  };
  RunVerdict calibrated = judgeRun(run);
  EXPECT_EQ(calibrated.noise.layers, 2);
  EXPECT_NEAR(calibrated.noise.floor, 1 - 1000.0 / 1100.0, 1e-12);
  // One unchanged conv is too few for a conv floor: the overall one applies.
  EXPECT_EQ(calibrated.noiseByKind["conv2d"].layers, 1);
  EXPECT_NEAR(calibrated.layerThreshold("conv2d", {}), calibrated.noise.floor,
              1e-12);
  VariantVerdict v003 = find(calibrated, "v003");
  EXPECT_EQ(v003.layers[0].verdict, Verdict::kUnchanged);
  EXPECT_FALSE(v003.layers[0].changed);
  EXPECT_EQ(find(calibrated, "v004").layers[0].verdict, Verdict::kSame)
      << "7% is within the 9% this run's noise shows";
  EXPECT_EQ(find(calibrated, "v001").layers[0].verdict, Verdict::kSlower)
      << "a 2x drop clears any floor";

  OracleOptions raw;
  raw.calibrateNoise = false;
  RunVerdict uncalibrated = judgeRun(run, raw);
  EXPECT_DOUBLE_EQ(uncalibrated.layerThreshold("conv2d", raw), 0.05);
  EXPECT_EQ(find(uncalibrated, "v004").layers[0].verdict, Verdict::kSlower);
}

TEST(RelativeThroughputTest, NoiseFloorsArePerKind) {
  RunVerdict v;
  v.noise = {0.20, 40};
  v.noiseByKind["conv2d"] = {0.03, 12};
  v.noiseByKind["eltwise"] = {0.20, 20};
  v.noiseByKind["matmul"] = {0.01, 2};
  OracleOptions o;
  EXPECT_DOUBLE_EQ(v.layerThreshold("conv2d", o), 0.05) << "at least 5%";
  EXPECT_DOUBLE_EQ(v.layerThreshold("eltwise", o), 0.20);
  EXPECT_DOUBLE_EQ(v.layerThreshold("matmul", o), 0.20) << "too few: overall";
  EXPECT_DOUBLE_EQ(v.layerThreshold("pool2d", o), 0.20) << "none: overall";
}

TEST(RelativeThroughputTest, NoiseFloorsFollowTheLayersDuration) {
  RunVerdict v;
  v.noise = {0.40, 24};
  v.noiseByKind["eltwise"] = {0.40, 20};
  // Short ReLUs (2-4 us) vary by 20-40% between runs, long ones (40-80 us)
  // by 1-2%: the band of a layer comes from its neighbours in duration.
  for (int i = 0; i < 10; ++i) {
    v.noiseSamples.push_back({"eltwise", 2000.0 + 200 * i, 0.20 + 0.02 * i});
    v.noiseSamples.push_back({"eltwise", 40000.0 + 4000 * i, 0.01 + 0.001 * i});
  }
  v.noiseSamples.push_back({"conv2d", 1e6, 0.02});
  v.noiseSamples.push_back({"conv2d", 2e6, 0.01});
  OracleOptions o;
  // The 8 nearest of 2.5 us: 2.0-3.4 us; the 95th percentile is the largest.
  EXPECT_NEAR(v.layerThreshold("eltwise", 2500, o), 0.34, 1e-12);
  EXPECT_DOUBLE_EQ(v.layerThreshold("eltwise", 50000, o), 0.05)
      << "long ReLUs are quiet: the 5% minimum";
  EXPECT_DOUBLE_EQ(v.layerThreshold("eltwise", 0, o), 0.40)
      << "no duration: the kind's floor";
  // Two conv samples are too few for a conv pool: every kind's nearest.
  EXPECT_NEAR(v.layerThreshold("conv2d", 1.5e6, o), 0.05, 1e-12);
  // The 8 nearest of 3 us: 2.4-3.8 us.
  EXPECT_NEAR(v.layerThreshold("conv2d", 3000, o), 0.38, 1e-12)
      << "a 3 us conv is as noisy as the 3 us layers of any kind";
  o.calibrateNoise = false;
  EXPECT_DOUBLE_EQ(v.layerThreshold("eltwise", 2500, o), 0.05);
}

TEST(RelativeThroughputTest, FractionOfTheMeasuredPeak) {
  RunData run = testing::sampleRun();
  run.run.runner["peak_gflops"] = {{"f32", 1000.0}, {"bf16", -1}};
  RunVerdict v = judgeRun(run);
  EXPECT_EQ(v.peakGflops.size(), 1u) << "a non-positive peak is dropped";
  const VariantVerdict &v001 = v.variants[0];
  ASSERT_EQ(v001.key, "v001");
  // conv: 1015625 FLOPs in 2031.25 ns = 500 GFLOP/s, half the f32 peak.
  const LayerVerdict &conv = v001.layers[0];
  EXPECT_EQ(conv.peak.dtype, "f32");
  EXPECT_DOUBLE_EQ(conv.peak.gflops, 500);
  ASSERT_TRUE(conv.peak.hasFraction());
  EXPECT_DOUBLE_EQ(conv.peak.fraction, 0.5);
  double fv = 1015625 + 64 * 65, fr = 1000000 + 64 * 64;
  EXPECT_DOUBLE_EQ(v001.peak.gflops, fv / 2041.25);
  EXPECT_DOUBLE_EQ(v001.peak.fraction, fv / 2041.25 / 1000);
  EXPECT_DOUBLE_EQ(v.referencePeak.fraction, fr / 1010 / 1000);

  // No peak in the runner info: GFLOP/s, but no fraction.
  RunVerdict plain = judgeRun(testing::sampleRun());
  EXPECT_TRUE(plain.peakGflops.empty());
  EXPECT_DOUBLE_EQ(plain.variants[0].layers[0].peak.gflops, 500);
  EXPECT_FALSE(plain.variants[0].layers[0].peak.hasFraction());
  // A dtype without a peak has no fraction either.
  EXPECT_FALSE(peakShare(100, 1, "f16", v.peakGflops).hasFraction());
  EXPECT_EQ(peakGflops(nlohmann::json::object()).size(), 0u);
}

TEST(RelativeThroughputTest, DataMovementAgainstTheCopyPeak) {
  RunData run = testing::sampleRun();
  run.run.runner["peak_gflops"] = {{"f32", 1000.0}};
  run.run.runner["peak_gbs"] = 50.0;
  testing::makeReluACopy(run);
  RunVerdict v = judgeRun(run);
  EXPECT_DOUBLE_EQ(v.peakGbs, 50);
  const LayerVerdict &moved = v.variants[0].layers[1];
  ASSERT_TRUE(moved.peak.perByte());
  EXPECT_EQ(moved.peak.gflops, 0);
  EXPECT_DOUBLE_EQ(moved.peak.gbs, 1000 / moved.varNs);
  EXPECT_DOUBLE_EQ(moved.peak.fraction, 1000 / moved.varNs / 50);
  // Layers that compute keep the GFLOP/s peak.
  EXPECT_FALSE(v.variants[0].layers[0].peak.perByte());
  EXPECT_DOUBLE_EQ(v.variants[0].layers[0].peak.fraction, 0.5);

  // No copy peak, or a meaningless one: GB/s without a fraction.
  EXPECT_EQ(peakGbs(nlohmann::json::object()), 0);
  EXPECT_EQ(peakGbs({{"peak_gbs", -3.0}}), 0);
  EXPECT_EQ(peakGbs({{"peak_gbs", "fast"}}), 0);
  EXPECT_FALSE(bandwidthShare(1000, 10, 0).hasFraction());
  EXPECT_DOUBLE_EQ(bandwidthShare(1000, 10, 0).gbs, 100);
  EXPECT_FALSE(bandwidthShare(0, 10, 50).measured());
}

TEST(RelativeThroughputTest, NoReferenceNoVerdicts) {
  RunData run = testing::sampleRun();
  run.variants.erase(run.variants.begin());
  EXPECT_FALSE(judgeRun(run).hasReference);
}

} // namespace
} // namespace goodhart
