//===- MarkdownReportTest.cpp - report.md ---------------------------------===//

#include "reports/ReportText.h"
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
  EXPECT_TRUE(createMarkdownWriter()->write({run, verdict, {}}, os).isOk());
  return os.str();
}

bool has(const std::string &text, const std::string &needle) {
  return text.find(needle) != std::string::npos;
}

TEST(MarkdownReportTest, OverfittingIndexNearTheTop) {
  std::string md = render(testing::overfittedRun());
  size_t at = md.find("**Overfitting index: 1.397 [");
  ASSERT_NE(at, std::string::npos) << md;
  EXPECT_LT(at, md.find("Worst variant"));
  EXPECT_TRUE(has(md, "median of its 4 equivalent variants")) << md;
  // The fixture measures no layer twice: no noise figure pretends to be 0.
  EXPECT_TRUE(has(md, "One-shot tuning: the whole interval lies above 1 "
                      "+-5.0% (the floor alone: no identity variant and no "
                      "unchanged layer was measured twice)"))
      << md;
  EXPECT_TRUE(has(md, "Run-to-run noise: not measured (no layer the "
                      "mutations did not change was measured twice"))
      << md;
  std::string few = render(testing::sampleRun());
  EXPECT_TRUE(has(few, "Overfitting index: not evaluated (not enough "
                       "variants: 2 measured as a whole model, 3 needed)."))
      << few;
}

TEST(MarkdownReportTest, FractionOfPeakNextToTheRatios) {
  RunData run = testing::sampleRun();
  run.run.runner["peak_gflops"] = {{"f32", 1000.0}};
  std::string md = render(run);
  EXPECT_TRUE(
      has(md, "| throughput/FLOP vs reference | of peak (GFLOP/s) | verdict |"))
      << md;
  // v001's conv: 500 GFLOP/s, half the f32 peak.
  EXPECT_TRUE(has(md, "| 0.500 [0.490, 0.510] | 50.0% (500 GFLOP/s) |")) << md;
  // Without a measured peak: the GFLOP/s alone.
  EXPECT_TRUE(has(render(testing::sampleRun()), "| 500 GFLOP/s |"));
}

TEST(MarkdownReportTest, LayersThatComputeNothingSayPerByte) {
  RunData run = testing::sampleRun();
  testing::makeReluACopy(run);
  std::string md = render(run);
  EXPECT_TRUE(has(md, "| 1.000 [0.980, 1.020] per byte |")) << md;
}

TEST(MarkdownReportTest, SummaryTablesAndReproducers) {
  std::string md = render(testing::sampleRun());
  EXPECT_TRUE(has(md, "# goodhart report: m on oneDNN 2.6.3")) << md;
  EXPECT_TRUE(has(md, "2 variants against the reference: 1 slower")) << md;
  EXPECT_TRUE(has(md, "1 cliffs"));
  EXPECT_TRUE(has(md, "Worst variant: **v001**"));
  EXPECT_TRUE(has(md, "| device | Test CPU |"));
  EXPECT_TRUE(has(md, "| reference | - | 1.000 |"));
  EXPECT_TRUE(has(md, "| v001 | set_channels(conv, 65) |"));
  EXPECT_TRUE(has(md, "**cliff** (slower)"));
  // The changed conv is starred and its implementation switch shown.
  EXPECT_TRUE(has(md, "| *conv | conv2d | 1x8x8x65 | "
                      "**brgconv:avx512_core → gemm:jit** |"))
      << md;
  EXPECT_TRUE(has(md, "goodhart-opt m.mlir --goodhart-set-channels="
                      "'layer=conv channels=65'"));
  EXPECT_TRUE(has(md, "benchdnn --conv g1mb1ic4ih8oc65"));
  EXPECT_TRUE(has(md, "No crash, hang"));
}

TEST(MarkdownReportTest, EscapesTableCellsAndListsFindings) {
  RunData run = testing::sampleRun();
  run.run.device = "CPU | with a pipe";
  run.findings.push_back({1, "v002", "hang", std::nullopt,
                          "no answer | in 600 s\nkilled", "", ""});
  std::string md = render(run);
  EXPECT_TRUE(has(md, "| device | CPU \\| with a pipe |")) << md;
  EXPECT_TRUE(has(md, "| hang | v002 | - | no answer \\| in 600 s killed |"))
      << md;
}

TEST(MarkdownReportTest, WrongResultsShowInTheCheckColumn) {
  RunData run = testing::sampleRun();
  run.variants[1].layers[0].check.verdict = CheckVerdict::kMismatch;
  run.variants[1].layers[0].check.reason = "element 3: got 1, expected 2";
  run.variants[2].layers[0].check.verdict = CheckVerdict::kPassed;
  run.variants[2].layers[0].check.points = 64;
  run.variants[2].layers[0].check.maxRelErr = 2.5e-7;
  std::string md = render(run);
  EXPECT_TRUE(has(md, "| **mismatch**: element 3: got 1, expected 2 |")) << md;
  EXPECT_TRUE(has(md, "| passed (64 points, max rel. err 2.5e-07) |")) << md;
  // With the share of the tolerance the check used, where the runner says.
  run.variants[2].layers[0].check.maxRelErr = 0.75;
  run.variants[2].layers[0].check.toleranceUsed = 0.31;
  EXPECT_TRUE(has(render(run), "| passed (64 points, max rel. err 7.5e-01, "
                               "31% of the tolerance) |"))
      << render(run);
}

