//===- BatchMemoTest.cpp - Each distinct layer once per batch process -----===//

#include "runners/common/BatchMemo.h"
#include "runners/common/Stats.h"

#include <gtest/gtest.h>

#include <set>

namespace goodhart {
namespace {

/// Answers each layer with one sample, the number of the call, so a copied
/// result is told from a measured one; layer names listed in `failing`
/// fail, and those in `wrong` fail the output check.
class CountingBackend : public Backend {
public:
  Status initialize() override { return Status::ok(); }
  RunnerInfo info() const override { return RunnerInfo(); }
  LayerResult measureLayer(const Plan &, const Layer &layer,
                           const MeasureOptions &) override {
    measured.push_back(layer.name);
    LayerResult r;
    r.repro = "n\"" + layer.name + "\"";
    if (failing.count(layer.name)) {
      r.measurement.status = ResultStatus::kError;
      r.measurement.reason = "refused";
      return r;
    }
    if (wrong.count(layer.name))
      r.check.verdict = CheckVerdict::kMismatch;
    r.measurement.samplesNs = {static_cast<double>(measured.size())};
    r.measurement.stats = computeStats(r.measurement.samplesNs);
    return r;
  }
  ModelResult measureModel(const Plan &, const MeasureOptions &) override {
    ++models;
    return ModelResult();
  }

