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
  int64_t seq = 0;           // sequence models; 0: the model's default
  /// Transformers: the hidden size (d_model), heads kept, head dimension
  /// hidden / heads, FFN width kept; 0: the model's default.
  int64_t hidden = 0;
};

/// The configuration of a transformer reference model.
struct TransformerConfig {
  int64_t layers, hidden, heads, ffn;
  double eps;  // of its norms
  int64_t seq; // default sequence length
};

/// BERT-large (Devlin et al. 2019) as MLPerf Inference's SQuAD task runs it.
inline constexpr TransformerConfig kBertLarge = {24,   1024,  16,
                                                 4096, 1e-12, 384};
/// Llama-2-7B (Touvron et al. 2023); one decoder layer, prefill of 512.
inline constexpr TransformerConfig kLlama2_7B = {32,    4096, 32,
                                                 11008, 1e-5, 512};

struct ZooModel {
  std::string name;
  std::string summary;
  /// The provenance header of the exported file (source, configuration,
  /// published figures), one line per entry, without comment markers.
  std::vector<std::string> provenance;
  std::function<mlir::LogicalResult(mlir::ModuleOp, const ZooOptions &)> build;
  /// Sequence models: the default sequence length (0 for image models).
  int64_t defaultSeq = 0;
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

/// The encoder of BERT-large: 24 layers (Bert.cpp).
mlir::LogicalResult buildBertLarge(mlir::ModuleOp module,
                                   const ZooOptions &options);

/// One Llama-2-7B decoder layer for prefill (Llama.cpp).
mlir::LogicalResult buildLlama2DecoderLayer(mlir::ModuleOp module,
                                            const ZooOptions &options);

} // namespace goodhart

#endif // GOODHART_MLIR_ZOO_MODELZOO_H
