//===- ResultsDb.h - The SQLite results database ----------------*- C++ -*-===//
//
// One SQLite file holds every run: its backend, versions, device and
// options, the variants with their plans and mutations, each layer's and
// the whole model's samples, and the findings. The schema is versioned
// (PRAGMA user_version) and migrated forward on open; WAL mode and one
// transaction per write keep a killed campaign from corrupting the file or
// losing what was already stored.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_ORACLE_RESULTSDB_H
#define GOODHART_ORACLE_RESULTSDB_H

#include "oracle/RunData.h"
#include "runners/common/Status.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace goodhart {

inline constexpr int kResultsSchemaVersion = 3;

/// A stored layer result that can stand for a new measurement of the same
/// problem (per-layer memoization).
struct MemoHit {
  int64_t measurementId = 0; // layer_measurements.id
  LayerResult result;
  std::string layerName; // the layer it was measured as
};

struct RunSummary {
  int64_t id = 0;
  std::string startedAt, status, model, backend, libraryVersion, device;
  int64_t variants = 0;
};

class ResultsDb {
public:
  /// Opens (creating if needed) and migrates `path`. A file written by a
  /// newer goodhart is refused with both versions in the message.
  static StatusOr<std::unique_ptr<ResultsDb>> open(const std::string &path);
  ~ResultsDb();

  int schemaVersion() const;
  const std::string &path() const { return path_; }

  StatusOr<int64_t> beginRun(const RunRecord &run);
  Status finishRun(int64_t runId, const std::string &status);
  /// Replaces the run's runner info (runs.runner_json): a runner reports
  /// facts it measured after `hello`, such as its peak GFLOP/s.
  Status updateRunRunner(int64_t runId, const nlohmann::json &runner);
  /// Stores the variant and its results in one transaction.
  StatusOr<int64_t> addVariant(int64_t runId, const VariantRecord &variant);
  Status addFinding(int64_t runId, const FindingRecord &finding);

  StatusOr<std::vector<RunSummary>> listRuns();
  StatusOr<int64_t> latestRunId();
  StatusOr<RunData> loadRun(int64_t runId);
  /// Keys of the variants a run already stored (to resume it).
  StatusOr<std::vector<std::string>> variantKeys(int64_t runId);
  /// The newest layer result measured (not itself reused) for the problem
  /// `hash` under `memoKey`, if any. Errors and wrong or untrustworthy
  /// outputs are never reused: they are measured again.
  StatusOr<std::optional<MemoHit>>
  findMemoizedLayer(const std::string &hash, const std::string &memoKey);
  /// The newest unfinished run with this command line, if any.
  StatusOr<std::optional<int64_t>>
  findResumableRun(const std::string &commandLine);

private:
  explicit ResultsDb(sqlite3 *db, std::string path)
      : db_(db), path_(std::move(path)) {}
  Status exec(const std::string &sql);
  Status migrate();
  Status error(const std::string &what) const;

  sqlite3 *db_;
  std::string path_;
};

} // namespace goodhart

#endif // GOODHART_ORACLE_RESULTSDB_H
