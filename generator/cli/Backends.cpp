//===- Backends.cpp - Backends goodhart can measure on --------------------===//

#include "generator/cli/Backends.h"

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <unistd.h>

namespace goodhart::cli {
namespace fs = std::filesystem;

const std::vector<BackendInfo> &registeredBackends() {
  static const std::vector<BackendInfo> kBackends = {
      {"onednn", "goodhart-runner-onednn", "oneDNN on the host CPU"},
      {"cudnn", "goodhart-runner-cudnn", "cuDNN and cuBLASLt on an NVIDIA GPU"},
  };
  return kBackends;
}

namespace {

bool isExecutable(const fs::path &path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

fs::path selfDirectory() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : self.parent_path();
}

} // namespace

StatusOr<std::string> findRunner(const std::string &backend,
                                 const std::string &runnerOverride) {
  if (!runnerOverride.empty()) {
    if (!isExecutable(runnerOverride))
      return invalidInput("--runner " + runnerOverride +
                          ": not an executable file");
    return runnerOverride;
  }
  const BackendInfo *info = nullptr;
  for (const BackendInfo &b : registeredBackends())
    if (b.name == backend)
      info = &b;
  if (!info) {
    std::string known;
    for (const BackendInfo &b : registeredBackends())
      known += (known.empty() ? "" : ", ") + b.name;
    return invalidInput("unknown backend '" + backend + "' (known: " + known +
                        "; or give --runner PATH)");
  }
  std::vector<fs::path> candidates;
  if (fs::path dir = selfDirectory(); !dir.empty())
    candidates.push_back(dir / info->executable);
  if (const char *path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');)
      if (!dir.empty())
        candidates.push_back(fs::path(dir) / info->executable);
  }
  for (const fs::path &candidate : candidates)
    if (isExecutable(candidate))
      return candidate.string();
  return unsupported(
      "backend '" + backend + "': runner '" + info->executable +
      "' was not found next to goodhart or on PATH (was it "
      "built? see GOODHART_WITH_" +
      (backend == "cudnn" ? std::string("CUDNN") : std::string("ONEDNN")) +
      ")");
}

} // namespace goodhart::cli
