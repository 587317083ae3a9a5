//===- CompositePatterns.h - Softmax, norms, GELU, SiLU, attention -*- C++ -*-//
//
// TOSA has no softmax, layer norm, RMS norm, GELU, SiLU or attention op:
// exporters write them as elementwise and reduce ops (torch-mlir's TOSA
// legalizations, our zoo builders). This file recognizes those decompositions
// so the plan lowering can emit one fused layer where backends have a fused
// primitive, and tag the member layers with the pattern where they do not.
//
// A match only absorbs ops whose results are used inside the match, except
// its root, so fusing never drops a value somebody else reads.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_MLIR_COMPOSITEPATTERNS_H
#define GOODHART_MLIR_COMPOSITEPATTERNS_H

#include "runners/common/Plan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <set>
#include <string>
#include <vector>

namespace goodhart {

/// One recognized composite.
struct CompositeMatch {
  /// softmax, layer_norm, rms_norm, gelu_erf, gelu_tanh, silu or attention.
  std::string pattern;
  /// The plan layer the composite fuses into (attention has none: no
  /// backend goodhart drives has a fused primitive, so it is only tagged).
  LayerKind kind = LayerKind::kEltwise;
  nlohmann::json attrs = nlohmann::json::object();
  /// The op whose result is the composite's result.
  mlir::Operation *root = nullptr;
  /// Data operands of the fused layer, in the plan kind's order.
  llvm::SmallVector<mlir::Value, 3> inputs;
  /// Every compute op of the composite, root included.
  llvm::SmallVector<mlir::Operation *, 12> ops;
  /// Whether the composite can become one layer (false for attention).
  bool fusible = true;
};

/// The patterns fused into one layer by default: those the oneDNN 2.6 runner
/// has a primitive for (softmax, layer_normalization, eltwise gelu/swish).
/// RMS norm and attention are recognized and tagged, not fused.
std::set<std::string> defaultFusedPatterns();

/// Every composite of `func`, each op in at most one fusible match.
/// Attention matches overlap the softmax they contain.
std::vector<CompositeMatch> findComposites(mlir::func::FuncOp func);

} // namespace goodhart

#endif // GOODHART_MLIR_COMPOSITEPATTERNS_H