TEST(ReportTextTest, ASharePastThePeakSaysThePeakWasDisturbed) {
  PeakShare half{50, "f32", 0.5};
  EXPECT_EQ(peakString(half), "50.0% (50 GFLOP/s)");
  PeakShare past{180, "f32", 1.8};
  EXPECT_NE(peakString(past).find("above the measured peak"),
            std::string::npos);
}

TEST(ReportTextTest, DataMovementIsGivenInGbPerSecond) {
  PeakShare copy = bandwidthShare(2000, 10, 400); // 200 GB/s of 400
  EXPECT_EQ(peakString(copy), "50.0% (200 GB/s)");
  EXPECT_EQ(peakString(bandwidthShare(2000, 10, 0)), "200 GB/s");
  EXPECT_EQ(peakString(bandwidthShare(0, 10, 400)), "-");
  // A small layer whose data stayed in cache outruns the memory copy.
  EXPECT_NE(peakString(bandwidthShare(2000, 1, 400)).find("stayed in cache"),
            std::string::npos);
}

TEST(ReportTextTest, ReproducesEveryMutationKindWithGoodhartOpt) {
  RunRecord run;
  run.source = "m.mlir";
  EXPECT_EQ(variantRepro(run, {"set_channels(c, 65)", "set_dtype(*, bf16)"}),
            "goodhart-opt m.mlir --goodhart-set-channels='layer=c channels=65' "
            "--goodhart-set-dtype='layer=* dtype=bf16'");
  EXPECT_EQ(variantRepro(run, {"set_activation(a, silu)"}),
            "goodhart-opt m.mlir --goodhart-set-activation='layer=a "
            "activation=silu'");
  EXPECT_EQ(variantRepro(run, {"scale_width(layer2, 90)"}),
            "goodhart-opt m.mlir --goodhart-scale-width='stage=layer2 "
            "percent=90'");
  EXPECT_EQ(variantRepro(run, {"identity(*, 7)"}),
            "goodhart-opt m.mlir --goodhart-identity='seed=7'");
  EXPECT_EQ(variantRepro(run, {"warp_speed(a, 9)"}), "");
  // The kinds that change shapes, windows and attention: one pass each.
  EXPECT_EQ(variantRepro(run, {"set_spatial(*, 232)", "set_batch(*, 2)",
                               "set_seq(*, 383)"}),
            "goodhart-opt m.mlir --goodhart-set-spatial='size=232' "
            "--goodhart-set-batch='size=2' --goodhart-set-seq='length=383'");
  EXPECT_EQ(
      variantRepro(run, {"move_stride(layer2.0, 1)", "set_kernel(stem, 5)",
                         "set_groups(layer3.0.conv2, 4)"}),
      "goodhart-opt m.mlir --goodhart-move-stride='block=layer2.0 "
      "position=1' --goodhart-set-kernel='layer=stem kernel=5' "
      "--goodhart-set-groups='layer=layer3.0.conv2 groups=4'");
  EXPECT_EQ(variantRepro(run, {"set_heads(*, 24)", "set_head_dim(enc, 48)",
                               "set_hidden(*, 1040)"}),
            "goodhart-opt m.mlir --goodhart-set-heads='scope=* heads=24' "
            "--goodhart-set-head-dim='scope=enc dim=48' "
            "--goodhart-set-hidden='hidden=1040'");
  // A retyped reference (generate --dtype): its retype comes first.
  VariantVerdict retyped;
  retyped.baseMutations = {"set_dtype(*, bf16)"};
  retyped.mutations = {"set_kernel(stem, 5)"};
  std::vector<std::string> lines = variantReproLines(run, retyped);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "# the variant model\ngoodhart-opt m.mlir "
                      "--goodhart-set-dtype='layer=* dtype=bf16' "
                      "--goodhart-set-kernel='layer=stem kernel=5'");
  // One step without a pass leaves the whole line out.
  EXPECT_EQ(variantRepro(run, {"set_kernel(stem, 5)", "warp_speed(a, 9)"}), "");
}

TEST(ReportTextTest, LayerReproducersRunInTheBackendsOwnTool) {
  EXPECT_EQ(layerReproCommand("onednn", "--conv mb1ic4ih8oc65"),
            "benchdnn --conv mb1ic4ih8oc65");
  const std::string torch =
      "x=torch.randn(8,device='cuda'); y=torch.relu(x) # goodhart fused it";
  EXPECT_EQ(layerReproCommand("cudnn", torch),
            "python3 -c \"import torch; " + torch + "\"");
  // A line the shell quoting cannot hold, and a backend it does not know,
  // stay as the runner wrote them.
  EXPECT_EQ(layerReproCommand("cudnn", "print(\"x\")"), "print(\"x\")");
  EXPECT_EQ(layerReproCommand("npu", "run --op conv"), "run --op conv");
}