  std::vector<std::string> measured;
  std::set<std::string> failing, wrong;
  int models = 0;
};

/// A plan of layers named NAME with hash HASH, given as "NAME:HASH".
Plan planOf(const std::vector<std::string> &layers,
            const std::vector<std::string> &mutations = {}) {
  Plan plan;
  for (const std::string &spec : layers) {
    Layer l;
    l.id = static_cast<int64_t>(plan.layers.size());
    l.name = spec.substr(0, spec.find(':'));
    l.hash = spec.substr(spec.find(':') + 1);
    plan.layers.push_back(l);
  }
  if (!mutations.empty())
    plan.metadata["mutations"] = mutations;
  return plan;
}

MeasureOptions both() {
  MeasureOptions o;
  o.mode = MeasureMode::kBoth;
  return o;
}

TEST(BatchMemoTest, RenameReproReplacesQuotedNamesOnly) {
  const std::string line = "--conv --dt=f32:f32:f32 mb1ic64ih56oc64oh56kh3ph1"
                           "n\"layer1.0.conv2\"";
  EXPECT_EQ(renameRepro(line, "layer1.0.conv2", "layer1.1.conv2"),
            "--conv --dt=f32:f32:f32 mb1ic64ih56oc64oh56kh3ph1"
            "n\"layer1.1.conv2\"");
  // A name that is a prefix of another, or appears unquoted, stays.
  EXPECT_EQ(renameRepro("n\"conv10\" conv1", "conv1", "conv2"),
            "n\"conv10\" conv1");
  EXPECT_EQ(renameRepro("a \"x\" b \"x\"", "x", "y"), "a \"y\" b \"y\"");
  EXPECT_EQ(renameRepro("n\"x\"", "", "y"), "n\"x\"");
  EXPECT_EQ(renameRepro("", "x", "y"), "");
}

TEST(BatchMemoTest, LaterPlansAndRepeatsCopyTheFirstMeasurement) {
  CountingBackend backend;
  BatchMemo memo;
  std::vector<BatchReuse> reused;
  MeasureResponse ref = memo.measure(backend, planOf({"a:h1", "b:h2", "c:h1"}),
                                     "ref.plan.json", both(), reused);
  EXPECT_EQ(backend.measured, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(ref.layers.size(), 3u);
  EXPECT_EQ(ref.layers[2].id, 2);
  EXPECT_EQ(ref.layers[2].measurement.samplesNs,
            ref.layers[0].measurement.samplesNs);
  EXPECT_EQ(ref.layers[2].repro, "n\"c\"");
  ASSERT_EQ(reused.size(), 1u);
  EXPECT_EQ(reused[0].id, 2);
  EXPECT_EQ(reused[0].fromPlan, "ref.plan.json");
  EXPECT_EQ(reused[0].fromId, 0);

  MeasureResponse v = memo.measure(backend, planOf({"x:h3", "y:h2"}),
                                   "v001.plan.json", both(), reused);
  EXPECT_EQ(backend.measured, (std::vector<std::string>{"a", "b", "x"}));
  ASSERT_EQ(v.layers.size(), 2u);
  EXPECT_EQ(v.layers[1].measurement.samplesNs,
            ref.layers[1].measurement.samplesNs);
  EXPECT_EQ(v.layers[1].repro, "n\"y\"");
  ASSERT_EQ(reused.size(), 1u);
  EXPECT_EQ(reused[0].id, 1);
  EXPECT_EQ(reused[0].fromPlan, "ref.plan.json");
  EXPECT_EQ(reused[0].fromId, 1);
  // The whole model is measured for every plan.
  EXPECT_EQ(backend.models, 2);
}

TEST(BatchMemoTest, APlanOfKnownLayersMeasuresOnlyItsModel) {
  CountingBackend backend;
  BatchMemo memo;
  std::vector<BatchReuse> reused;
  memo.measure(backend, planOf({"a:h1", "b:h2"}), "ref", both(), reused);
  MeasureResponse again =
      memo.measure(backend, planOf({"b2:h2", "a2:h1"}), "v", both(), reused);
  EXPECT_EQ(backend.measured.size(), 2u);
  EXPECT_EQ(again.layers.size(), 2u);
  EXPECT_EQ(reused.size(), 2u);
  EXPECT_EQ(backend.models, 2);
  MeasureOptions layers;
  layers.mode = MeasureMode::kLayers;
  memo.measure(backend, planOf({"a3:h1"}), "w", layers, reused);
  EXPECT_EQ(backend.measured.size(), 2u);
  EXPECT_EQ(backend.models, 2);
}

TEST(BatchMemoTest, IdentityVariantsMeasureEachOfTheirProblemsAgain) {
  CountingBackend backend;
  BatchMemo memo;
  std::vector<BatchReuse> reused;
  memo.measure(backend, planOf({"a:h1", "b:h2"}), "ref", both(), reused);
  MeasureResponse control = memo.measure(
      backend, planOf({"a:h1", "b:h2", "c:h1"}, {"identity(*, 7)"}), "v003",
      both(), reused);
  // Both problems again; the control's repeat c of a is copied from a.
  EXPECT_EQ(backend.measured, (std::vector<std::string>{"a", "b", "a", "b"}));
  ASSERT_EQ(reused.size(), 1u);
  EXPECT_EQ(reused[0].id, 2);
  EXPECT_EQ(reused[0].fromPlan, "v003");
  EXPECT_EQ(reused[0].fromId, 0);
  ASSERT_EQ(control.layers.size(), 3u);
  EXPECT_EQ(control.layers[2].measurement.samplesNs,
            control.layers[0].measurement.samplesNs);
  EXPECT_NE(control.layers[0].measurement.samplesNs,
            memo.measure(backend, planOf({"x:h1"}), "v004", both(), reused)
                .layers[0]
                .measurement.samplesNs);
  // ... and a later plan reuses the reference's, not the control's.
  ASSERT_EQ(reused.size(), 1u);
  EXPECT_EQ(reused[0].fromPlan, "ref");
  // A variant that also changes something is no control: it reuses.
  memo.measure(
      backend,
      planOf({"a:h1", "d:h4"}, {"identity(*, 7)", "set_channels(d, 9)"}),
      "v005", both(), reused);
  EXPECT_EQ(backend.measured.back(), "d");
  EXPECT_EQ(reused.size(), 1u);
}

TEST(BatchMemoTest, ErrorsAndWrongOutputsAreMeasuredAgainInLaterPlans) {
  CountingBackend backend;
  backend.failing = {"a"};
  backend.wrong = {"b"};
  BatchMemo memo;
  std::vector<BatchReuse> reused;
  MeasureResponse ref = memo.measure(backend, planOf({"a:h1", "b:h2", "a2:h1"}),
                                     "ref", both(), reused);
  // Within the plan a repeat shares its twin's fate, as one problem.
  ASSERT_EQ(ref.layers.size(), 3u);
  EXPECT_EQ(ref.layers[2].measurement.status, ResultStatus::kError);
  EXPECT_EQ(reused.size(), 1u);
  backend.failing.clear();
  memo.measure(backend, planOf({"a:h1", "b:h2"}), "v001", both(), reused);
  EXPECT_EQ(backend.measured, (std::vector<std::string>{"a", "b", "a", "b"}));
  EXPECT_TRUE(reused.empty());
}

TEST(BatchMemoTest, SelectedLayersOnly) {
  CountingBackend backend;
  BatchMemo memo;
  std::vector<BatchReuse> reused;
  MeasureOptions o = both();
  o.layers = {1};
  MeasureResponse r =
      memo.measure(backend, planOf({"a:h1", "b:h2"}), "ref", o, reused);
  EXPECT_EQ(backend.measured, (std::vector<std::string>{"b"}));
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_EQ(r.layers[0].id, 1);
}

TEST(BatchMemoTest, ControlPlans) {
  EXPECT_FALSE(isControlPlan(planOf({"a:h"})));
  EXPECT_TRUE(isControlPlan(planOf({"a:h"}, {"identity(*, 1)"})));
  EXPECT_FALSE(
      isControlPlan(planOf({"a:h"}, {"identity(*, 1)", "scale_width(*, 95)"})));
}

} // namespace
} // namespace goodhart
