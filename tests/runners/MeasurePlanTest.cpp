//===- MeasurePlanTest.cpp - The layer loop every runner shares -----------===//

#include "runners/common/Backend.h"
#include "runners/common/Stats.h"

#include "TestPlans.h"

#include <gtest/gtest.h>

namespace goodhart {
namespace {

/// Answers every layer with samples that tell which call made them, and
/// records the order of the calls and the options each one got.
class RecordingBackend : public Backend {
public:
  Status initialize() override { return Status::ok(); }
  RunnerInfo info() const override { return RunnerInfo(); }
  LayerResult measureLayer(const Plan &, const Layer &layer,
                           const MeasureOptions &options) override {
    calls.push_back(layer.id);
    seen.push_back(options);
    LayerResult r;
    r.impl = "fake";
    if (layer.id == failingLayer && calls.size() > firstRoundCalls) {
      r.measurement.status = ResultStatus::kError;
      r.measurement.reason = "second round failed";
      return r;
    }
    double call = static_cast<double>(calls.size());
    r.measurement.samplesNs = {1000 * call, 1000 * call + 1};
    r.measurement.stats = computeStats(r.measurement.samplesNs);
    r.measurement.stopReason = "min_samples_and_time";
    return r;
  }
  ModelResult measureModel(const Plan &, const MeasureOptions &) override {
    return ModelResult();
  }

  std::vector<int64_t> calls;
  std::vector<MeasureOptions> seen;
  int64_t failingLayer = -1;
  size_t firstRoundCalls = 0;
};

MeasureOptions layersOptions(int rounds) {
  MeasureOptions o;
  o.mode = MeasureMode::kLayers;
  o.rounds = rounds;
  o.minSamples = 20;
  o.maxSamples = 1000;
  o.minTimeMs = 90;
  o.maxTimeMs = 900;
  return o;
}

TEST(MeasurePlanTest, OneRoundMeasuresEachLayerOnceWithTheOptionsAsGiven) {
  Plan plan = testing::smallPlan();
  RecordingBackend backend;
  MeasureResponse r = measurePlan(backend, plan, layersOptions(1));
  ASSERT_EQ(r.layers.size(), plan.layers.size());
  ASSERT_EQ(backend.calls.size(), plan.layers.size());
  EXPECT_EQ(backend.seen[0].minSamples, 20);
  EXPECT_DOUBLE_EQ(backend.seen[0].maxTimeMs, 900);
  EXPECT_EQ(r.layers[0].measurement.samplesNs.size(), 2u);
}

TEST(MeasurePlanTest, RoundsInterleaveLayersAndPoolTheirSamples) {
  Plan plan = testing::smallPlan();
  ASSERT_GE(plan.layers.size(), 2u);
  size_t n = plan.layers.size();
  RecordingBackend backend;
  MeasureResponse r = measurePlan(backend, plan, layersOptions(3));
  ASSERT_EQ(backend.calls.size(), 3 * n);
  // All layers, then all layers again: not one layer three times in a row.
  for (size_t i = 0; i < backend.calls.size(); ++i)
    EXPECT_EQ(backend.calls[i], plan.layers[i % n].id) << "call " << i;
  // Each round gets a third of the budgets; only the first one checks.
  EXPECT_EQ(backend.seen[0].minSamples, 7);
  EXPECT_EQ(backend.seen[0].maxSamples, 334);
  EXPECT_DOUBLE_EQ(backend.seen[0].minTimeMs, 30);
  EXPECT_DOUBLE_EQ(backend.seen[0].maxTimeMs, 300);
  EXPECT_TRUE(backend.seen[0].check);
  EXPECT_FALSE(backend.seen[n].check);
  EXPECT_FALSE(backend.seen[2 * n].check);
  ASSERT_EQ(r.layers.size(), n);
  const Measurement &m = r.layers[1].measurement;
  // Layer 1 was call 2, n + 2 and 2n + 2: its six samples, pooled.
  std::vector<double> expected;
  for (size_t call : {2 + 0 * n, 2 + n, 2 + 2 * n})
    for (double extra : {0.0, 1.0})
      expected.push_back(1000.0 * call + extra);
  EXPECT_EQ(m.samplesNs, expected);
  EXPECT_EQ(m.stats.count, 6);
  EXPECT_DOUBLE_EQ(m.stats.medianNs, computeStats(expected).medianNs);
  EXPECT_EQ(m.stopReason, "3 rounds, min_samples_and_time");
  EXPECT_EQ(r.layers[1].id, plan.layers[1].id);
}

TEST(MeasurePlanTest, AFailedRoundMakesTheLayerFailed) {
  Plan plan = testing::smallPlan();
  RecordingBackend backend;
  backend.failingLayer = plan.layers[0].id;
  backend.firstRoundCalls = plan.layers.size();
  MeasureResponse r = measurePlan(backend, plan, layersOptions(2));
  EXPECT_EQ(r.layers[0].measurement.status, ResultStatus::kError);
  EXPECT_EQ(r.layers[0].measurement.reason, "second round failed");
  EXPECT_EQ(r.layers[1].measurement.status, ResultStatus::kOk);
}

TEST(MeasurePlanTest, RoundsAreWrittenOnlyWhenAboveOne) {
  EXPECT_FALSE(layersOptions(1).toJson().contains("rounds"));
  nlohmann::json j = layersOptions(4).toJson();
  EXPECT_EQ(j["rounds"], 4);
  auto back = MeasureOptions::fromJson(j);
  ASSERT_TRUE(back.isOk());
  EXPECT_EQ(back->rounds, 4);
  j["rounds"] = 0;
  auto bad = MeasureOptions::fromJson(j);
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("rounds"), std::string::npos);
}

} // namespace
} // namespace goodhart
