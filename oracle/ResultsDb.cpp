//===- ResultsDb.cpp - The SQLite results database ------------------------===//

#include "oracle/ResultsDb.h"

#include <sqlite3.h>

#include <chrono>
#include <ctime>
#include <map>

namespace goodhart {
namespace {

using nlohmann::json;

/// Migrations, in order: migration i brings the schema to version i + 1.
const char *const kMigrations[] = {
    R"sql(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL,
  goodhart_version TEXT, model TEXT, source TEXT, strategy TEXT, seed INTEGER,
  backend TEXT, library TEXT, library_version TEXT, device TEXT, isa TEXT,
  host TEXT, threads INTEGER, runner_json TEXT, options_json TEXT,
  command_line TEXT);
CREATE TABLE variants (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  variant_key TEXT NOT NULL, is_reference INTEGER NOT NULL,
  plan_json TEXT NOT NULL, mutations_json TEXT NOT NULL,
  flops INTEGER, bytes INTEGER, params INTEGER, source_path TEXT,
  UNIQUE (run_id, variant_key));
CREATE TABLE layer_measurements (
  id INTEGER PRIMARY KEY,
  variant_id INTEGER NOT NULL REFERENCES variants(id) ON DELETE CASCADE,
  layer_id INTEGER NOT NULL, layer_name TEXT, kind TEXT, hash TEXT,
  flops INTEGER, status TEXT NOT NULL, reason TEXT, impl TEXT, repro TEXT,
  median_ns REAL, min_ns REAL, mean_ns REAL, rsd REAL, ci_low_ns REAL,
  ci_high_ns REAL, count INTEGER, stop_reason TEXT, samples_json TEXT,
  check_json TEXT);
CREATE INDEX layer_measurements_by_hash ON layer_measurements (hash);
CREATE TABLE model_measurements (
  id INTEGER PRIMARY KEY,
  variant_id INTEGER NOT NULL UNIQUE REFERENCES variants(id) ON DELETE CASCADE,
  status TEXT NOT NULL, reason TEXT, median_ns REAL, min_ns REAL,
  mean_ns REAL, rsd REAL, ci_low_ns REAL, ci_high_ns REAL, count INTEGER,
  stop_reason TEXT, samples_json TEXT);
CREATE TABLE findings (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  variant_key TEXT, kind TEXT NOT NULL, layer_id INTEGER, message TEXT,
  repro TEXT, created_at TEXT);
)sql",
    // 2: per-layer memoization. memo_key: what the layer was measured under
    // (see generator/cli/Memoization.h); reused: 1 when the row copies the
    // measurement in row reused_from instead of being measured.
    R"sql(
ALTER TABLE layer_measurements ADD COLUMN memo_key TEXT;
ALTER TABLE layer_measurements ADD COLUMN reused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE layer_measurements ADD COLUMN reused_from INTEGER;
CREATE INDEX layer_measurements_by_memo ON layer_measurements (hash, memo_key);
)sql",
    // 3: a measurement's backend facts (Measurement::extra: a GPU runner's
    // clocks, throttled samples, energy and power), as the runner wrote them.
    R"sql(
ALTER TABLE layer_measurements ADD COLUMN extra_json TEXT;
ALTER TABLE model_measurements ADD COLUMN extra_json TEXT;
)sql",
};
constexpr int kNumMigrations = sizeof(kMigrations) / sizeof(kMigrations[0]);
static_assert(kNumMigrations == kResultsSchemaVersion);

