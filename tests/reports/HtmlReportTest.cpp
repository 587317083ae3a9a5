//===- HtmlReportTest.cpp - index.html and its charts ---------------------===//

#include "reports/HtmlCharts.h"
#include "reports/ReportWriter.h"

#include "../oracle/OracleTestData.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace goodhart {
namespace {

std::string render(const RunData &run) {
  RunVerdict verdict = judgeRun(run);
  std::ostringstream os;
  EXPECT_TRUE(createHtmlWriter()->write({run, verdict, {}}, os).isOk());
  return os.str();
}

bool has(const std::string &text, const std::string &needle) {
  return text.find(needle) != std::string::npos;
}

size_t count(const std::string &text, const std::string &needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size()))
    ++n;
  return n;
}

/// The text between the first `from` and the next `to`.
std::string between(const std::string &text, const std::string &from,
                    const std::string &to) {
  size_t begin = text.find(from);
  if (begin == std::string::npos)
    return "";
  size_t end = text.find(to, begin);
  return text.substr(begin, end == std::string::npos ? end : end - begin);
}

TEST(HtmlReportTest, ChartHasOnePointPerVariantAndMarksTheReference) {
  std::string html = render(testing::sampleRun());
  EXPECT_TRUE(has(html, "<!DOCTYPE html>"));
  EXPECT_TRUE(has(html, "<h3>conv channels</h3>")) << html;
  std::string svg = between(html, "<svg", "</svg>");
  ASSERT_FALSE(svg.empty());
  EXPECT_EQ(count(svg, "<g class=\"point "), 2u) << svg;
  EXPECT_EQ(count(svg, "<g class=\"point v-cliff\">"), 1u);
  EXPECT_EQ(count(svg, "<g class=\"point v-same\">"), 1u);
  EXPECT_EQ(count(svg, "class=\"whisker\""), 6u);
  EXPECT_EQ(count(svg, "class=\"ref-marker\""), 1u);
  EXPECT_TRUE(has(svg, "reference 64"));
  EXPECT_TRUE(has(svg, "cliff 0.67"));
  EXPECT_TRUE(has(svg, "v001 set_channels(conv, 65): channels = 65"));
  // Summary with the run's provenance and the verdict counts.
  EXPECT_TRUE(has(html, "<span class=\"v-cliff\">1 cliffs</span>"));
  EXPECT_TRUE(has(html, "<span class=\"v-slower\">1 slower</span>"));
  EXPECT_TRUE(has(html, "<span class=\"v-same\">1 same</span>"));
  EXPECT_TRUE(has(html, "<tr><th>backend</th><td>onednn</td></tr>"));
  EXPECT_TRUE(has(html, "<tr><th>library</th><td>oneDNN 2.6.3</td></tr>"));
  EXPECT_TRUE(has(html, "<tr><th>ISA</th><td>avx512_core</td></tr>"));
  // Nothing to fetch, nothing to run.
  EXPECT_FALSE(has(html, "<script"));
  EXPECT_FALSE(has(html, "src="));
}

TEST(HtmlReportTest, VariantsTableShowsTheFractionOfPeak) {
  RunData run = testing::sampleRun();
  run.run.runner["peak_gflops"] = {{"f32", 1000.0}};
  std::string table =
      between(render(run), "<section id=\"variants\">", "</section>");
  EXPECT_TRUE(has(table, "<th>of peak (GFLOP/s)</th>")) << table;
  // v001's whole model: 1019785 FLOPs in 2041.25 ns.
  EXPECT_TRUE(has(table, "<td class=\"num\">50.0% (500 GFLOP/s)</td>"))
      << table;
}

