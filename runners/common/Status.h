//===- Status.h - Error values for host code without LLVM -------*- C++ -*-===//
//
// Runners do not link LLVM, so host code shared with them reports errors with
// this small status type instead of llvm::Expected. A Status is either ok or
// carries a code and a message that names the file, layer or field at fault.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_COMMON_STATUS_H
#define GOODHART_RUNNERS_COMMON_STATUS_H

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace goodhart {

enum class StatusCode {
  kOk = 0,
  kInvalidInput, // malformed file, plan or request: the user's input is wrong
  kUnsupported,  // valid input this backend or build cannot handle
  kBackendError, // the vendor library failed
  kIoError,      // file or pipe I/O failed
  kTimeout,      // a job ran past its time limit
  kCrashed,      // a child process died
  kInternal,     // a bug in goodhart
};

const char *statusCodeName(StatusCode code);

class [[nodiscard]] Status {
public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }
  bool isOk() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return isOk(); }
  StatusCode code() const { return code_; }
  const std::string &message() const { return message_; }

  /// Returns a copy whose message is prefixed with `context: `.
  Status withContext(const std::string &context) const {
    if (isOk())
      return *this;
    return Status(code_, context + ": " + message_);
  }

  std::string toString() const;

private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalidInput(std::string message) {
  return Status(StatusCode::kInvalidInput, std::move(message));
}
inline Status unsupported(std::string message) {
  return Status(StatusCode::kUnsupported, std::move(message));
}

/// A value or the Status that explains why there is none.
template <typename T> class [[nodiscard]] StatusOr {
public:
  StatusOr(T value) : storage_(std::move(value)) {}
  StatusOr(Status status) : storage_(std::move(status)) {
    assert(!std::get<Status>(storage_).isOk() &&
           "StatusOr built from an ok Status");
  }

  bool isOk() const { return std::holds_alternative<T>(storage_); }
  explicit operator bool() const { return isOk(); }
  const Status &status() const {
    static const Status okStatus;
    return isOk() ? okStatus : std::get<Status>(storage_);
  }
  T &value() & { return std::get<T>(storage_); }
  const T &value() const & { return std::get<T>(storage_); }
  T &&value() && { return std::get<T>(std::move(storage_)); }
  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

private:
  std::variant<T, Status> storage_;
};

} // namespace goodhart

/// Propagates a non-ok Status from an expression to the caller.
#define GOODHART_RETURN_IF_ERROR(expr)                                         \
  do {                                                                         \
    ::goodhart::Status goodhartStatus_ = (expr);                               \
    if (!goodhartStatus_.isOk())                                               \
      return goodhartStatus_;                                                  \
  } while (false)

#endif // GOODHART_RUNNERS_COMMON_STATUS_H