/// A prepared statement; binds by 1-based position, finalizes itself.
class Statement {
public:
  Statement(sqlite3 *db, const char *sql)
      : rc(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr)) {}
  ~Statement() { sqlite3_finalize(stmt); }
  bool ok() const {
    return rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE;
  }

  Statement &bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt, i, v);
    return *this;
  }
  Statement &bind(int i, double v) {
    sqlite3_bind_double(stmt, i, v);
    return *this;
  }
  Statement &bind(int i, const std::string &v) {
    sqlite3_bind_text(stmt, i, v.c_str(), static_cast<int>(v.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Statement &bindNull(int i) {
    sqlite3_bind_null(stmt, i);
    return *this;
  }
  /// Steps once: true while rows come.
  bool step() {
    rc = sqlite3_step(stmt);
    return rc == SQLITE_ROW;
  }
  bool done() const { return rc == SQLITE_DONE; }
  int64_t integer(int col) const { return sqlite3_column_int64(stmt, col); }
  double real(int col) const { return sqlite3_column_double(stmt, col); }
  bool isNull(int col) const {
    return sqlite3_column_type(stmt, col) == SQLITE_NULL;
  }
  std::string text(int col) const {
    const unsigned char *t = sqlite3_column_text(stmt, col);
    return t ? reinterpret_cast<const char *>(t) : "";
  }

private:
  sqlite3_stmt *stmt = nullptr;
  int rc;
};

void bindMeasurement(Statement &s, int first, const Measurement &m) {
  s.bind(first, std::string(resultStatusName(m.status)))
      .bind(first + 1, m.reason)
      .bind(first + 2, m.stats.medianNs)
      .bind(first + 3, m.stats.minNs)
      .bind(first + 4, m.stats.meanNs)
      .bind(first + 5, m.stats.rsd)
      .bind(first + 6, m.stats.ciLowNs)
      .bind(first + 7, m.stats.ciHighNs)
      .bind(first + 8, m.stats.count)
      .bind(first + 9, m.stopReason)
      .bind(first + 10, json(m.samplesNs).dump());
  if (m.extra.is_object() && !m.extra.empty())
    s.bind(first + 11, m.extra.dump());
  else
    s.bindNull(first + 11);
}

Measurement readMeasurement(const Statement &s, int first) {
  Measurement m;
  std::string status = s.text(first);
  m.status = status == "ok"        ? ResultStatus::kOk
             : status == "skipped" ? ResultStatus::kSkipped
                                   : ResultStatus::kError;
  m.reason = s.text(first + 1);
  m.stats.medianNs = s.real(first + 2);
  m.stats.minNs = s.real(first + 3);
  m.stats.meanNs = s.real(first + 4);
  m.stats.rsd = s.real(first + 5);
  m.stats.ciLowNs = s.real(first + 6);
  m.stats.ciHighNs = s.real(first + 7);
  m.stats.count = s.integer(first + 8);
  m.stopReason = s.text(first + 9);
  json samples = json::parse(s.text(first + 10), nullptr, false);
  if (samples.is_array())
    m.samplesNs = samples.get<std::vector<double>>();
  if (!s.isNull(first + 11)) {
    json extra = json::parse(s.text(first + 11), nullptr, false);
    if (extra.is_object())
      m.extra = std::move(extra);
  }
  return m;
}

CheckVerdict parseVerdict(const std::string &s) {
  for (CheckVerdict v : {CheckVerdict::kPassed, CheckVerdict::kMismatch,
                         CheckVerdict::kMistrusted})
    if (checkVerdictName(v) == s)
      return v;
  return CheckVerdict::kSkipped;
}

/// The columns layer_id, hash, impl, repro, check_json, then a measurement
/// (readMeasurement: 12 columns), from column 0.
LayerResult readLayerResult(const Statement &s) {
  LayerResult l;
  l.id = s.integer(0);
  l.hash = s.text(1);
  l.impl = s.text(2);
  l.repro = s.text(3);
  json check = json::parse(s.text(4), nullptr, false);
  if (check.is_object()) {
    l.check.verdict = parseVerdict(check.value("verdict", ""));
    l.check.points = check.value("points", int64_t(0));
    l.check.maxAbsErr = check.value("max_abs_err", 0.0);
    l.check.maxRelErr = check.value("max_rel_err", 0.0);
    l.check.toleranceUsed = check.value("tolerance_used", 0.0);
    l.check.reason = check.value("reason", "");
  }
  l.measurement = readMeasurement(s, 5);
  return l;
}

} // namespace

const VariantRecord *RunData::reference() const {
  for (const VariantRecord &v : variants)
    if (v.isReference)
      return &v;
  return nullptr;
}

std::string utcNow() {
  std::time_t now =
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

Status ResultsDb::error(const std::string &what) const {
  return Status(StatusCode::kIoError,
                path_ + ": " + what + ": " + sqlite3_errmsg(db_));
}

Status ResultsDb::exec(const std::string &sql) {
  char *message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return Status(StatusCode::kIoError, path_ + ": " + text);
  }
  return Status::ok();
}

StatusOr<std::unique_ptr<ResultsDb>> ResultsDb::open(const std::string &path) {
  sqlite3 *db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status(StatusCode::kIoError,
                  path + ": cannot open results database: " + message);
  }
  std::unique_ptr<ResultsDb> results(new ResultsDb(db, path));
  sqlite3_busy_timeout(db, 5000);
  GOODHART_RETURN_IF_ERROR(results->exec("PRAGMA foreign_keys = ON"));
  Status wal = results->exec("PRAGMA journal_mode = WAL");
  if (!wal.isOk())
    return Status(StatusCode::kIoError,
                  path + ": not a goodhart results database (" + wal.message() +
                      ")");
  GOODHART_RETURN_IF_ERROR(results->migrate());
  return results;
}

