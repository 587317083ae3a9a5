//===- RunnerProcess.cpp - The controller's side of the protocol ----------===//

#include "runners/common/RunnerProcess.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace goodhart {
namespace {

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void closeFd(int &fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

void setNonBlocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

std::string describeWaitStatus(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char *name = sigabbrev_np(sig);
    return std::string("killed by signal SIG") + (name ? name : "?") + " (" +
           std::to_string(sig) + ")";
  }
  if (WIFEXITED(status))
    return "exited with code " + std::to_string(WEXITSTATUS(status));
  return "ended";
}

} // namespace

RunnerProcess::RunnerProcess(RunnerProcessOptions options)
    : options_(std::move(options)) {}

RunnerProcess::~RunnerProcess() { close(); }

Status RunnerProcess::spawn() {
  // The child's stdin is a socket so writes can use MSG_NOSIGNAL: a dead
  // runner gives EPIPE, not a SIGPIPE that would kill goodhart.
  int in[2], out[2], err[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0)
    return Status(StatusCode::kIoError,
                  std::string("socketpair: ") + std::strerror(errno));
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
    return Status(StatusCode::kIoError,
                  std::string("pipe: ") + std::strerror(errno));
  std::vector<char *> argv;
  argv.push_back(const_cast<char *>(options_.executable.c_str()));
  for (std::string &arg : options_.args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0)
    return Status(StatusCode::kIoError,
                  std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    setpgid(0, 0); // its own group, so a kill reaches its children too
    dup2(in[1], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    execv(argv[0], argv.data());
    std::fprintf(stderr, "cannot execute %s: %s\n", argv[0],
                 std::strerror(errno));
    _exit(127);
  }
  setpgid(pid, pid);
  ::close(in[1]);
  ::close(out[1]);
  ::close(err[1]);
  pid_ = pid;
  toChild_ = in[0];
  fromChild_ = out[0];
  errFromChild_ = err[0];
  setNonBlocking(toChild_);
  setNonBlocking(fromChild_);
  setNonBlocking(errFromChild_);
  stdoutBuffer_.clear();
  return Status::ok();
}

Status RunnerProcess::start() {
  if (running())
    return Status::ok();
  if (everStarted_) {
    if (restarts_ >= options_.maxRestarts)
      return Status(StatusCode::kCrashed,
                    options_.executable + ": gave up after " +
                        std::to_string(restarts_) + " restarts");
    ++restarts_;
  }
  everStarted_ = true;
  stderrTail_.clear();
  GOODHART_RETURN_IF_ERROR(spawn());
  Request hello;
  hello.id = nextId_++;
  hello.type = "hello";
  StatusOr<Response> response = exchange(hello, options_.startTimeoutMs);
  if (!response)
    return response.status();
  if (response->error) {
    std::string message = options_.executable + ": " + response->error->code +
                          ": " + response->error->message;
    terminate(/*kill=*/true);
    return Status(response->error->code == "unavailable"
                      ? StatusCode::kUnsupported
                      : StatusCode::kBackendError,
                  message);
  }
  if (!response->runner) {
    terminate(true);
    return Status(StatusCode::kInvalidInput,
                  options_.executable + ": hello response has no 'runner'");
  }
  info_ = *response->runner;
  return Status::ok();
}

void RunnerProcess::drainStderr() {
  char buffer[4096];
  while (errFromChild_ >= 0) {
    ssize_t n = ::read(errFromChild_, buffer, sizeof(buffer));
    if (n > 0) {
      stderrTail_.append(buffer, static_cast<size_t>(n));
      if (stderrTail_.size() > options_.stderrTailBytes)
        stderrTail_.erase(0, stderrTail_.size() - options_.stderrTailBytes);
      continue;
    }
    if (n == 0)
      closeFd(errFromChild_);
    return;
  }
}

Status RunnerProcess::writeAll(const std::string &data, int64_t deadlineMs) {
  size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::send(toChild_, data.data() + written, data.size() - written,
                       MSG_NOSIGNAL);
    if (n > 0) {
      written += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      return Status(StatusCode::kCrashed,
                    std::string("writing the request failed: ") +
                        std::strerror(errno));
    int64_t left = deadlineMs - nowMs();
    if (left <= 0)
      return Status(StatusCode::kTimeout, "timed out writing the request");
    pollfd fds[2] = {{toChild_, POLLOUT, 0}, {errFromChild_, POLLIN, 0}};
    ::poll(fds, errFromChild_ >= 0 ? 2 : 1, static_cast<int>(left));
    drainStderr();
  }
  return Status::ok();
}

StatusOr<std::string> RunnerProcess::readLine(int64_t deadlineMs) {
  char buffer[65536];
  while (true) {
    size_t newline = stdoutBuffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = stdoutBuffer_.substr(0, newline);
      stdoutBuffer_.erase(0, newline + 1);
      return line;
    }
    int64_t left = deadlineMs - nowMs();
    if (left <= 0)
      return Status(StatusCode::kTimeout, "no answer in time");
    pollfd fds[2] = {{fromChild_, POLLIN, 0}, {errFromChild_, POLLIN, 0}};
    int ready = ::poll(fds, errFromChild_ >= 0 ? 2 : 1,
                       static_cast<int>(std::min<int64_t>(left, 1000)));
    if (ready < 0 && errno != EINTR)
      return Status(StatusCode::kIoError,
                    std::string("poll: ") + std::strerror(errno));
    drainStderr();
    while (true) {
      ssize_t n = ::read(fromChild_, buffer, sizeof(buffer));
      if (n > 0) {
        stdoutBuffer_.append(buffer, static_cast<size_t>(n));
        continue;
      }
      if (n == 0)
        return Status(StatusCode::kCrashed,
                      stdoutBuffer_.empty()
                          ? "the runner closed its output"
                          : "the runner stopped in the middle of an answer");
      break; // EAGAIN
    }
  }
}

