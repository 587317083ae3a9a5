//===- ProtocolTest.cpp - Runner protocol messages ------------------------===//

#include "runners/common/Protocol.h"

#include "TestPlans.h"

#include <gtest/gtest.h>

namespace goodhart {
namespace {

TEST(ProtocolTest, MeasureRequestRoundTrips) {
  Request r;
  r.id = 7;
  r.type = "measure";
  r.plan = testing::smallPlan();
  r.options.mode = MeasureMode::kLayers;
  r.options.layers = {0, 2};
  r.options.targetRsd = 0.02;
  StatusOr<Request> back = requestFromJson(requestToJson(r));
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_EQ(back->id, 7);
  EXPECT_EQ(back->options.mode, MeasureMode::kLayers);
  EXPECT_EQ(back->options.layers, std::vector<int64_t>({0, 2}));
  EXPECT_DOUBLE_EQ(back->options.targetRsd, 0.02);
  EXPECT_EQ(back->plan->layers.size(), 6u);
}

TEST(ProtocolTest, MeasurePeakIsOnByDefaultAndOnlyWrittenWhenOff) {
  MeasureOptions defaults;
  EXPECT_TRUE(defaults.measurePeak);
  EXPECT_FALSE(defaults.toJson().contains("measure_peak"))
      << "the default's canonical form is unchanged";
  auto off = MeasureOptions::fromJson({{"measure_peak", false}});
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->measurePeak);
  EXPECT_EQ(off->toJson()["measure_peak"], false);
  auto back = MeasureOptions::fromJson(off->toJson());
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->measurePeak);
  EXPECT_FALSE(MeasureOptions::fromJson({{"measure_peak", "no"}}));
}

TEST(ProtocolTest, GpuOptionsAreOnlyWrittenWhenNotTheDefault) {
  MeasureOptions defaults;
  EXPECT_FALSE(defaults.tf32);
  EXPECT_EQ(defaults.layout, "nhwc");
  EXPECT_EQ(defaults.fusion, "eager");
  for (const char *key : {"tf32", "layout", "fusion"})
    EXPECT_FALSE(defaults.toJson().contains(key)) << key;
  auto set = MeasureOptions::fromJson(
      {{"tf32", true}, {"layout", "nchw"}, {"fusion", "graph"}});
  ASSERT_TRUE(set) << set.status().toString();
  EXPECT_TRUE(set->tf32);
  EXPECT_EQ(set->layout, "nchw");
  EXPECT_EQ(set->fusion, "graph");
  EXPECT_EQ(set->toJson()["tf32"], true);
  EXPECT_EQ(set->toJson()["layout"], "nchw");
  EXPECT_EQ(set->toJson()["fusion"], "graph");
  auto back = MeasureOptions::fromJson(set->toJson());
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->tf32);
  EXPECT_EQ(back->layout, "nchw");
  EXPECT_EQ(back->fusion, "graph");
  auto bad = MeasureOptions::fromJson({{"layout", "chwn"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.status().message().find("options.layout"), std::string::npos);
  auto badFusion = MeasureOptions::fromJson({{"fusion", "lazy"}});
  ASSERT_FALSE(badFusion);
  EXPECT_NE(badFusion.status().message().find("options.fusion"),
            std::string::npos);
  EXPECT_FALSE(MeasureOptions::fromJson({{"tf32", "yes"}}));
}

TEST(ProtocolTest, MeasurementExtraRoundTripsAndIsAbsentWhenEmpty) {
  Response r;
  r.id = 4;
  r.type = "measure";
  MeasureResponse m;
  LayerResult plain;
  plain.id = 0;
  LayerResult gpu;
  gpu.id = 1;
  gpu.measurement.extra = {{"sm_clock_mhz", {1980, 1755}},
                           {"throttled_samples", 1}};
  m.layers = {plain, gpu};
  ModelResult model;
  model.measurement.extra = {{"energy_mj", 12.5}};
  m.model = model;
  r.measure = m;
  nlohmann::json j = responseToJson(r);
  EXPECT_FALSE(j["layers"][0].contains("extra"));
  EXPECT_EQ(j["layers"][1]["extra"]["throttled_samples"], 1);
  auto back = responseFromJson(j);
  ASSERT_TRUE(back) << back.status().toString();
  EXPECT_TRUE(back->measure->layers[0].measurement.extra.empty());
  EXPECT_EQ(back->measure->layers[1].measurement.extra, gpu.measurement.extra);
  EXPECT_EQ(back->measure->model->measurement.extra["energy_mj"], 12.5);
  j["layers"][1]["extra"] = "hot";
  auto bad = responseFromJson(j);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.status().message().find("layers[1].extra"), std::string::npos);
}