ResultsDb::~ResultsDb() { sqlite3_close(db_); }

int ResultsDb::schemaVersion() const {
  Statement s(db_, "PRAGMA user_version");
  return s.step() ? static_cast<int>(s.integer(0)) : -1;
}

Status ResultsDb::migrate() {
  int version = schemaVersion();
  if (version > kResultsSchemaVersion)
    return unsupported(path_ + ": results database schema version " +
                       std::to_string(version) +
                       " is newer than this goodhart's (" +
                       std::to_string(kResultsSchemaVersion) +
                       "): use a newer goodhart or another --db");
  for (int v = version; v < kResultsSchemaVersion; ++v) {
    GOODHART_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
    Status s = exec(kMigrations[v]);
    if (s.isOk())
      s = exec("PRAGMA user_version = " + std::to_string(v + 1));
    if (!s.isOk()) {
      (void)exec("ROLLBACK");
      return s.withContext("migrating to schema version " +
                           std::to_string(v + 1));
    }
    GOODHART_RETURN_IF_ERROR(exec("COMMIT"));
  }
  return Status::ok();
}

StatusOr<int64_t> ResultsDb::beginRun(const RunRecord &r) {
  Statement s(db_, R"sql(INSERT INTO runs (started_at, status,
      goodhart_version, model, source, strategy, seed, backend, library,
      library_version, device, isa, host, threads, runner_json, options_json,
      command_line) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?))sql");
  s.bind(1, r.startedAt.empty() ? utcNow() : r.startedAt)
      .bind(2, r.status)
      .bind(3, r.goodhartVersion)
      .bind(4, r.model)
      .bind(5, r.source)
      .bind(6, r.strategy)
      .bind(7, static_cast<int64_t>(r.seed))
      .bind(8, r.backend)
      .bind(9, r.library)
      .bind(10, r.libraryVersion)
      .bind(11, r.device)
      .bind(12, r.isa)
      .bind(13, r.host)
      .bind(14, static_cast<int64_t>(r.threads))
      .bind(15, r.runner.dump())
      .bind(16, r.options.dump())
      .bind(17, r.commandLine);
  s.step();
  if (!s.done())
    return error("cannot store the run");
  return sqlite3_last_insert_rowid(db_);
}

Status ResultsDb::finishRun(int64_t runId, const std::string &status) {
  Statement s(db_, "UPDATE runs SET finished_at = ?, status = ? WHERE id = ?");
  s.bind(1, utcNow()).bind(2, status).bind(3, runId);
  s.step();
  return s.done() ? Status::ok() : error("cannot finish run");
}

