//===- PlanLowering.h - Lower a TOSA function to a plan ---------*- C++ -*-===//
//
// Walks the entry function in order and emits one plan layer per compute op
// (runners/common/Plan.h, docs/RUNNER-PROTOCOL.md), or one fused layer per
// recognized composite (softmax, layer norm, GELU, ...). Constants that only
// feed zero points, shifts or shapes disappear; constants used as data become
// weight tensors. Unsupported ops are reported with emitError on the op.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_MLIR_PLANLOWERING_H
#define GOODHART_MLIR_PLANLOWERING_H

#include "mlir/CompositePatterns.h"
#include "runners/common/Plan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>

namespace goodhart {

struct LoweringOptions {
  std::string model; // plan.model; empty: the function's name
  std::string variant = "reference";
  std::string source; // plan.source, usually the file name
  /// Composite patterns (CompositePatterns.h) lowered to one fused layer;
  /// the others recognized are lowered op by op and tagged with `pattern`.
  /// The post-op fusions (postOpPatterns(): conv_post_ops, linear) are off
  /// by default and never tag: `goodhart --fuse-post-ops` adds them.
  std::set<std::string> fuse = defaultFusedPatterns();
};

/// How one compute op lowers: its layer kind, which operands carry data (zero
/// points, shifts and shapes do not) and the layer attributes.
struct OpLowering {
  LayerKind kind = LayerKind::kEltwise;
  llvm::SmallVector<unsigned, 4> dataOperands;
  nlohmann::json attrs = nlohmann::json::object();
};

/// The lowering of `op`, or nullopt for ops that are not compute ops
/// goodhart knows (including tosa.const and tosa.const_shape).
std::optional<OpLowering> classifyOp(mlir::Operation *op);

/// The layer name of every compute op of `func`: its name location if it has
/// one (made unique with _2, _3, ...), else "<kind>_<layer index>". The plan
/// lowering and the mutations name layers through this one function.
llvm::DenseMap<mlir::Operation *, std::string>
assignLayerNames(mlir::func::FuncOp func);

/// The name of `loc`'s first name location (the corpus names ops with
/// loc("block1.conv1")), or "".
std::string nameFromLocation(mlir::Location loc);

/// Lowers `func`; emits errors on the offending op and fails.
mlir::FailureOr<Plan> lowerToPlan(mlir::func::FuncOp func,
                                  const LoweringOptions &options);

/// Whether the plan lowering knows `op` (a compute op, or one it drops).
bool isLowerableOp(mlir::Operation *op);

} // namespace goodhart

#endif // GOODHART_MLIR_PLANLOWERING_H
