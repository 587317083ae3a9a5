//===- Backends.h - Backends goodhart can measure on ------------*- C++ -*-===//
//
// A backend is a runner executable that speaks docs/RUNNER-PROTOCOL.md. They
// are registered in one place (Backends.cpp); --runner PATH runs any other
// program that speaks the protocol, in any language.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_GENERATOR_CLI_BACKENDS_H
#define GOODHART_GENERATOR_CLI_BACKENDS_H

#include "runners/common/Status.h"

#include <string>
#include <vector>

namespace goodhart::cli {

struct BackendInfo {
  std::string name;       // --backend value
  std::string executable; // runner file name, next to goodhart or on PATH
  std::string summary;
};

const std::vector<BackendInfo> &registeredBackends();

/// The runner for `backend`, or `runnerOverride` when not empty. Looks next
/// to the running goodhart executable first, then on PATH. The error lists
/// the known backends or says where the runner was looked for.
StatusOr<std::string> findRunner(const std::string &backend,
                                 const std::string &runnerOverride);

} // namespace goodhart::cli

#endif // GOODHART_GENERATOR_CLI_BACKENDS_H