Status ResultsDb::updateRunRunner(int64_t runId, const nlohmann::json &runner) {
  Statement s(db_, "UPDATE runs SET runner_json = ? WHERE id = ?");
  s.bind(1, runner.dump()).bind(2, runId);
  s.step();
  return s.done() ? Status::ok()
                  : error("cannot store the runner info of run " +
                          std::to_string(runId));
}

StatusOr<int64_t> ResultsDb::addVariant(int64_t runId, const VariantRecord &v) {
  GOODHART_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
  auto rollback = [&](const Status &s) {
    (void)exec("ROLLBACK");
    return s;
  };
  Statement insert(db_, R"sql(INSERT INTO variants (run_id, variant_key,
      is_reference, plan_json, mutations_json, flops, bytes, params,
      source_path) VALUES (?,?,?,?,?,?,?,?,?))sql");
  insert.bind(1, runId)
      .bind(2, v.key)
      .bind(3, static_cast<int64_t>(v.isReference))
      .bind(4, planToJson(v.plan).dump())
      .bind(5, json(v.mutations).dump())
      .bind(6, v.plan.totalFlops())
      .bind(7, v.plan.totalBytes())
      .bind(8, v.plan.totalParams())
      .bind(9, v.sourcePath);
  insert.step();
  if (!insert.done())
    return rollback(error("cannot store variant '" + v.key + "'"));
  int64_t variantId = sqlite3_last_insert_rowid(db_);
  std::map<int64_t, int64_t> rowOfLayer; // layer id -> layer_measurements.id
  for (const LayerResult &l : v.layers) {
    Statement s(db_, R"sql(INSERT INTO layer_measurements (variant_id,
        layer_id, layer_name, kind, hash, flops, impl, repro, check_json,
        status, reason, median_ns, min_ns, mean_ns, rsd, ci_low_ns,
        ci_high_ns, count, stop_reason, samples_json, extra_json, memo_key,
        reused, reused_from)
        VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?))sql");
    const Layer *layer = l.id >= 0 && l.id < (int64_t)v.plan.layers.size()
                             ? &v.plan.layers[l.id]
                             : nullptr;
    s.bind(1, variantId)
        .bind(2, l.id)
        .bind(3, layer ? layer->name : std::string())
        .bind(4,
              layer ? std::string(layerKindName(layer->kind)) : std::string())
        .bind(5, l.hash)
        .bind(6, layer ? layer->flops : int64_t(0))
        .bind(7, l.impl)
        .bind(8, l.repro)
        .bind(9, json{{"verdict", checkVerdictName(l.check.verdict)},
                      {"points", l.check.points},
                      {"max_abs_err", l.check.maxAbsErr},
                      {"max_rel_err", l.check.maxRelErr},
                      {"tolerance_used", l.check.toleranceUsed},
                      {"reason", l.check.reason}}
                     .dump());
    bindMeasurement(s, 10, l.measurement);
    if (v.memoKey.empty())
      s.bindNull(22);
    else
      s.bind(22, v.memoKey);
    auto reuse = v.reused.find(l.id);
    s.bind(23, static_cast<int64_t>(reuse != v.reused.end()));
    if (reuse == v.reused.end()) {
      s.bindNull(24);
    } else if (reuse->second.measurementId > 0) {
      s.bind(24, reuse->second.measurementId);
    } else {
      auto source = rowOfLayer.find(reuse->second.sameVariantLayer);
      if (source == rowOfLayer.end())
        return rollback(invalidInput(
            "variant '" + v.key + "': layer " + std::to_string(l.id) +
            " reuses layer " + std::to_string(reuse->second.sameVariantLayer) +
            ", which is not stored before it"));
      s.bind(24, source->second);
    }
    s.step();
    if (!s.done())
      return rollback(error("cannot store layer " + std::to_string(l.id)));
    rowOfLayer[l.id] = sqlite3_last_insert_rowid(db_);
  }
  if (v.model) {
    Statement s(db_, R"sql(INSERT INTO model_measurements (variant_id,
        status, reason, median_ns, min_ns, mean_ns, rsd, ci_low_ns,
        ci_high_ns, count, stop_reason, samples_json, extra_json)
        VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?))sql");
    s.bind(1, variantId);
    bindMeasurement(s, 2, v.model->measurement);
    s.step();
    if (!s.done())
      return rollback(error("cannot store the model measurement"));
  }
  GOODHART_RETURN_IF_ERROR(exec("COMMIT"));
  return variantId;
}

