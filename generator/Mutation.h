//===- Mutation.h - One step of a variant's mutation sequence ---*- C++ -*-===//
//
// Applies a MutationSpec to a model through the MLIR mutation passes.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_GENERATOR_MUTATION_H
#define GOODHART_GENERATOR_MUTATION_H

#include "generator/MutationSpec.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"

namespace goodhart {

/// Applies `spec` to `func`; errors are emitted on the op at fault.
mlir::LogicalResult applyMutation(mlir::func::FuncOp func,
                                  const MutationSpec &spec);

} // namespace goodhart

#endif // GOODHART_GENERATOR_MUTATION_H
