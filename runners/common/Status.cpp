//===- Status.cpp - Error values for host code without LLVM ---------------===//

#include "runners/common/Status.h"

namespace goodhart {

const char *statusCodeName(StatusCode code) {
  switch (code) {
  case StatusCode::kOk:
    return "ok";
  case StatusCode::kInvalidInput:
    return "invalid input";
  case StatusCode::kUnsupported:
    return "unsupported";
  case StatusCode::kBackendError:
    return "backend error";
  case StatusCode::kIoError:
    return "I/O error";
  case StatusCode::kTimeout:
    return "timeout";
  case StatusCode::kCrashed:
    return "crashed";
  case StatusCode::kInternal:
    return "internal error";
  }
  return "unknown";
}

std::string Status::toString() const {
  if (isOk())
    return "ok";
  return std::string(statusCodeName(code_)) + ": " + message_;
}

} // namespace goodhart
