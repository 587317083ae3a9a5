//===- OptionsFuzzer.cpp - Fuzz the measurement options reader ------------===//
//
// Input: the JSON file a runner takes with --options in batch mode (the same
// object a measure request carries as `options`). It is read as
// RunnerMain's batch mode reads it: JSON without exceptions, then
// MeasureOptions::fromJson. Accepted options must round-trip unchanged.
//
//===----------------------------------------------------------------------===//

#include "tests/fuzz/FuzzSupport.h"

#include "runners/common/Protocol.h"

using namespace goodhart;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nlohmann::json json = nlohmann::json::parse(data, data + size, nullptr,
                                              /*allow_exceptions=*/false);
  if (json.is_discarded())
    return 0;
  StatusOr<MeasureOptions> options = MeasureOptions::fromJson(json);
  if (!options) {
    if (options.status().message().rfind("options", 0) != 0)
      fuzz::fail("options error does not name the field",
                 options.status().message());
    return 0;
  }
  nlohmann::json canonical = options->toJson();
  StatusOr<MeasureOptions> again = MeasureOptions::fromJson(canonical);
  if (!again)
    fuzz::fail("accepted options do not read back", again.status().message());
  if (again->toJson() != canonical)
    fuzz::fail("options change when written and read back", canonical.dump());
  return 0;
}
