//===- RunData.h - What a run stored, as the oracle reads it ----*- C++ -*-===//
#ifndef GOODHART_ORACLE_RUNDATA_H
#define GOODHART_ORACLE_RUNDATA_H

#include "runners/common/Plan.h"
#include "runners/common/Protocol.h"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace goodhart {

struct RunRecord {
  int64_t id = 0;
  std::string startedAt, finishedAt; // ISO-8601 UTC
  std::string status = "running";    // running, finished, failed
  std::string goodhartVersion;
  std::string model, source, strategy;
  uint64_t seed = 0;
  std::string backend, library, libraryVersion, device, isa, host;
  int threads = 0;
  nlohmann::json runner = nlohmann::json::object();  // RunnerInfo
  nlohmann::json options = nlohmann::json::object(); // MeasureOptions
  std::string commandLine;
};

/// Per-layer memoization: a layer result copied from an earlier
/// measurement of the same problem under the same memo key instead of
/// being measured again.
struct LayerReuse {
  /// layer_measurements.id of the row that was measured; 0 when the source
  /// is `sameVariantLayer`, a layer of this variant stored with it.
  int64_t measurementId = 0;
  int64_t sameVariantLayer = -1;
};

struct VariantRecord {
  int64_t id = 0;
  std::string key; // "reference", "v001", ...
  bool isReference = false;
  Plan plan;
  std::vector<std::string> mutations;
  std::string sourcePath;
  std::vector<LayerResult> layers;
  std::optional<ModelResult> model;
  /// The memo key the layers were measured under ("" for none: not
  /// reusable), and the layers (by id) that were reused, not measured.
  std::string memoKey;
  std::map<int64_t, LayerReuse> reused;

  bool isReused(int64_t layerId) const { return reused.count(layerId) != 0; }
};

struct FindingRecord {
  int64_t id = 0;
  std::string variantKey; // "" for run-level findings
  std::string kind;       // crash, hang, protocol, error, mismatch, ...
  std::optional<int64_t> layerId;
  std::string message;
  std::string repro;
  std::string createdAt;
};

struct RunData {
  RunRecord run;
  std::vector<VariantRecord> variants; // the reference first when present
  std::vector<FindingRecord> findings;

  const VariantRecord *reference() const;
};

/// Current UTC time as "2026-11-27T01:02:03Z".
std::string utcNow();

} // namespace goodhart

#endif // GOODHART_ORACLE_RUNDATA_H
