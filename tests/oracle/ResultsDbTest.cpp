//===- ResultsDbTest.cpp - The SQLite results database --------------------===//

#include "oracle/ResultsDb.h"

#include "OracleTestData.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <sqlite3.h>

#include <cstdio>
#include <filesystem>

namespace goodhart {
namespace {

std::string freshPath(const std::string &name) {
  std::string path =
      ::testing::TempDir() + "/" + std::to_string(getpid()) + "-" + name;
  for (const char *suffix : {"", "-wal", "-shm"})
    std::remove((path + suffix).c_str());
  return path;
}

TEST(ResultsDbTest, NewFileGetsTheCurrentSchemaInWalMode) {
  std::string path = freshPath("new.db");
  auto db = ResultsDb::open(path);
  ASSERT_TRUE(db.isOk()) << db.status().toString();
  EXPECT_EQ((*db)->schemaVersion(), kResultsSchemaVersion);
  sqlite3 *raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  sqlite3_stmt *stmt = nullptr;
  sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &stmt, nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char *>(sqlite3_column_text(stmt, 0)),
               "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
}

TEST(ResultsDbTest, RoundTripsARun) {
  std::string path = freshPath("roundtrip.db");
  RunData input = testing::sampleRun();
  // A GPU runner's facts about a measurement travel with it.
  input.variants[1].layers[0].measurement.extra = {
      {"power_w", 412.5}, {"throttled", {0, 1, 0}}, {"throttled_samples", 1}};
  input.variants[1].model->measurement.extra = {{"energy_mj", 30.0}};
  input.variants[1].layers[0].check.toleranceUsed = 0.4;
  int64_t runId = 0;
  {
    auto db = ResultsDb::open(path);
    ASSERT_TRUE(db.isOk());
    auto id = (*db)->beginRun(input.run);
    ASSERT_TRUE(id.isOk()) << id.status().toString();
    runId = *id;
    for (const VariantRecord &v : input.variants)
      ASSERT_TRUE((*db)->addVariant(runId, v).isOk());
    ASSERT_TRUE((*db)
                    ->addFinding(runId, {0, "v001", "crash", 0,
                                         "killed by signal SIGSEGV",
                                         "plan: v001.plan.json", ""})
                    .isOk());
    ASSERT_TRUE((*db)->finishRun(runId, "finished").isOk());
  }
  auto db = ResultsDb::open(path); // reopened: everything was committed
  ASSERT_TRUE(db.isOk());
  auto data = (*db)->loadRun(runId);
  ASSERT_TRUE(data.isOk()) << data.status().toString();
  EXPECT_EQ(data->run.libraryVersion, "2.6.3");
  EXPECT_EQ(data->run.commandLine, "goodhart campaign m.mlir");
  EXPECT_EQ(data->run.status, "finished");
  EXPECT_FALSE(data->run.finishedAt.empty());
  ASSERT_EQ(data->variants.size(), 3u);
  ASSERT_TRUE(data->reference());
  EXPECT_EQ(data->variants[0].key, "reference") << "reference first";
  const VariantRecord &v001 = data->variants[1];
  EXPECT_EQ(v001.key, "v001");
  EXPECT_EQ(v001.mutations,
            std::vector<std::string>({"set_channels(conv, 65)"}));
  EXPECT_EQ(planToJson(v001.plan), planToJson(input.variants[1].plan));
  ASSERT_EQ(v001.layers.size(), 2u);
  EXPECT_EQ(v001.layers[0].impl, "gemm:jit");
  EXPECT_EQ(v001.layers[0].measurement.samplesNs,
            input.variants[1].layers[0].measurement.samplesNs);
  EXPECT_DOUBLE_EQ(v001.layers[0].measurement.stats.ciHighNs,
                   input.variants[1].layers[0].measurement.stats.ciHighNs);
  EXPECT_EQ(v001.layers[0].measurement.extra,
            input.variants[1].layers[0].measurement.extra);
  EXPECT_DOUBLE_EQ(v001.layers[0].check.toleranceUsed, 0.4);
  EXPECT_TRUE(v001.layers[1].measurement.extra.empty());
  ASSERT_TRUE(v001.model);
  EXPECT_DOUBLE_EQ(v001.model->measurement.stats.medianNs, 2041.25);
  EXPECT_EQ(v001.model->measurement.extra,
            input.variants[1].model->measurement.extra);
  ASSERT_EQ(data->findings.size(), 1u);
  EXPECT_EQ(data->findings[0].kind, "crash");
  EXPECT_EQ(data->findings[0].layerId, 0);
  auto runs = (*db)->listRuns();
  ASSERT_TRUE(runs.isOk());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].variants, 3);
  EXPECT_EQ(*(*db)->latestRunId(), runId);
}

