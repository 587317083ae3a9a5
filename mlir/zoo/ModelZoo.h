//===- ModelZoo.h - The reference models, built in C++ ----------*- C++ -*-===//
//
// The benchmarked models goodhart starts from, written with TosaModelBuilder
// so they can be regenerated at other sizes (`goodhart zoo export`). The
// shipped corpus/*.mlir files are their exports at the default sizes.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_MLIR_ZOO_MODELZOO_H
#define GOODHART_MLIR_ZOO_MODELZOO_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <functional>
#include <string>
#include <vector>

namespace goodhart {

struct ZooOptions {
  int64_t batch = 1;
  int64_t resolution = 224;  // image models
  std::string dtype = "f32"; // f32, bf16 or f16
};

struct ZooModel {
  std::string name;
  std::string summary;
  /// The provenance header of the exported file (source, configuration,
  /// published figures), one line per entry, without comment markers.
  std::vector<std::string> provenance;
  std::function<mlir::LogicalResult(mlir::ModuleOp, const ZooOptions &)> build;
};

/// Every model, registered in one place (ModelZoo.cpp).
const std::vector<ZooModel> &zooModels();
const ZooModel *findZooModel(const std::string &name);

/// Builds `model` into a new module; errors are emitted on the context.
mlir::OwningOpRef<mlir::ModuleOp> buildZooModel(mlir::MLIRContext &context,
                                                const ZooModel &model,
                                                const ZooOptions &options);

/// The module as text with its provenance header, parseable by goodhart
/// (name locations kept: they are the layer names).
std::string exportZooModel(mlir::ModuleOp module, const ZooModel &model,
                           const ZooOptions &options);

/// ResNet-50 v1.5 (ResNet.cpp).
mlir::LogicalResult buildResNet50(mlir::ModuleOp module,
                                  const ZooOptions &options);

/// MobileNetV2 1.0 (MobileNet.cpp).
mlir::LogicalResult buildMobileNetV2(mlir::ModuleOp module,
                                     const ZooOptions &options);

} // namespace goodhart

#endif // GOODHART_MLIR_ZOO_MODELZOO_H