TEST(MarkdownReportTest, ACudnnRunIsReproducedWithPyTorchNotBenchdnn) {
  RunData run = testing::sampleRun();
  run.run.backend = "cudnn";
  for (VariantRecord &v : run.variants)
    for (LayerResult &l : v.layers)
      l.repro = "y=torch.relu(torch.randn(8,device='cuda'))";
  std::string md = render(run);
  EXPECT_TRUE(has(md, "# conv (conv2d)\npython3 -c \"import torch; "
                      "y=torch.relu(torch.randn(8,device='cuda'))\""))
      << md;
  EXPECT_FALSE(has(md, "benchdnn")) << md;
}

TEST(MarkdownReportTest, GpuPowerAndThrottlingAreReported) {
  std::string md = render(testing::gpuRun());
  EXPECT_TRUE(has(md, "Energy (NVML's energy counter, over at least 200 "
                      "ms): the reference drew 400 W and did 2.49 GFLOP per "
                      "joule."))
      << md;
  // v001: 0.503x per FLOP at 300 W against 400 W.
  EXPECT_TRUE(has(md, "Least efficient per watt: v001 at 0.670x the "
                      "reference's throughput per watt (0.503x per FLOP)."))
      << md;
  EXPECT_TRUE(has(md, "1 measured variant has no whole-model power"));
  EXPECT_TRUE(
      has(md, "| of peak (GFLOP/s) | throughput/W vs reference | verdict |\n"
              "|---|---|---|---|---|---|---|---|\n"))
      << md;
  EXPECT_TRUE(has(md, "| 994 GFLOP/s | 1 at 400 W | - |")) << md;
  EXPECT_TRUE(has(md, " | 0.670 [0.657, 0.684] at 300 W | **cliff**")) << md;
  EXPECT_TRUE(has(md, "- (NVML's energy counter did not advance over the "
                      "12.0 ms of sampling)"))
      << md;
  // The throttled conv says so in its verdict, and the summary warns.
  EXPECT_TRUE(has(md, "(**throttled: variant 1/3 samples**)")) << md;
  EXPECT_TRUE(has(md, "**Throttling: in 1 comparisons a side has samples "
                      "taken while the GPU throttled"))
      << md;

  // A CPU run's report has neither column nor paragraph.
  std::string cpu = render(testing::sampleRun());
  EXPECT_FALSE(has(cpu, "throughput/W")) << cpu;
  EXPECT_FALSE(has(cpu, "Energy")) << cpu;
  EXPECT_FALSE(has(cpu, "Throttling")) << cpu;
  // Power over windows too short to trust: no column, and the reason.
  RunData brief = testing::gpuRun();
  for (VariantRecord &v : brief.variants) {
    for (LayerResult &l : v.layers)
      l.measurement.extra["energy_wall_ms"] = 15.0;
    v.model->measurement.extra["energy_wall_ms"] = 15.0;
  }
  std::string shortWindows = render(brief);
  // Whole models with a power figure but layers without: no layer column.
  RunData modelsOnly = testing::gpuRun();
  for (VariantRecord &v : modelsOnly.variants)
    for (LayerResult &l : v.layers)
      l.measurement.extra["energy_wall_ms"] = 15.0;
  std::string models = render(modelsOnly);
  EXPECT_TRUE(has(
      models, "| of peak (GFLOP/s) | throughput/W vs reference | verdict |"))
      << models;
  EXPECT_TRUE(has(models, "| of peak (GFLOP/s, or GB/s moved) | verdict | "
                          "check |"))
      << models;
  EXPECT_FALSE(has(shortWindows, "throughput/W")) << shortWindows;
  EXPECT_TRUE(has(shortWindows, "Energy: no power figure (the reference's "
                                "whole model: energy over only 15 ms of "
                                "sampling, too short"))
      << shortWindows;
}

TEST(MarkdownReportTest, RunWithoutReferenceSaysSo) {
  RunData run = testing::sampleRun();
  run.variants.erase(run.variants.begin());
  std::string md = render(run);
  EXPECT_TRUE(has(md, "holds no reference measurement"));
}

TEST(ReportRegistryTest, WritesFilesAndRejectsUnknownFormats) {
  RunData run = testing::sampleRun();
  RunVerdict verdict = judgeRun(run);
  std::string dir = ::testing::TempDir() + "/reports";
  auto paths = writeReports({run, verdict, {}}, dir, {"markdown"});
  ASSERT_TRUE(paths.isOk()) << paths.status().toString();
  ASSERT_EQ(paths->size(), 1u);
  std::ifstream in((*paths)[0]);
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, "# goodhart report: m on oneDNN 2.6.3");
  auto bad = writeReports({run, verdict, {}}, dir, {"pdf"});
  ASSERT_FALSE(bad.isOk());
  EXPECT_TRUE(has(bad.status().message(), "unknown report format 'pdf'"));
  EXPECT_TRUE(has(bad.status().message(), "markdown"));
}

} // namespace
} // namespace goodhart
