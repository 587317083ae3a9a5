//===- Mutation.cpp - One step of a variant's mutation sequence -----------===//

#include "generator/Mutation.h"

#include "mlir/Mutations.h"

namespace goodhart {

mlir::LogicalResult applyMutation(mlir::func::FuncOp func,
                                  const MutationSpec &spec) {
  if (spec.kind == "set_channels")
    return setOutputChannels(func, spec.layer, spec.value);
  if (spec.kind == "set_activation")
    return setActivation(func, spec.layer, spec.valueText());
  if (spec.kind == "set_dtype")
    return setElementType(func, spec.layer, spec.valueText());
  return func.emitError() << "unknown mutation kind '" << spec.kind << "' in '"
                          << spec.describe() << "'";
}

} // namespace goodhart
