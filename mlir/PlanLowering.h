//===- PlanLowering.h - Lower a TOSA function to an execution plan -*- C++ -*-===//
//
// Walks the entry function in order and emits one plan layer per compute op
// (runners/common/Plan.h, docs/RUNNER-PROTOCOL.md). Constants that only feed
// zero points, shifts or shapes disappear; constants used as data become
// weight tensors. Unsupported ops are reported with emitError on the op.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_MLIR_PLANLOWERING_H
#define GOODHART_MLIR_PLANLOWERING_H

#include "runners/common/Plan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace goodhart {

struct LoweringOptions {
  std::string model;   // plan.model; empty: the function's name
  std::string variant = "reference";
  std::string source;  // plan.source, usually the file name
};

/// Lowers `func`; emits errors on the offending op and fails.
mlir::FailureOr<Plan> lowerToPlan(mlir::func::FuncOp func,
                                  const LoweringOptions &options);

/// Whether the plan lowering knows `op` (a compute op, or one it drops).
bool isLowerableOp(mlir::Operation *op);

} // namespace goodhart

#endif // GOODHART_MLIR_PLANLOWERING_H
