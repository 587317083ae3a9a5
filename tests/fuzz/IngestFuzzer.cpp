//===- IngestFuzzer.cpp - Fuzz the results ingest line reader -------------===//
//
// Input: one line of a runner's batch results file, the file
// `goodhart ingest` stores in the results database. parseBatchResultLine
// is all of ingest's parsing; what it accepts goes to SQLite as is, so an
// accepted line's plan must also round-trip.
//
//===----------------------------------------------------------------------===//

#include "tests/fuzz/FuzzSupport.h"

#include "runners/common/Protocol.h"

using namespace goodhart;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string where = "results.jsonl:1";
  StatusOr<BatchResultLine> line = parseBatchResultLine(
      std::string(reinterpret_cast<const char *>(data), size), where);
  if (!line) {
    if (line.status().message().rfind(where, 0) != 0)
      fuzz::fail("ingest error does not name the file and line",
                 line.status().message());
    return 0;
  }
  nlohmann::json plan = planToJson(line->plan);
  StatusOr<Plan> again = planFromJson(plan, "round trip");
  if (!again)
    fuzz::fail("an ingested plan does not read back", again.status().message());
  // Ingest stores the response's JSON form; it must read back too.
  if (!responseFromJson(responseToJson(line->response)))
    fuzz::fail("an ingested response does not read back");
  volatile size_t sink = line->options.dump().size() + line->mutations.size() +
                         line->strategy.size();
  (void)sink;
  return 0;
}