Status ResultsDb::addFinding(int64_t runId, const FindingRecord &f) {
  Statement s(db_, R"sql(INSERT INTO findings (run_id, variant_key, kind,
      layer_id, message, repro, created_at) VALUES (?,?,?,?,?,?,?))sql");
  s.bind(1, runId).bind(2, f.variantKey).bind(3, f.kind);
  if (f.layerId)
    s.bind(4, *f.layerId);
  else
    s.bindNull(4);
  s.bind(5, f.message)
      .bind(6, f.repro)
      .bind(7, f.createdAt.empty() ? utcNow() : f.createdAt);
  s.step();
  return s.done() ? Status::ok() : error("cannot store finding");
}

StatusOr<std::vector<RunSummary>> ResultsDb::listRuns() {
  Statement s(db_, R"sql(SELECT r.id, r.started_at, r.status, r.model,
      r.backend, r.library_version, r.device,
      (SELECT COUNT(*) FROM variants v WHERE v.run_id = r.id)
      FROM runs r ORDER BY r.id)sql");
  std::vector<RunSummary> runs;
  while (s.step())
    runs.push_back({s.integer(0), s.text(1), s.text(2), s.text(3), s.text(4),
                    s.text(5), s.text(6), s.integer(7)});
  if (!s.done())
    return error("cannot list runs");
  return runs;
}

StatusOr<int64_t> ResultsDb::latestRunId() {
  Statement s(db_, "SELECT MAX(id) FROM runs");
  if (!s.step() || s.isNull(0))
    return invalidInput(path_ + ": the results database holds no run");
  return s.integer(0);
}

StatusOr<std::vector<std::string>> ResultsDb::variantKeys(int64_t runId) {
  Statement s(db_, "SELECT variant_key FROM variants WHERE run_id = ?");
  s.bind(1, runId);
  std::vector<std::string> keys;
  while (s.step())
    keys.push_back(s.text(0));
  return keys;
}

StatusOr<std::optional<MemoHit>>
ResultsDb::findMemoizedLayer(const std::string &hash,
                             const std::string &memoKey) {
  Statement s(db_, R"sql(SELECT layer_id, hash, impl, repro, check_json,
      status, reason, median_ns, min_ns, mean_ns, rsd, ci_low_ns,
      ci_high_ns, count, stop_reason, samples_json, extra_json, id,
      layer_name FROM layer_measurements
      WHERE hash = ? AND memo_key = ? AND reused = 0 AND status != 'error'
        AND COALESCE(json_extract(check_json, '$.verdict'), '')
            NOT IN ('mismatch', 'mistrusted')
      ORDER BY id DESC LIMIT 1)sql");
  s.bind(1, hash).bind(2, memoKey);
  if (!s.step()) {
    if (!s.done())
      return error("cannot look up memoized layer " + hash);
    return std::optional<MemoHit>();
  }
  return std::optional<MemoHit>(
      MemoHit{s.integer(17), readLayerResult(s), s.text(18)});
}

StatusOr<std::optional<int64_t>>
ResultsDb::findResumableRun(const std::string &commandLine) {
  Statement s(db_, "SELECT MAX(id) FROM runs WHERE command_line = ? AND "
                   "status = 'running'");
  s.bind(1, commandLine);
  if (!s.step() || s.isNull(0))
    return std::optional<int64_t>();
  return std::optional<int64_t>(s.integer(0));
}

