//===- WidthScaling.cpp - Scale the widths of a stage or a whole model ----===//
//
// A width multiplier the way model families define one (ResNet-50 x0.9,
// MobileNet's alpha): every channel site of a stage (layers whose name
// starts with "STAGE.") or of the whole model ("*") gets round(c * p / 100)
// output channels. Sites tied to one already scaled (a residual stage's
// shared width) are scaled once, with their class. Each resize goes through
// setOutputChannels, so consumers, residual adds and reshapes follow.
//
//===----------------------------------------------------------------------===//

#include "mlir/Mutations.h"

#include "llvm/ADT/StringSet.h"

#include <cmath>

namespace goodhart {

namespace {

bool inStage(llvm::StringRef layer, llvm::StringRef stage) {
  return stage == "*" || layer.starts_with((stage + ".").str());
}

} // namespace

mlir::LogicalResult scaleWidths(mlir::func::FuncOp func, llvm::StringRef stage,
                                int64_t percent) {
  if (percent <= 0)
    return func.emitError() << "a width scale must be a positive percentage, "
                               "not "
                            << percent;
  llvm::StringSet<> done;
  int scaled = 0;
  // Sites are found again after every resize: a resize changes the module
  // and the channel counts of everything tied to it.
  for (bool changed = true; changed;) {
    changed = false;
    for (const ChannelSite &site : findChannelSites(func)) {
      if (done.contains(site.layerName) || !inStage(site.layerName, stage))
        continue;
      done.insert(site.layerName);
      for (const std::string &tied : site.tiedLayers)
        done.insert(tied);
      int64_t channels = std::max<int64_t>(
          1, std::llround(static_cast<double>(site.channels) *
                          static_cast<double>(percent) / 100.0));
      ++scaled;
      if (channels == site.channels)
        continue;
      if (mlir::failed(setOutputChannels(func, site.layerName, channels)))
        return mlir::failure();
      changed = true;
      break;
    }
  }
  if (!scaled)
    return func.emitError() << "no channel site in stage '" << stage
                            << "' (layers named '" << stage << ".*')";
  return mlir::success();
}

} // namespace goodhart
