//===- MachineReportsTest.cpp - findings.json, CSV and JUnit --------------===//

#include "reports/ReportWriter.h"

#include "../oracle/OracleTestData.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

namespace goodhart {
namespace {

std::string render(std::unique_ptr<ReportWriter> writer, const RunData &run) {
  RunVerdict verdict = judgeRun(run);
  std::ostringstream os;
  EXPECT_TRUE(writer->write({run, verdict, {}}, os).isOk());
  return os.str();
}

TEST(MachineReportsTest, FindingsJsonFollowsItsSchema) {
  RunData run = testing::sampleRun();
  run.findings.push_back(
      {1, "v002", "hang", std::nullopt, "no answer", "", ""});
  nlohmann::json doc = nlohmann::json::parse(render(createJsonWriter(), run));
  EXPECT_EQ(doc["format"], "goodhart.findings");
  EXPECT_EQ(doc["version"], 2);
  EXPECT_EQ(doc["run"]["library_version"], "2.6.3");
  EXPECT_EQ(doc["oracle"]["statistic"], "min");
  ASSERT_EQ(doc["variants"].size(), 2u);
  const nlohmann::json &worst = doc["variants"][0];
  EXPECT_EQ(worst["key"], "v001");
  EXPECT_EQ(worst["verdict"], "slower");
  EXPECT_EQ(worst["cliff"], true);
  EXPECT_NEAR(
      worst["layers"][0]["relative_throughput_per_flop"]["value"].get<double>(),
      0.5, 1e-12);
  EXPECT_EQ(worst["layers"][0]["impl_switch"], true);
  // Times by the oracle's statistic, named in "oracle".
  EXPECT_GT(worst["layers"][0]["time_ns_variant"].get<double>(),
            worst["layers"][0]["time_ns_reference"].get<double>());
  EXPECT_GT(worst["time_ns_variant"].get<double>(), 0);
  EXPECT_FALSE(worst["layers"][0].contains("median_ns_variant"));
  EXPECT_EQ(doc["findings"][0]["kind"], "hang");
  EXPECT_TRUE(doc["findings"][0]["layer"].is_null());
}

TEST(MachineReportsTest, CsvHasOneRowPerMeasurementAndQuotes) {
  std::string csv = render(createCsvWriter(), testing::sampleRun());
  std::istringstream in(csv);
  std::string header, line;
  std::getline(in, header);
  EXPECT_EQ(header.rfind("run,variant,mutations,layer_id,layer,kind", 0), 0u);
  int rows = 0;
  bool quoted = false;
  while (std::getline(in, line)) {
    ++rows;
    quoted |= line.find("\"set_channels(conv, 65)\"") != std::string::npos;
  }
  EXPECT_EQ(rows, 3 * 2 + 3) << "two layers and the model, per variant";
  EXPECT_TRUE(quoted) << "a field with a comma is quoted";
}

TEST(MachineReportsTest, JUnitFailsCliffsAndWrongResults) {
  RunData run = testing::sampleRun();
  run.variants[2].layers[0].check.verdict = CheckVerdict::kMismatch;
  run.variants[2].layers[0].check.reason = "element 1: got <1>, expected 2";
  std::string xml = render(createJUnitWriter(), run);
  EXPECT_NE(xml.find("tests=\"2\" failures=\"2\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("cliff: throughput per FLOP 0.50"), std::string::npos);
  EXPECT_NE(xml.find("conv: mismatch: element 1: got &lt;1&gt;, expected 2"),
            std::string::npos)
      << xml;
}

TEST(MachineReportsTest, EveryWriterIsRegistered) {
  std::vector<std::string> names = reportWriterNames();
  EXPECT_EQ(names, std::vector<std::string>(
                       {"markdown", "json", "csv", "junit", "html"}));
}

TEST(MachineReportsTest, LayersThatComputeNothingArePerByte) {
  RunData run = testing::sampleRun();
  testing::makeReluACopy(run);
  nlohmann::json doc = nlohmann::json::parse(render(createJsonWriter(), run));
  EXPECT_EQ(doc["minor_version"], 3);
  const nlohmann::json &layers = doc["variants"][0]["layers"];
  EXPECT_EQ(layers[0]["per"], "FLOP");
  EXPECT_EQ(layers[1]["per"], "byte");
  EXPECT_TRUE(layers[1]["relative_throughput_per_flop"].is_object());
  // Without the runner's copy peak: GB/s, no fraction.
  EXPECT_TRUE(doc["oracle"]["peak_gbs"].is_null());
  EXPECT_GT(layers[1]["peak"]["gbs"].get<double>(), 0);
  EXPECT_FALSE(layers[1]["peak"].contains("gflops"));
  EXPECT_TRUE(layers[1]["peak"]["fraction"].is_null());
}

TEST(MachineReportsTest, DataMovementLayersGetTheCopyPeaksShare) {
  RunData run = testing::sampleRun();
  run.run.runner["peak_gflops"] = {{"f32", 1000.0}};
  run.run.runner["peak_gbs"] = 100.0;
  testing::makeReluACopy(run);
  nlohmann::json doc = nlohmann::json::parse(render(createJsonWriter(), run));
  EXPECT_EQ(doc["oracle"]["peak_gbs"], 100.0);
  const nlohmann::json &layers = doc["variants"][0]["layers"];
  const nlohmann::json &moved = layers[1]["peak"];
  const double gbs = moved["gbs"].get<double>();
  EXPECT_GT(gbs, 0);
  EXPECT_DOUBLE_EQ(moved["fraction"].get<double>(), gbs / 100.0);
  // The conv keeps its share of the GFLOP/s peak.
  EXPECT_DOUBLE_EQ(layers[0]["peak"]["fraction"].get<double>(), 0.5);
}

TEST(MachineReportsTest, FindingsJsonCarriesTheFractionOfPeak) {
  RunData run = testing::sampleRun();
  run.run.runner["peak_gflops"] = {{"f32", 1000.0}};
  nlohmann::json doc = nlohmann::json::parse(render(createJsonWriter(), run));
  EXPECT_EQ(doc["oracle"]["peak_gflops"]["f32"], 1000.0);
  EXPECT_EQ(doc["oracle"]["reference_peak"]["dtype"], "f32");
  const nlohmann::json &conv = doc["variants"][0]["layers"][0]["peak"];
  EXPECT_DOUBLE_EQ(conv["gflops"].get<double>(), 500);
  EXPECT_DOUBLE_EQ(conv["fraction"].get<double>(), 0.5);
  EXPECT_GT(doc["variants"][0]["peak"]["fraction"].get<double>(), 0);
  nlohmann::json plain =
      nlohmann::json::parse(render(createJsonWriter(), testing::sampleRun()));
  EXPECT_TRUE(plain["variants"][0]["peak"]["fraction"].is_null());
  EXPECT_TRUE(plain["oracle"]["peak_gflops"].empty());
}

TEST(MachineReportsTest, PowerAndThrottlingReachJsonAndCsv) {
  nlohmann::json doc =
      nlohmann::json::parse(render(createJsonWriter(), testing::gpuRun()));
  EXPECT_EQ(doc["oracle"]["reference_energy"]["watts"], 400.0);
  EXPECT_EQ(doc["oracle"]["throttled_comparisons"], 1);
  const nlohmann::json &v001 = doc["variants"][0];
  ASSERT_EQ(v001["key"], "v001");
  EXPECT_EQ(v001["energy"]["watts"], 300.0);
  EXPECT_NEAR(
      v001["energy"]["relative_throughput_per_watt"]["value"].get<double>(),
      v001["relative_throughput_per_flop"]["value"].get<double>() * 4 / 3,
      1e-12);
  const nlohmann::json &conv = v001["layers"][0];
  EXPECT_EQ(conv["throttled_samples"]["variant"]["throttled"], 1);
  EXPECT_EQ(conv["throttled_samples"]["variant"]["samples"], 3);
  EXPECT_EQ(conv["throttled_samples"]["reference"]["throttled"], 0);
  EXPECT_TRUE(v001["layers"][1]["energy"].is_null()) << "relu: not reported";
  const nlohmann::json &v002 = doc["variants"][1];
  EXPECT_TRUE(v002["energy"]["watts"].is_null());
  EXPECT_NE(v002["energy"]["missing"].get<std::string>().find("not advance"),
            std::string::npos);
  nlohmann::json cpu =
      nlohmann::json::parse(render(createJsonWriter(), testing::sampleRun()));
  EXPECT_TRUE(cpu["variants"][0]["energy"].is_null());
  EXPECT_TRUE(cpu["variants"][0]["throttled_samples"].is_null());

  std::string csv = render(createCsvWriter(), testing::gpuRun());
  EXPECT_NE(csv.find(",check,power_w,throttled_samples\n"), std::string::npos)
      << csv;
  // v001's conv: 350 W, one throttled sample; its relu: neither.
  EXPECT_NE(csv.find(",gemm:jit,2031.2,2031.2,2010.9,2051.6,0.00000,3,skipped,"
                     "350.0,1\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find(",(whole model),model,,"), std::string::npos);
  EXPECT_NE(csv.find(",300.0,0\n"), std::string::npos) << csv;
}

TEST(MachineReportsTest, FindingsJsonCarriesTheOverfittingIndex) {
  nlohmann::json doc = nlohmann::json::parse(
      render(createJsonWriter(), testing::overfittedRun()));
  EXPECT_EQ(doc["version"], 2);
  EXPECT_EQ(doc["minor_version"], 3);
  const nlohmann::json &o = doc["overfitting"];
  EXPECT_EQ(o["evaluated"], true);
  EXPECT_EQ(o["variants"], 4);
  EXPECT_GT(o["index"]["low"].get<double>(), 1.3);
  EXPECT_GE(o["percentile"].get<double>(), 0.75);
  EXPECT_EQ(o["one_shot_tuning"], true);
  // The fixture measures nothing twice: the floor stands alone.
  EXPECT_EQ(o["noise_source"], "none");

  nlohmann::json few = nlohmann::json::parse(
      render(createJsonWriter(), testing::sampleRun()))["overfitting"];
  EXPECT_EQ(few["evaluated"], false);
  EXPECT_TRUE(few["index"].is_null());
  EXPECT_TRUE(few["percentile"].is_null());
  EXPECT_EQ(few["reason"],
            "not enough variants: 2 measured as a whole model, 3 needed");
}

} // namespace
} // namespace goodhart