TEST(ProtocolTest, BadRequestsNameTheField) {
  nlohmann::json j = requestToJson({1, "measure", testing::smallPlan(), {}});
  j["options"]["target_rsd"] = "tight";
  StatusOr<Request> r = requestFromJson(j);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("options.target_rsd"), std::string::npos);

  j = requestToJson({1, "measure", testing::smallPlan(), {}});
  j["options"]["mode"] = "sideways";
  EXPECT_FALSE(requestFromJson(j).isOk());

  j = {{"protocol", 1}, {"id", 2}, {"type", "dance"}};
  r = requestFromJson(j);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("unknown request type 'dance'"),
            std::string::npos);

  j = {{"protocol", 9}, {"id", 2}, {"type", "hello"}};
  EXPECT_EQ(requestFromJson(j).status().code(), StatusCode::kUnsupported);

  j = {{"protocol", 1}, {"id", 2}, {"type", "measure"}};
  r = requestFromJson(j);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("plan"), std::string::npos);
}

TEST(ProtocolTest, MeasureResponseRoundTripsAndKeepsUnknownRunnerKeys) {
  Response r;
  r.id = 3;
  r.type = "measure";
  RunnerInfo info;
  info.name = "fake";
  info.libraryVersion = "1.2.3";
  info.extra["driver_version"] = "575.1";
  r.runner = info;
  MeasureResponse m;
  m.runner = info;
  LayerResult l;
  l.id = 0;
  l.hash = "abc";
  l.impl = "brgconv:avx512_core";
  l.repro = "--conv mb1";
  l.measurement.samplesNs = {1, 2, 3};
  l.measurement.stats.medianNs = 2;
  l.measurement.stopReason = "target_rsd";
  l.check.verdict = CheckVerdict::kMistrusted;
  l.check.toleranceUsed = 0.25;
  m.layers.push_back(l);
  LayerResult skipped;
  skipped.id = 1;
  skipped.measurement.status = ResultStatus::kSkipped;
  skipped.measurement.reason = "view";
  m.layers.push_back(skipped);
  m.model = ModelResult{};
  m.model->measurement.samplesNs = {10};
  r.measure = m;
  StatusOr<Response> back = responseFromJson(responseToJson(r));
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  ASSERT_TRUE(back->measure);
  EXPECT_EQ(back->runner->extra["driver_version"], "575.1");
  ASSERT_EQ(back->measure->layers.size(), 2u);
  EXPECT_EQ(back->measure->layers[0].impl, "brgconv:avx512_core");
  EXPECT_EQ(back->measure->layers[0].check.verdict, CheckVerdict::kMistrusted);
  EXPECT_DOUBLE_EQ(back->measure->layers[0].check.toleranceUsed, 0.25);
  EXPECT_EQ(back->measure->layers[0].measurement.samplesNs.size(), 3u);
  EXPECT_EQ(back->measure->layers[1].measurement.status,
            ResultStatus::kSkipped);
  EXPECT_EQ(back->measure->layers[1].measurement.reason, "view");
  ASSERT_TRUE(back->measure->model);
}

TEST(ProtocolTest, ErrorResponsesCarryCodeAndMessage) {
  Response r;
  r.id = 4;
  r.type = "hello";
  r.error = ErrorInfo{"unavailable", "no GPU"};
  StatusOr<Response> back = responseFromJson(responseToJson(r));
  ASSERT_TRUE(back.isOk());
  ASSERT_TRUE(back->error);
  EXPECT_EQ(back->error->code, "unavailable");
  EXPECT_EQ(back->error->message, "no GPU");
}

