//===- RequestFuzzer.cpp - Fuzz the runner's request reader ---------------===//
//
// Input: what a controller writes to a runner's standard input in --serve
// mode, any number of lines. The real runnerMain() reads it (stdin is a
// memory file), with a backend that measures nothing, so every request
// reaches the protocol reader, the plan reader and measurePlan. The runner
// must end cleanly and every line it writes must be a response the
// controller reads (responseFromJson), one per non-empty request line, until
// a shutdown.
//
//===----------------------------------------------------------------------===//

#include "tests/fuzz/FuzzSupport.h"

#include "runners/common/Backend.h"

#include <iostream>
#include <sstream>
#include <stdio_ext.h>
#include <sys/mman.h>

using namespace goodhart;

namespace {

/// Answers every layer and the model as skipped, after reading the tensor
/// sizes as a real backend does first.
class NullBackend : public Backend {
public:
  Status initialize() override { return Status::ok(); }
  RunnerInfo info() const override {
    RunnerInfo info;
    info.name = "fuzz";
    info.library = "none";
    info.kinds = {"conv2d", "matmul"};
    return info;
  }
  LayerResult measureLayer(const Plan &plan, const Layer &layer,
                           const MeasureOptions &options) override {
    LayerResult result;
    int64_t bytes = 0;
    for (int64_t id : layer.inputs)
      bytes += plan.tensor(id).sizeInBytes();
    result.measurement.status = ResultStatus::kSkipped;
    result.measurement.reason =
        "fuzz backend measures nothing (" + std::to_string(bytes) + " bytes)";
    return result;
  }
  ModelResult measureModel(const Plan &plan,
                           const MeasureOptions &options) override {
    ModelResult result;
    result.measurement.status = ResultStatus::kSkipped;
    result.measurement.reason = "fuzz backend measures nothing";
    return result;
  }
};

int memoryFile(const char *name) {
  int fd = memfd_create(name, 0);
  if (fd < 0)
    fuzz::fail("memfd_create failed");
  return fd;
}

std::string readAll(int fd) {
  std::string text;
  char buffer[65536];
  off_t offset = 0;
  ssize_t n;
  while ((n = pread(fd, buffer, sizeof(buffer), offset)) > 0) {
    text.append(buffer, n);
    offset += n;
  }
  return text;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const int inFd = memoryFile("requests");
  static const int outFd = memoryFile("responses");
  if (ftruncate(inFd, 0) != 0 || pwrite(inFd, data, size, 0) != ssize_t(size))
    fuzz::fail("cannot fill the request file");
  lseek(inFd, 0, SEEK_SET);
  dup2(inFd, STDIN_FILENO);
  __fpurge(stdin);
  clearerr(stdin);
  std::cin.clear();
  // runnerMain keeps fd 1 as its protocol stream and points fd 1 at stderr.
  if (ftruncate(outFd, 0) != 0)
    fuzz::fail("cannot empty the response file");
  lseek(outFd, 0, SEEK_SET);
  dup2(outFd, STDOUT_FILENO);

  char arg0[] = "goodhart-fuzz-runner", arg1[] = "--serve";
  char *argv[] = {arg0, arg1, nullptr};
  int code = runnerMain(
      2, argv, [] { return std::unique_ptr<Backend>(new NullBackend()); });
  if (code != kRunnerExitOk)
    fuzz::fail("runner exited with " + std::to_string(code));

  std::istringstream requests(
      std::string(reinterpret_cast<const char *>(data), size));
  std::istringstream responses(readAll(outFd));
  std::string request, response;
  while (std::getline(requests, request)) {
    if (request.empty())
      continue;
    if (!std::getline(responses, response))
      fuzz::fail("no response to a request line", request.substr(0, 200));
    nlohmann::json json = nlohmann::json::parse(response, nullptr, false);
    if (json.is_discarded())
      fuzz::fail("runner wrote a line that is not JSON", response);
    StatusOr<Response> parsed = responseFromJson(json);
    if (!parsed)
      fuzz::fail("runner wrote a response the controller refuses",
                 parsed.status().message() + ": " + response.substr(0, 200));
    if (parsed->type == "shutdown" && !parsed->error)
      return 0;
  }
  if (std::getline(responses, response))
    fuzz::fail("runner wrote more responses than requests", response);
  return 0;
}
