//===- ResultsDbMemoTest.cpp - Memoized layer lookup in the results db ----===//
//
// Per-layer memoization (generator/cli/Memoization.h) relies on
// ResultsDb::findMemoizedLayer and on reused rows round-tripping.
//
//===----------------------------------------------------------------------===//

#include "oracle/ResultsDb.h"

#include "OracleTestData.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>

namespace goodhart {
namespace {

std::string freshPath(const std::string &name) {
  std::string path =
      ::testing::TempDir() + "/" + std::to_string(getpid()) + "-" + name;
  for (const char *suffix : {"", "-wal", "-shm"})
    std::remove((path + suffix).c_str());
  return path;
}

struct MemoDb {
  std::unique_ptr<ResultsDb> db;
  int64_t runId = 0;
};

MemoDb openWithRun(const std::string &name) {
  MemoDb m;
  auto db = ResultsDb::open(freshPath(name));
  EXPECT_TRUE(db.isOk()) << db.status().toString();
  m.db = std::move(db).value();
  auto id = m.db->beginRun(testing::sampleRun().run);
  EXPECT_TRUE(id.isOk());
  m.runId = *id;
  return m;
}

TEST(ResultsDbMemoTest, FindsALayerOnlyUnderItsMemoKey) {
  MemoDb m = openWithRun("memo-key.db");
  VariantRecord ref = testing::sampleRun().variants[0];
  ref.memoKey = "key-a";
  ref.layers[0].measurement.extra = {{"power_w", 300.0}};
  ASSERT_TRUE(m.db->addVariant(m.runId, ref).isOk());
  const std::string convHash = ref.plan.layers[0].hash;

  auto hit = m.db->findMemoizedLayer(convHash, "key-a");
  ASSERT_TRUE(hit.isOk()) << hit.status().toString();
  ASSERT_TRUE(hit->has_value());
  EXPECT_GT((*hit)->measurementId, 0);
  EXPECT_EQ((*hit)->result.hash, convHash);
  EXPECT_EQ((*hit)->result.impl, "brgconv:avx512_core");
  EXPECT_DOUBLE_EQ((*hit)->result.measurement.stats.medianNs, 1000);
  EXPECT_EQ((*hit)->result.measurement.samplesNs.size(), 3u);
  EXPECT_EQ((*hit)->result.measurement.extra, ref.layers[0].measurement.extra)
      << "a reused layer keeps the power it was measured at";
  EXPECT_EQ((*hit)->layerName, ref.plan.layers[0].name);

  auto otherKey = m.db->findMemoizedLayer(convHash, "key-b");
  ASSERT_TRUE(otherKey.isOk());
  EXPECT_FALSE(otherKey->has_value());
  auto otherHash = m.db->findMemoizedLayer("0123456789abcdef", "key-a");
  ASSERT_TRUE(otherHash.isOk());
  EXPECT_FALSE(otherHash->has_value());
}

TEST(ResultsDbMemoTest, ResultsWithoutAMemoKeyAreNotReused) {
  MemoDb m = openWithRun("memo-none.db");
  VariantRecord ref = testing::sampleRun().variants[0]; // memoKey ""
  ASSERT_TRUE(m.db->addVariant(m.runId, ref).isOk());
  auto hit = m.db->findMemoizedLayer(ref.plan.layers[0].hash, "");
  ASSERT_TRUE(hit.isOk());
  EXPECT_FALSE(hit->has_value());
}

TEST(ResultsDbMemoTest, ErrorsAndWrongOutputsAreMeasuredAgain) {
  MemoDb m = openWithRun("memo-bad.db");
  VariantRecord ref = testing::sampleRun().variants[0];
  ref.memoKey = "k";
  ref.layers[0].measurement.status = ResultStatus::kError;
  ref.layers[0].measurement.reason = "primitive creation failed";
  ref.layers[1].check.verdict = CheckVerdict::kMismatch;
  ASSERT_TRUE(m.db->addVariant(m.runId, ref).isOk());
  for (const Layer &layer : ref.plan.layers) {
    auto hit = m.db->findMemoizedLayer(layer.hash, "k");
    ASSERT_TRUE(hit.isOk());
    EXPECT_FALSE(hit->has_value()) << layer.name;
  }
}

TEST(ResultsDbMemoTest, ReusedRowsPointAtTheMeasuredRowAndRoundTrip) {
  MemoDb m = openWithRun("memo-reuse.db");
  RunData sample = testing::sampleRun();
  VariantRecord ref = sample.variants[0];
  ref.memoKey = "k";
  ASSERT_TRUE(m.db->addVariant(m.runId, ref).isOk());
  auto original = m.db->findMemoizedLayer(ref.plan.layers[1].hash, "k");
  ASSERT_TRUE(original.isOk() && original->has_value());
  const int64_t originalId = (*original)->measurementId;

  // v003 solves the reference's problems: its conv is measured again, its
  // relu reused from the reference's row.
  VariantRecord same = testing::variant("v003", 64, 1000000, 1100, 10, 1110,
                                        "brgconv:avx512_core");
  same.memoKey = "k";
  same.reused[1] = LayerReuse{originalId, -1};
  ASSERT_TRUE(m.db->addVariant(m.runId, same).isOk());

  // The lookup returns measured rows only, the newest first.
  auto conv = m.db->findMemoizedLayer(ref.plan.layers[0].hash, "k");
  ASSERT_TRUE(conv.isOk() && conv->has_value());
  EXPECT_DOUBLE_EQ((*conv)->result.measurement.stats.medianNs, 1100);
  auto relu = m.db->findMemoizedLayer(ref.plan.layers[1].hash, "k");
  ASSERT_TRUE(relu.isOk() && relu->has_value());
  EXPECT_EQ((*relu)->measurementId, originalId);

  auto run = m.db->loadRun(m.runId);
  ASSERT_TRUE(run.isOk()) << run.status().toString();
  const VariantRecord *loaded = nullptr;
  for (const VariantRecord &v : run->variants)
    if (v.key == "v003")
      loaded = &v;
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->memoKey, "k");
  EXPECT_FALSE(loaded->isReused(0));
  ASSERT_TRUE(loaded->isReused(1));
  EXPECT_EQ(loaded->reused.at(1).measurementId, originalId);
  EXPECT_TRUE(run->reference()->reused.empty());
}

TEST(ResultsDbMemoTest, ARepeatedLayerPointsAtItsTwinInTheSameVariant) {
  MemoDb m = openWithRun("memo-twin.db");
  VariantRecord v = testing::sampleRun().variants[0];
  v.memoKey = "k";
  v.reused[1] = LayerReuse{0, 0}; // as if layer 1 repeated layer 0
  ASSERT_TRUE(m.db->addVariant(m.runId, v).isOk());
  auto conv = m.db->findMemoizedLayer(v.plan.layers[0].hash, "k");
  ASSERT_TRUE(conv.isOk() && conv->has_value());
  auto run = m.db->loadRun(m.runId);
  ASSERT_TRUE(run.isOk());
  EXPECT_EQ(run->variants[0].reused.at(1).measurementId,
            (*conv)->measurementId);

  // A twin stored after the layer that reuses it is refused, atomically.
  VariantRecord bad = testing::sampleRun().variants[1];
  bad.memoKey = "k";
  bad.reused[0] = LayerReuse{0, 1};
  auto stored = m.db->addVariant(m.runId, bad);
  EXPECT_FALSE(stored.isOk());
  auto keys = m.db->variantKeys(m.runId);
  ASSERT_TRUE(keys.isOk());
  EXPECT_EQ(keys->size(), 1u);
}

} // namespace
} // namespace goodhart