std::string RunnerProcess::terminate(bool kill) {
  if (pid_ <= 0)
    return "not running";
  int status = 0;
  pid_t done = 0;
  if (!kill) {
    // Give a process that is ending a moment to be reaped with its status.
    for (int i = 0; i < 50 && done == 0; ++i) {
      done = waitpid(pid_, &status, WNOHANG);
      if (done == 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  std::string how;
  if (done == pid_) {
    how = describeWaitStatus(status);
  } else {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    how = kill ? "killed by goodhart" : describeWaitStatus(status);
  }
  drainStderr();
  closeFd(toChild_);
  closeFd(fromChild_);
  closeFd(errFromChild_);
  pid_ = -1;
  return how;
}

Status RunnerProcess::failure(StatusCode code, const std::string &what,
                              const Request &request, bool kill) {
  std::string how = terminate(kill);
  std::string message = options_.executable + ": " + what + " (request " +
                        std::to_string(request.id) + " '" + request.type +
                        "'; runner " + how + ")";
  if (!stderrTail_.empty()) {
    std::string tail = stderrTail_.size() > 2000
                           ? stderrTail_.substr(stderrTail_.size() - 2000)
                           : stderrTail_;
    message += "; stderr: " + tail;
  }
  return Status(code, message);
}

StatusOr<Response> RunnerProcess::exchange(const Request &request,
                                           int64_t timeoutMs) {
  int64_t deadline = nowMs() + timeoutMs;
  Status written = writeAll(requestToJson(request).dump() + "\n", deadline);
  if (!written.isOk())
    return failure(written.code(), written.message(), request,
                   written.code() == StatusCode::kTimeout);
  StatusOr<std::string> line = readLine(deadline);
  if (!line) {
    bool hang = line.status().code() == StatusCode::kTimeout;
    return failure(line.status().code(),
                   hang ? "hang: no answer within " +
                              std::to_string(timeoutMs) + " ms"
                        : "crash: " + line.status().message(),
                   request, hang);
  }
  nlohmann::json json = nlohmann::json::parse(*line, nullptr, false);
  if (json.is_discarded())
    return failure(StatusCode::kInvalidInput,
                   "protocol error: answer is not JSON: '" +
                       line->substr(0, 200) + "'",
                   request, true);
  StatusOr<Response> response = responseFromJson(json);
  if (!response)
    return failure(StatusCode::kInvalidInput,
                   "protocol error: " + response.status().message(), request,
                   true);
  if (response->id != request.id)
    return failure(StatusCode::kInvalidInput,
                   "protocol error: answer has id " +
                       std::to_string(response->id),
                   request, true);
  return response;
}

StatusOr<Response> RunnerProcess::request(Request request) {
  if (!running())
    GOODHART_RETURN_IF_ERROR(start());
  request.id = nextId_++;
  return exchange(request, options_.requestTimeoutMs);
}

StatusOr<MeasureResponse>
RunnerProcess::measure(const Plan &plan, const MeasureOptions &options) {
  Request r;
  r.type = "measure";
  r.plan = plan;
  r.options = options;
  StatusOr<Response> response = request(std::move(r));
  if (!response)
    return response.status();
  if (response->error)
    return Status(response->error->code == "invalid_input"
                      ? StatusCode::kInvalidInput
                      : StatusCode::kBackendError,
                  options_.executable + ": " + response->error->code + ": " +
                      response->error->message);
  if (!response->measure)
    return Status(StatusCode::kInvalidInput,
                  options_.executable + ": measure answer without results");
  return std::move(*response->measure);
}

Status RunnerProcess::startFresh() {
  close();
  everStarted_ = false;
  return start();
}

void RunnerProcess::close() {
  if (!running())
    return;
  Request bye;
  bye.id = nextId_++;
  bye.type = "shutdown";
  if (writeAll(requestToJson(bye).dump() + "\n", nowMs() + 1000).isOk())
    (void)readLine(nowMs() + 2000);
  terminate(/*kill=*/false);
}

} // namespace goodhart
