//===- GuidedSearchTest.cpp - The engine behind goodhart-fuzz -------------===//
//
// Drives the guided search the way libFuzzer does, on smallcnn with the
// real oneDNN runner and short measurements.
//
//===----------------------------------------------------------------------===//

#include "generator/fuzz/GuidedSearch.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

namespace goodhart::fuzz {
namespace {

namespace fs = std::filesystem;

const std::string kSmallCnn = GOODHART_SOURCE_DIR "/corpus/smallcnn.mlir";
const std::string kOneDnnRunner =
    GOODHART_BINARY_DIR "/bin/goodhart-runner-onednn";
const std::string kFaultRunner =
    GOODHART_BINARY_DIR "/bin/goodhart-fault-runner";

std::string tempDir(const std::string &name) {
  fs::path dir = fs::temp_directory_path() /
                 ("goodhart-guided-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::vector<std::string> fastArgs(const std::string &dir,
                                  const std::string &runner,
                                  const std::string &model) {
  return {"-runs=10", // libFuzzer's: skipped
          "--model=" + model,
          "--runner=" + runner,
          "--db=" + dir + "/fuzz.db",
          "--artifacts=" + dir + "/findings",
          "--identity-variants=1",
          "--threads=1",
          "--warmup-ms=1",
          "--min-samples=3",
          "--min-time-ms=2",
          "--max-time-ms=20",
          "--max-variants=2",
          "--cliff-threshold=2" /* every measured layer is a "cliff" */};
}

/// The genome of set_channels(block1.conv1, 65).
std::string conv1To65(const GenomeDecoder &decoder) {
  const auto &sites = decoder.sites();
  for (size_t i = 0; i < sites.size(); ++i)
    if (sites[i].kind == "set_channels" && sites[i].layer == "block1.conv1") {
      auto it =
          std::find(sites[i].candidates.begin(), sites[i].candidates.end(), 65);
      return serializeGenome(
          {{static_cast<uint16_t>(i),
            static_cast<uint16_t>(it - sites[i].candidates.begin())}});
    }
  ADD_FAILURE() << "no set_channels site on block1.conv1";
  return "";
}

Evaluation evaluate(GuidedSearch &search, const std::string &genome) {
  return search.evaluate(reinterpret_cast<const uint8_t *>(genome.data()),
                         genome.size());
}

TEST(GuidedSearchTest, OptionsNeedAModelAndSkipLibFuzzerFlags) {
  auto missing = parseGuidedOptions({"-runs=3", "corpus_dir"});
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.status().message().find("--model"), std::string::npos);
  auto bad = parseGuidedOptions({"--model=m.mlir", "--max-genes=99"});
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("--max-genes"), std::string::npos);
  auto ok = parseGuidedOptions({"-seed=4", "--model=m.mlir", "--db=x.db"});
  ASSERT_TRUE(ok.isOk()) << ok.status().toString();
  EXPECT_EQ(ok->model, "m.mlir");
  EXPECT_EQ(ok->measure.db, "x.db");
  EXPECT_EQ(ok->measure.measure.mode, MeasureMode::kLayers)
      << "per-layer measurement unless --mode says otherwise";
}

TEST(GuidedSearchTest, MeasuresJudgesAndStoresVariants) {
  if (!fs::exists(kOneDnnRunner))
    GTEST_SKIP() << "no oneDNN runner in this build";
  std::string dir = tempDir("measure");
  auto options = parseGuidedOptions(fastArgs(dir, kOneDnnRunner, kSmallCnn));
  ASSERT_TRUE(options.isOk()) << options.status().toString();
  auto started = GuidedSearch::start(std::move(*options));
  ASSERT_TRUE(started.isOk()) << started.status().toString();
  GuidedSearch &search = **started;

  EXPECT_EQ(evaluate(search, "").kind, Evaluation::Kind::kReference);

  std::string genome = conv1To65(search.decoder());
  Evaluation first = evaluate(search, genome);
  ASSERT_EQ(first.kind, Evaluation::Kind::kMeasured);
  EXPECT_EQ(first.key, "g0001");
  EXPECT_EQ(first.mutations,
            std::vector<std::string>{"set_channels(block1.conv1, 65)"});
  EXPECT_FALSE(first.features.empty());
  EXPECT_GT(first.cliffs, 0) << "with --cliff-threshold=2 every layer is one";
  EXPECT_TRUE(fs::exists(dir + "/findings/g0001.mlir"));
  EXPECT_TRUE(fs::exists(dir + "/findings/g0001.plan.json"));
  EXPECT_TRUE(fs::exists(dir + "/findings/g0001.genome"));

  // The same variant again costs nothing and gives the same features.
  Evaluation again = evaluate(search, genome);
  EXPECT_EQ(again.kind, Evaluation::Kind::kSeen);
  EXPECT_EQ(again.features, first.features);

  // Mutated genomes are canonical: they decode to themselves.
  std::vector<uint8_t> buffer(genome.begin(), genome.end());
  buffer.resize(64);
  size_t size = search.mutate(buffer.data(), genome.size(), buffer.size(), 9);
  ASSERT_GT(size, 0u);
  std::vector<Gene> mutated = parseGenome(buffer.data(), size);
  EXPECT_EQ(search.decoder().decode(mutated).genes, mutated);
  EXPECT_FALSE(search.decoder().decode(mutated).isReference());

  // --max-variants=2: one more is measured, then nothing.
  int64_t runId = search.runId();
  for (uint16_t value = 0; !search.exhausted() && value < 50; ++value) {
    std::string other = serializeGenome({{0, value}});
    evaluate(search, other);
  }
  EXPECT_TRUE(search.exhausted());
  EXPECT_EQ(evaluate(search, serializeGenome({{1, 3}, {2, 4}})).kind,
            Evaluation::Kind::kSkipped);
  ASSERT_TRUE(search.finish().isOk());

  auto db = ResultsDb::open(dir + "/fuzz.db");
  ASSERT_TRUE(db.isOk());
  auto run = (*db)->loadRun(runId);
  ASSERT_TRUE(run.isOk()) << run.status().toString();
  EXPECT_EQ(run->run.strategy, "guided");
  EXPECT_EQ(run->run.status, "finished");
  std::map<std::string, std::vector<std::string>> mutations;
  for (const VariantRecord &v : run->variants)
    mutations[v.key] = v.mutations;
  ASSERT_EQ(mutations.size(), 4u);
  EXPECT_TRUE(mutations.count("reference"));
  EXPECT_EQ(mutations["identity-1"].size(), 1u);
  EXPECT_EQ(mutations["g0001"], first.mutations);
  EXPECT_EQ(mutations["g0002"].size(), 1u);
}

TEST(GuidedSearchTest, AReferenceThatCrashesTheRunnerIsAClearError) {
  if (!fs::exists(kFaultRunner))
    GTEST_SKIP() << "no fault-injection runner in this build";
  std::string dir = tempDir("crash");
  // The fault runner crashes on plans whose model is named "crash".
  fs::copy_file(kSmallCnn, dir + "/crash.mlir");
  auto options =
      parseGuidedOptions(fastArgs(dir, kFaultRunner, dir + "/crash.mlir"));
  ASSERT_TRUE(options.isOk());
  auto started = GuidedSearch::start(std::move(*options));
  ASSERT_FALSE(started.isOk());
  EXPECT_NE(started.status().message().find("reference could not be measured"),
            std::string::npos)
      << started.status().message();
}

} // namespace
} // namespace goodhart::fuzz