TEST(ProtocolTest, MalformedResponsesAreRejected) {
  EXPECT_FALSE(responseFromJson(nlohmann::json::array()).isOk());
  nlohmann::json j = {{"protocol", 1},
                      {"id", 1},
                      {"type", "measure"},
                      {"status", "ok"},
                      {"layers", {{{"status", "ok"}}}}};
  StatusOr<Response> r = responseFromJson(j);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("layers[0]"), std::string::npos);
}

TEST(ProtocolTest, OptionIntegersOutOfRangeNameTheField) {
  // Found by tests/fuzz/OptionsFuzzer: a float seed beyond uint64 was cast
  // with undefined behaviour; negative or fractional counts wrapped.
  for (const char *text :
       {R"({"seed": 18446774073709551615})", R"({"seed": -1})",
        R"({"threads": 2.5})", R"({"threads": 4294967296})",
        R"({"min_samples": 1e300})", R"({"layers": [0, 1e19]})"}) {
    StatusOr<MeasureOptions> options =
        MeasureOptions::fromJson(nlohmann::json::parse(text));
    ASSERT_FALSE(options.isOk()) << text;
    EXPECT_NE(options.status().message().find("not an integer in range"),
              std::string::npos)
        << options.status().message();
  }
  StatusOr<MeasureOptions> max =
      MeasureOptions::fromJson({{"seed", 18446744073709551615ULL}});
  ASSERT_TRUE(max.isOk()) << max.status().message();
  EXPECT_EQ(max->seed, 18446744073709551615ULL);
}

TEST(ProtocolTest, BatchResultLinesCarryPlanResponseAndProvenance) {
  Plan plan = testing::smallPlan();
  plan.metadata = {{"strategy", "random"},
                   {"seed", 7},
                   {"mutations", {"set_channels(conv, 12)", 3}}};
  Response response;
  response.id = 1;
  response.type = "measure";
  response.measure = MeasureResponse();
  nlohmann::json line = responseToJson(response);
  line["plan"] = planToJson(plan);
  line["plan_file"] = "plans/v001.plan.json";
  line["options"] = {{"mode", "model"}};
  StatusOr<BatchResultLine> parsed =
      parseBatchResultLine(line.dump(), "r.jsonl:4");
  ASSERT_TRUE(parsed.isOk()) << parsed.status().message();
  EXPECT_EQ(parsed->plan.model, "tiny");
  EXPECT_EQ(parsed->planFile, "plans/v001.plan.json");
  EXPECT_EQ(parsed->options["mode"], "model");
  EXPECT_EQ(parsed->strategy, "random");
  EXPECT_EQ(parsed->seed, 7u);
  EXPECT_EQ(parsed->mutations,
            std::vector<std::string>{"set_channels(conv, 12)"});
  EXPECT_TRUE(parsed->response.measure);

  // Fields of the wrong type are errors that name the line and field (they
  // were json::value() calls in goodhart ingest that threw).
  nlohmann::json bad = line;
  bad["plan_file"] = 1;
  StatusOr<BatchResultLine> badFile =
      parseBatchResultLine(bad.dump(), "r.jsonl:4");
  ASSERT_FALSE(badFile.isOk());
  EXPECT_EQ(badFile.status().message().rfind("r.jsonl:4.plan_file", 0), 0u)
      << badFile.status().message();
  bad = line;
  bad["plan"]["metadata"]["seed"] = "seven";
  StatusOr<BatchResultLine> badSeed =
      parseBatchResultLine(bad.dump(), "r.jsonl:4");
  ASSERT_FALSE(badSeed.isOk());
  EXPECT_NE(badSeed.status().message().find("metadata.seed"),
            std::string::npos);
  StatusOr<BatchResultLine> notALine =
      parseBatchResultLine(R"({"warmup_ms": 1})", "o.json:1");
  ASSERT_FALSE(notALine.isOk());
  EXPECT_EQ(notALine.status().message(),
            "o.json:1: not a batch result line (JSON with 'plan')");
}

} // namespace
} // namespace goodhart
