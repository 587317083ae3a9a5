//===- ComparisonReportTest.cpp - compare.md, compare.json, junit ---------===//

#include "reports/ComparisonReport.h"

#include "../oracle/OracleTestData.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

namespace goodhart {
namespace {

/// The sample run against itself with v002 twice as slow, its key and
/// mutation carrying markup, and a changed measurement option.
RunComparison regressedComparison() {
  RunData baseline = testing::sampleRun();
  RunData candidate = testing::sampleRun();
  candidate.run.id = 2;
  candidate.run.options = {{"max_time_ms", 50}};
  for (RunData *run : {&baseline, &candidate})
    for (VariantRecord &v : run->variants)
      if (v.key == "v002") {
        v.key = "v<2>&\"";
        v.mutations = {"set_channels(a|b, 96)"};
      }
  for (VariantRecord &v : candidate.variants)
    if (v.key == "v<2>&\"") {
      v.layers[0].measurement = testing::measured(3000);
      v.model = ModelResult{testing::measured(3015)};
    }
  return compareRuns(baseline, candidate);
}

std::string write(const RunComparison &c, const std::string &format) {
  std::ostringstream os;
  Status s = writeComparison({c, OracleOptions{}}, format, os);
  EXPECT_TRUE(s.isOk()) << s.message();
  return os.str();
}

TEST(ComparisonReportTest, MarkdownNamesTheResultAndEscapesCells) {
  std::string md = write(regressedComparison(), "markdown");
  EXPECT_NE(md.find("**Result: FAILED**"), std::string::npos) << md;
  EXPECT_NE(md.find("set_channels(a\\|b, 96)"), std::string::npos) << md;
  EXPECT_NE(md.find("`options.max_time_ms`: (unset) (baseline) vs 50"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("**slower** | **new cliff**"), std::string::npos) << md;
}

TEST(ComparisonReportTest, JsonFollowsTheSchema) {
  nlohmann::json doc =
      nlohmann::json::parse(write(regressedComparison(), "json"));
  EXPECT_EQ(doc["format"], "goodhart.comparison");
  EXPECT_EQ(doc["version"], kComparisonSchemaVersion);
  EXPECT_EQ(doc["result"], "failed");
  EXPECT_EQ(doc["summary"]["regressions"], 1);
  EXPECT_EQ(doc["summary"]["new_cliffs"], 2);
  ASSERT_EQ(doc["mismatches"].size(), 1u);
  EXPECT_EQ(doc["mismatches"][0]["field"], "options.max_time_ms");
  ASSERT_EQ(doc["variants"].size(), 3u);
  EXPECT_EQ(doc["variants"][0]["key"], "reference");
  EXPECT_TRUE(doc["variants"][0]["relative_baseline"].is_null());
  const nlohmann::json &v = doc["variants"][2];
  EXPECT_EQ(v["key"], "v<2>&\"");
  EXPECT_EQ(v["change"], "slower");
  EXPECT_EQ(v["cliff"], "new");
  EXPECT_TRUE(v["regressed"].get<bool>());
  EXPECT_NEAR(v["speedup"]["value"].get<double>(), 1515.0 / 3015.0, 1e-9);
  EXPECT_EQ(v["layers"][0]["change"], "slower");
}

TEST(ComparisonReportTest, TheReferenceModelNormalizedPerBasis) {
  // The same CPU run twice: per FLOP it is 1, the rest lack amounts.
  RunComparison c =
      compareRuns(testing::sampleRun(), testing::sampleRun(), {}, {60.0, 30.0});
  std::string md = write(c, "markdown");
  EXPECT_NE(md.find("## The reference model, normalized"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| FLOP | 994.2 GFLOP/s | 994.2 GFLOP/s | 1.000 ["),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| watt | - | - | - (baseline: the runner reports no "
                    "power) |"),
            std::string::npos)
      << md;
  // Half the transistors for the same speed: twice the speed-up per
  // transistor.
  EXPECT_NE(md.find("| transistor | 60 billion (given) | 30 billion (given) "
                    "| 2.000 ["),
            std::string::npos)
      << md;
  nlohmann::json doc = nlohmann::json::parse(write(c, "json"));
  ASSERT_EQ(doc["normalized"].size(), 4u);
  EXPECT_EQ(doc["normalized"][1]["basis"], "watt");
  EXPECT_TRUE(doc["normalized"][1]["speedup"].is_null());
  EXPECT_EQ(doc["normalized"][1]["missing"],
            "baseline: the runner reports no power");
  EXPECT_NEAR(doc["normalized"][3]["speedup"]["value"].get<double>(), 2, 1e-9);
}

TEST(ComparisonReportTest, JUnitFailsRegressedVariantsAndEscapes) {
  std::string xml = write(regressedComparison(), "junit");
  EXPECT_NE(xml.find("tests=\"4\" failures=\"1\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("name=\"v&lt;2&gt;&amp;&quot;\">"), std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<failure message=\"whole model slower"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("name=\"benchmark-only improvement\"/>"),
            std::string::npos)
      << xml;
  EXPECT_EQ(xml.find("v<2>"), std::string::npos);
}

TEST(ComparisonReportTest, UnknownFormatIsAnError) {
  RunComparison c = regressedComparison();
  std::ostringstream os;
  Status s = writeComparison({c, OracleOptions{}}, "html", os);
  EXPECT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("markdown, json, junit"), std::string::npos);
  EXPECT_EQ(comparisonFileName("junit"), "compare-junit.xml");
  EXPECT_EQ(comparisonFileName("html"), "");
}

} // namespace
} // namespace goodhart
