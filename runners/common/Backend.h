//===- Backend.h - What a runner's backend implements -----------*- C++ -*-===//
//
// RunnerMain speaks the protocol; a Backend executes plans on one library.
// A backend that cannot start (no device, no library) says so from
// initialize() with a kUnsupported status, which becomes "unavailable".
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_COMMON_BACKEND_H
#define GOODHART_RUNNERS_COMMON_BACKEND_H

#include "runners/common/Plan.h"
#include "runners/common/Protocol.h"
#include "runners/common/Status.h"

#include <functional>
#include <memory>

namespace goodhart {

class Backend {
public:
  virtual ~Backend() = default;
  /// Starts the library; kUnsupported when the backend cannot run here.
  virtual Status initialize() = 0;
  virtual RunnerInfo info() const = 0;
  /// Measures one layer alone. Never throws: an unsupported layer is a
  /// skipped result with the reason.
  virtual LayerResult measureLayer(const Plan &plan, const Layer &layer,
                                   const MeasureOptions &options) = 0;
  /// Measures the whole plan with data flowing between layers.
  virtual ModelResult measureModel(const Plan &plan,
                                   const MeasureOptions &options) = 0;
};

using BackendFactory = std::function<std::unique_ptr<Backend>()>;

/// Runs `options.mode` over `plan`: the selected layers, the model, or both.
MeasureResponse measurePlan(Backend &backend, const Plan &plan,
                            const MeasureOptions &options);

/// The runner executable's main(): --serve, batch mode, --help, --version.
int runnerMain(int argc, char **argv, const BackendFactory &factory);

} // namespace goodhart

#endif // GOODHART_RUNNERS_COMMON_BACKEND_H