TEST(HtmlReportTest, GpuPowerAndThrottlingAreShown) {
  std::string html = render(testing::gpuRun());
  std::string summary = between(html, "<section id=\"summary\">", "</section>");
  EXPECT_TRUE(
      has(summary, "<p id=\"energy\">Energy (NVML&apos;s energy counter"))
      << summary;
  EXPECT_TRUE(has(summary, "Least efficient per watt: v001 at 0.670x"))
      << summary;
  EXPECT_TRUE(has(summary, "<p id=\"throttling\" class=\"v-cliff\">"
                           "Throttling: in 1 comparisons"))
      << summary;
  std::string table = between(html, "<section id=\"variants\">", "</section>");
  EXPECT_TRUE(has(table, "<th>throughput/W vs reference</th>")) << table;
  EXPECT_TRUE(has(table, "<td class=\"num\">1 at 400 W</td>")) << table;
  EXPECT_TRUE(has(table, "<td class=\"num\">0.670 [0.657, 0.684] at 300 "
                         "W</td>"))
      << table;
  EXPECT_TRUE(has(table, "NVML&apos;s energy counter did not advance"))
      << table;
  // The attribution table flags v001's throttled conv.
  std::string attribution =
      between(html, "<section id=\"attribution\">", "</section>");
  EXPECT_TRUE(has(attribution, "<span class=\"v-cliff\">throttled: variant "
                               "1/3 samples</span>"))
      << attribution;
  // A cuDNN layer is reproduced with PyTorch.
  std::string repro = between(html, "<section id=\"reproduce\">", "</section>");
  EXPECT_TRUE(has(repro, "python3 -c &quot;import torch; --conv")) << repro;

  std::string cpu = render(testing::sampleRun());
  EXPECT_FALSE(has(cpu, "throughput/W")) << "no column without power";
  EXPECT_FALSE(has(cpu, "id=\"energy\""));
  EXPECT_FALSE(has(cpu, "id=\"throttling\""));
}

TEST(HtmlReportTest, SummaryShowsTheOverfittingIndex) {
  std::string html = render(testing::overfittedRun());
  std::string summary = between(html, "<section id=\"summary\">", "</section>");
  std::string line = between(summary, "<p id=\"overfitting\"", "</p>");
  EXPECT_TRUE(has(line, "class=\"v-cliff\"")) << line;
  EXPECT_TRUE(has(line, "Overfitting index: 1.397 [")) << line;
  EXPECT_TRUE(has(line, "One-shot tuning")) << line;
  EXPECT_TRUE(has(line, "reference&apos;s throughput")) << "escaped: " << line;
  std::string few =
      between(render(testing::sampleRun()), "<p id=\"overfitting\"", "</p>");
  EXPECT_TRUE(has(few, "not evaluated (not enough variants")) << few;
  EXPECT_FALSE(has(few, "v-cliff"));
}

TEST(HtmlReportTest, AttributesTheWorstVariantAndReproducesIt) {
  std::string html = render(testing::sampleRun());
  std::string attribution =
      between(html, "<section id=\"attribution\">", "</section>");
  EXPECT_TRUE(has(attribution, "<h3>v001:")) << attribution;
  EXPECT_FALSE(has(attribution, "<h3>v002:"));
  EXPECT_TRUE(has(attribution, "<span class=\"switch\">brgconv:avx512_core "
                               "&#8594; gemm:jit</span>"));
  EXPECT_TRUE(has(attribution, "(100%)"));
  std::string repro = between(html, "<section id=\"reproduce\">", "</section>");
  EXPECT_TRUE(has(repro, "goodhart-opt m.mlir --goodhart-set-channels="
                         "&apos;layer=conv channels=65&apos;"))
      << repro;
  EXPECT_TRUE(has(repro, "benchdnn --conv g1mb1ic4ih8oc65"));
  EXPECT_TRUE(has(repro, "<pre><code>goodhart campaign m.mlir</code></pre>"));
  EXPECT_TRUE(has(html, "No crash, hang"));
}