TEST(ResultsDbTest, MigratesAVersion1FileKeepingItsRuns) {
  // A file as goodhart wrote it before per-layer memoization (schema 1):
  // today's file with the version-2 and version-3 columns dropped again.
  std::string path = freshPath("v1.db");
  RunData input = testing::sampleRun();
  int64_t runId = 0;
  {
    auto db = ResultsDb::open(path);
    ASSERT_TRUE(db.isOk());
    runId = *(*db)->beginRun(input.run);
    for (const VariantRecord &v : input.variants)
      ASSERT_TRUE((*db)->addVariant(runId, v).isOk());
  }
  sqlite3 *raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  for (const char *sql :
       {"DROP INDEX layer_measurements_by_memo",
        "ALTER TABLE layer_measurements DROP COLUMN memo_key",
        "ALTER TABLE layer_measurements DROP COLUMN reused",
        "ALTER TABLE layer_measurements DROP COLUMN reused_from",
        "ALTER TABLE layer_measurements DROP COLUMN extra_json",
        "ALTER TABLE model_measurements DROP COLUMN extra_json",
        "PRAGMA user_version = 1"})
    ASSERT_EQ(sqlite3_exec(raw, sql, nullptr, nullptr, nullptr), SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(raw);
  sqlite3_close(raw);

  auto db = ResultsDb::open(path);
  ASSERT_TRUE(db.isOk()) << db.status().toString();
  EXPECT_EQ((*db)->schemaVersion(), kResultsSchemaVersion);
  auto data = (*db)->loadRun(runId);
  ASSERT_TRUE(data.isOk()) << data.status().toString();
  ASSERT_EQ(data->variants.size(), input.variants.size());
  EXPECT_EQ(data->variants[1].layers.size(), 2u);
  EXPECT_TRUE(data->variants[1].reused.empty())
      << "rows from before memoization were all measured";
  // And they are never offered for reuse: they carry no memo key.
  auto hit = (*db)->findMemoizedLayer(data->variants[1].layers[0].hash, "");
  ASSERT_TRUE(hit.isOk());
  EXPECT_FALSE(hit->has_value());
  // New runs go into the migrated file.
  EXPECT_TRUE((*db)->beginRun(input.run).isOk());
}

TEST(ResultsDbTest, ResumableRunsAreFoundByCommandLine) {
  std::string path = freshPath("resume.db");
  auto db = ResultsDb::open(path);
  ASSERT_TRUE(db.isOk());
  RunRecord run = testing::sampleRun().run;
  run.status = "running";
  auto id = (*db)->beginRun(run);
  ASSERT_TRUE(id.isOk());
  ASSERT_TRUE((*db)->addVariant(*id, testing::sampleRun().variants[0]).isOk());
  auto found = (*db)->findResumableRun(run.commandLine);
  ASSERT_TRUE(found.isOk());
  EXPECT_EQ(*found, std::optional<int64_t>(*id));
  EXPECT_EQ(*(*db)->variantKeys(*id), std::vector<std::string>({"reference"}));
  EXPECT_FALSE(*(*db)->findResumableRun("goodhart campaign other.mlir"));
  ASSERT_TRUE((*db)->finishRun(*id, "finished").isOk());
  EXPECT_FALSE(*(*db)->findResumableRun(run.commandLine));
}

TEST(ResultsDbTest, DuplicateVariantRollsBack) {
  std::string path = freshPath("dup.db");
  auto db = ResultsDb::open(path);
  ASSERT_TRUE(db.isOk());
  auto id = (*db)->beginRun(testing::sampleRun().run);
  VariantRecord v = testing::sampleRun().variants[1];
  ASSERT_TRUE((*db)->addVariant(*id, v).isOk());
  EXPECT_FALSE((*db)->addVariant(*id, v).isOk());
  auto data = (*db)->loadRun(*id);
  ASSERT_TRUE(data.isOk());
  ASSERT_EQ(data->variants.size(), 1u);
  EXPECT_EQ(data->variants[0].layers.size(), 2u) << "no half-written rows";
}

TEST(ResultsDbTest, RefusesANewerSchema) {
  std::string path = freshPath("newer.db");
  {
    sqlite3 *raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    sqlite3_exec(raw, "PRAGMA user_version = 99", nullptr, nullptr, nullptr);
    sqlite3_close(raw);
  }
  auto db = ResultsDb::open(path);
  ASSERT_FALSE(db.isOk());
  EXPECT_NE(db.status().message().find(path), std::string::npos);
  EXPECT_NE(db.status().message().find("version 99"), std::string::npos);
  EXPECT_NE(db.status().message().find(
                "(" + std::to_string(kResultsSchemaVersion) + ")"),
            std::string::npos);
}

TEST(ResultsDbTest, NotADatabaseIsAClearError) {
  std::string path = freshPath("text.db");
  std::FILE *f = std::fopen(path.c_str(), "w");
  std::fputs("this is a text file, not SQLite, and it is long enough to be "
             "read as a header by sqlite when it opens the file.\n",
             f);
  std::fclose(f);
  auto db = ResultsDb::open(path);
  ASSERT_FALSE(db.isOk());
  EXPECT_NE(db.status().message().find(path), std::string::npos);
}

TEST(ResultsDbTest, UnknownRunIsAnError) {
  auto db = ResultsDb::open(freshPath("empty.db"));
  ASSERT_TRUE(db.isOk());
  EXPECT_FALSE((*db)->loadRun(42).isOk());
  EXPECT_FALSE((*db)->latestRunId().isOk());
}

TEST(ResultsDbTest, StoresRunnerFactsLearntAfterHello) {
  std::string path = freshPath("runner.db");
  auto db = ResultsDb::open(path);
  ASSERT_TRUE(db.isOk());
  RunRecord run = testing::sampleRun().run;
  run.runner = {{"name", "onednn"}, {"isa", "avx512_core"}};
  auto id = (*db)->beginRun(run);
  ASSERT_TRUE(id.isOk());
  nlohmann::json later = run.runner;
  later["peak_gflops"] = {{"f32", 812.5}, {"bf16", 1650.0}};
  ASSERT_TRUE((*db)->updateRunRunner(*id, later).isOk());
  auto loaded = (*db)->loadRun(*id);
  ASSERT_TRUE(loaded.isOk());
  EXPECT_EQ(loaded->run.runner["peak_gflops"]["f32"], 812.5);
  EXPECT_EQ(loaded->run.runner["isa"], "avx512_core");
}

} // namespace
} // namespace goodhart
