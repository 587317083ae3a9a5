//===- Mutation.h - One step of a variant's mutation sequence ---*- C++ -*-===//
//
// A mutation names what changed in a model so that a person or goodhart can
// apply it again: "set_channels(block1.conv1, 65)". A variant's provenance is
// its reference, its seed and its sequence of mutations.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_GENERATOR_MUTATION_H
#define GOODHART_GENERATOR_MUTATION_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <optional>
#include <string>

namespace goodhart {

struct MutationSpec {
  std::string kind;  // "set_channels"
  std::string layer; // layer name, as in the plan
  int64_t value = 0; // the new size

  /// "set_channels(block1.conv1, 65)"
  std::string describe() const;
  /// Parses describe()'s form; nullopt when malformed.
  static std::optional<MutationSpec> parse(llvm::StringRef text);

  bool operator==(const MutationSpec &other) const = default;
};

/// Applies `spec` to `func`; errors are emitted on the op at fault.
mlir::LogicalResult applyMutation(mlir::func::FuncOp func,
                                  const MutationSpec &spec);

} // namespace goodhart

#endif // GOODHART_GENERATOR_MUTATION_H