TEST(HtmlReportTest, EscapesEveryStringFromTheDatabase) {
  const std::string hostile = "<script>alert(1)</script>";
  RunData run = testing::sampleRun();
  for (VariantRecord &v : run.variants) {
    v.plan.layers[0].name = hostile;
    if (!v.isReference)
      v.mutations = {"set_channels(" + hostile + ", " +
                     std::to_string(v.plan.tensors[2].shape.back()) + ")"};
  }
  run.run.device = "\"quoted\" & 'single'";
  run.run.model = "<b>m</b>";
  run.findings.push_back({1, "v001", "mismatch", 0,
                          "element 3: got <1>, expected \"2\"", "--conv '<x>'",
                          ""});
  std::string html = render(run);
  EXPECT_FALSE(has(html, "<script")) << html;
  EXPECT_FALSE(has(html, "<b>m</b>"));
  EXPECT_TRUE(has(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_TRUE(has(html, "<h3>&lt;script&gt;alert(1)&lt;/script&gt; "
                        "channels</h3>"));
  EXPECT_TRUE(has(html, "&quot;quoted&quot; &amp; &apos;single&apos;"));
  // The hostile name still groups its variants and finds the reference.
  std::string svg = between(html, "<svg", "</svg>");
  EXPECT_EQ(count(svg, "<g class=\"point "), 2u);
  EXPECT_TRUE(has(svg, "reference 64"));
  std::string findings =
      between(html, "<section id=\"findings\">", "</section>");
  EXPECT_TRUE(has(findings, "<h2>Correctness findings</h2>"));
  EXPECT_TRUE(has(findings, "mismatch"));
  EXPECT_TRUE(has(findings, "0 &lt;script&gt;alert(1)&lt;/script&gt;"))
      << findings;
  EXPECT_TRUE(
      has(findings, "element 3: got &lt;1&gt;, expected &quot;2&quot;"));
  EXPECT_TRUE(has(findings, "<code>--conv &apos;&lt;x&gt;&apos;</code>"));
}

TEST(HtmlReportTest, UnmeasuredAndMultiMutationVariants) {
  RunData run = testing::sampleRun();
  VariantRecord lost =
      testing::variant("v003", 72, 1125000, 0, 0, 0, "brgconv:avx512_core");
  lost.model.reset();
  lost.layers.clear();
  run.variants.push_back(lost);
  VariantRecord pair =
      testing::variant("v004", 80, 1250000, 1250, 12, 1262, "jit:avx512");
  pair.mutations.push_back("set_channels(other, 9)");
  run.variants.push_back(pair);
  std::string html = render(run);
  std::string svg = between(html, "<svg", "</svg>");
  EXPECT_EQ(count(svg, "<g class=\"point "), 3u) << svg;
  EXPECT_EQ(count(svg, "<g class=\"point v-unmeasured\">"), 1u);
  EXPECT_TRUE(has(html, "and variants with several mutations): v004"));
  EXPECT_TRUE(has(html, "<tr><td>v004</td>"));
}

TEST(HtmlReportTest, PointsAboveTheAxisAreDrawnAtTheTop) {
  RunData run = testing::sampleRun();
  // 70 channels in a fifth of the reference's time: about 5.5x.
  run.variants.push_back(testing::variant("v006", 70, 1093750, 200, 10, 210,
                                          "brgconv:avx512_core"));
  std::string svg = between(render(run), "<svg", "</svg>");
  EXPECT_EQ(count(svg, "<g class=\"point "), 3u) << svg;
  EXPECT_EQ(count(svg, "class=\"pt clipped\""), 1u) << svg;
  EXPECT_TRUE(has(svg, "v006 set_channels(conv, 70): channels = 70, "
                       "throughput/FLOP 5."))
      << svg;
  EXPECT_FALSE(has(svg, ">4</text>")) << svg; // the axis stops at 3
}

TEST(HtmlReportTest, GroupsByLayerAndDimensionWorstFirst) {
  RunData run = testing::sampleRun();
  VariantRecord other =
      testing::variant("v005", 64, 1000000, 1000, 10, 1010, "x");
  other.mutations = {"set_channels(relu, 70)"};
  run.variants.push_back(other);
  RunVerdict verdict = judgeRun(run);
  DimensionGroups groups = groupByDimension(run, verdict);
  ASSERT_EQ(groups.series.size(), 2u);
  EXPECT_EQ(groups.series[0].title(), "conv channels");
  ASSERT_TRUE(groups.series[0].referenceValue.has_value());
  EXPECT_EQ(*groups.series[0].referenceValue, 64);
  ASSERT_EQ(groups.series[0].points.size(), 2u);
  EXPECT_EQ(groups.series[0].points[0].value, 65);
  EXPECT_EQ(groups.series[0].points[1].value, 96);
  EXPECT_EQ(groups.series[1].title(), "relu channels");
  EXPECT_TRUE(groups.ungrouped.empty());
}

TEST(HtmlReportTest, RegisteredAsIndexHtml) {
  RunData run = testing::sampleRun();
  RunVerdict verdict = judgeRun(run);
  std::string dir = ::testing::TempDir() + "/html-report";
  auto paths = writeReports({run, verdict, {}}, dir, {"html"});
  ASSERT_TRUE(paths.isOk()) << paths.status().toString();
  ASSERT_EQ(paths->size(), 1u);
  EXPECT_TRUE(has((*paths)[0], "/index.html"));
  std::ifstream in((*paths)[0]);
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, "<!DOCTYPE html>");
}

TEST(HtmlReportTest, RunWithoutReferenceSaysSo) {
  RunData run = testing::sampleRun();
  run.variants.erase(run.variants.begin());
  std::string html = render(run);
  EXPECT_TRUE(has(html, "holds no reference measurement"));
  EXPECT_TRUE(has(html, "</html>"));
}

} // namespace
} // namespace goodhart
