//===- RunnerProcess.h - The controller's side of the protocol --*- C++ -*-===//
//
// Starts a runner executable, speaks JSON Lines to it and survives whatever
// it does: a crash, a hang (killed after the request timeout), garbage on
// stdout, half an answer. Each failure comes back as a Status whose message
// holds the runner path, the request and the tail of the runner's stderr;
// the process is then dead and the next request restarts it.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_COMMON_RUNNERPROCESS_H
#define GOODHART_RUNNERS_COMMON_RUNNERPROCESS_H

#include "runners/common/Protocol.h"
#include "runners/common/Status.h"

#include <string>
#include <sys/types.h>
#include <vector>

namespace goodhart {

struct RunnerProcessOptions {
  std::string executable;
  std::vector<std::string> args = {"--serve"};
  int64_t requestTimeoutMs = 10 * 60 * 1000;
  int64_t startTimeoutMs = 60 * 1000; // for the hello exchange
  int maxRestarts = 8;
  size_t stderrTailBytes = 64 * 1024;
};

class RunnerProcess {
public:
  explicit RunnerProcess(RunnerProcessOptions options);
  ~RunnerProcess();
  RunnerProcess(const RunnerProcess &) = delete;
  RunnerProcess &operator=(const RunnerProcess &) = delete;

  /// Spawns the runner and exchanges hello. A runner that answers hello
  /// with an error (e.g. "unavailable": no GPU) gives kUnsupported with the
  /// runner's message.
  Status start();
  /// Replaces a running runner with a new process (a planned start, not
  /// counted against maxRestarts): what is measured next sees a fresh
  /// process's memory placement and thread pool, the run-to-run state a
  /// control measurement must sample.
  Status startFresh();
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int restarts() const { return restarts_; }
  const RunnerInfo &info() const { return info_; }
  const std::string &stderrTail() const { return stderrTail_; }

  /// Sends one request (its id is assigned here) and reads its response;
  /// restarts a dead runner first. An error response is returned as a
  /// Response with `error` set, not as a failed Status.
  StatusOr<Response> request(Request request);

  /// Measures `plan`; an error response becomes a failed Status.
  StatusOr<MeasureResponse> measure(const Plan &plan,
                                    const MeasureOptions &options);

  /// Asks the runner to shut down, then kills it if it does not; reaps it.
  void close();

private:
  Status spawn();
  Status writeAll(const std::string &data, int64_t deadlineMs);
  StatusOr<std::string> readLine(int64_t deadlineMs);
  void drainStderr();
  /// Kills (if alive) and reaps the child; returns how it ended.
  std::string terminate(bool kill);
  Status failure(StatusCode code, const std::string &what,
                 const Request &request, bool kill);
  StatusOr<Response> exchange(const Request &request, int64_t timeoutMs);

  RunnerProcessOptions options_;
  pid_t pid_ = -1;
  int toChild_ = -1, fromChild_ = -1, errFromChild_ = -1;
  std::string stdoutBuffer_, stderrTail_;
  RunnerInfo info_;
  int64_t nextId_ = 1;
  int restarts_ = 0;
  bool everStarted_ = false;
};

} // namespace goodhart

#endif // GOODHART_RUNNERS_COMMON_RUNNERPROCESS_H