StatusOr<RunData> ResultsDb::loadRun(int64_t runId) {
  RunData data;
  {
    Statement s(db_, R"sql(SELECT id, started_at, finished_at, status,
        goodhart_version, model, source, strategy, seed, backend, library,
        library_version, device, isa, host, threads, runner_json,
        options_json, command_line FROM runs WHERE id = ?)sql");
    s.bind(1, runId);
    if (!s.step())
      return invalidInput(path_ + ": no run with id " + std::to_string(runId));
    RunRecord &r = data.run;
    r.id = s.integer(0);
    r.startedAt = s.text(1);
    r.finishedAt = s.text(2);
    r.status = s.text(3);
    r.goodhartVersion = s.text(4);
    r.model = s.text(5);
    r.source = s.text(6);
    r.strategy = s.text(7);
    r.seed = static_cast<uint64_t>(s.integer(8));
    r.backend = s.text(9);
    r.library = s.text(10);
    r.libraryVersion = s.text(11);
    r.device = s.text(12);
    r.isa = s.text(13);
    r.host = s.text(14);
    r.threads = static_cast<int>(s.integer(15));
    r.runner = json::parse(s.text(16), nullptr, false);
    r.options = json::parse(s.text(17), nullptr, false);
    r.commandLine = s.text(18);
  }
  Statement vs(db_, R"sql(SELECT id, variant_key, is_reference, plan_json,
      mutations_json, source_path FROM variants WHERE run_id = ?
      ORDER BY is_reference DESC, variant_key)sql");
  vs.bind(1, runId);
  while (vs.step()) {
    VariantRecord v;
    v.id = vs.integer(0);
    v.key = vs.text(1);
    v.isReference = vs.integer(2) != 0;
    auto plan = planFromJson(json::parse(vs.text(3), nullptr, false),
                             path_ + " variant " + v.key);
    if (!plan)
      return plan.status();
    v.plan = std::move(plan).value();
    json mutations = json::parse(vs.text(4), nullptr, false);
    if (mutations.is_array())
      v.mutations = mutations.get<std::vector<std::string>>();
    v.sourcePath = vs.text(5);
    Statement ls(db_, R"sql(SELECT layer_id, hash, impl, repro, check_json,
        status, reason, median_ns, min_ns, mean_ns, rsd, ci_low_ns,
        ci_high_ns, count, stop_reason, samples_json, extra_json, memo_key,
        reused, reused_from
        FROM layer_measurements WHERE variant_id = ? ORDER BY layer_id)sql");
    ls.bind(1, v.id);
    while (ls.step()) {
      LayerResult l = readLayerResult(ls);
      if (!ls.isNull(17))
        v.memoKey = ls.text(17);
      if (ls.integer(18) != 0)
        v.reused[l.id] = LayerReuse{ls.integer(19), -1};
      v.layers.push_back(std::move(l));
    }
    Statement ms(db_, R"sql(SELECT status, reason, median_ns, min_ns,
        mean_ns, rsd, ci_low_ns, ci_high_ns, count, stop_reason, samples_json,
        extra_json FROM model_measurements WHERE variant_id = ?)sql");
    ms.bind(1, v.id);
    if (ms.step())
      v.model = ModelResult{readMeasurement(ms, 0)};
    data.variants.push_back(std::move(v));
  }
  Statement fs(db_, R"sql(SELECT id, variant_key, kind, layer_id, message,
      repro, created_at FROM findings WHERE run_id = ? ORDER BY id)sql");
  fs.bind(1, runId);
  while (fs.step()) {
    FindingRecord f;
    f.id = fs.integer(0);
    f.variantKey = fs.text(1);
    f.kind = fs.text(2);
    if (!fs.isNull(3))
      f.layerId = fs.integer(3);
    f.message = fs.text(4);
    f.repro = fs.text(5);
    f.createdAt = fs.text(6);
    data.findings.push_back(std::move(f));
  }
  return data;
}

} // namespace goodhart
