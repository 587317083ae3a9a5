//===- ResponseFuzzer.cpp - Fuzz the controller's response reader ---------===//
//
// Input: one line a runner wrote on its protocol stream. It is read as
// RunnerProcess reads answers: JSON without exceptions, then
// responseFromJson. A runner is outside code (any program speaking the
// protocol), so nothing it writes may crash the controller. An accepted
// response must round-trip through responseToJson.
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
  StatusOr<Response> response = responseFromJson(json);
  if (!response) {
    if (response.status().message().empty())
      fuzz::fail("response error without a message");
    return 0;
  }
  nlohmann::json written = responseToJson(*response);
  StatusOr<Response> again = responseFromJson(written);
  if (!again)
    fuzz::fail("an accepted response does not read back",
               again.status().message());
  if (responseToJson(*again) != written)
    fuzz::fail("a response changes when written and read back");
  return 0;
}
