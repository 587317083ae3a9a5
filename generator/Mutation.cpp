//===- Mutation.cpp - One step of a variant's mutation sequence -----------===//

#include "generator/Mutation.h"

#include "generator/Rng.h"
#include "mlir/Mutations.h"

namespace goodhart {

mlir::LogicalResult applyMutation(mlir::func::FuncOp func,
                                  const MutationSpec &spec) {
  if (spec.kind == "set_channels")
    return setOutputChannels(func, spec.layer, spec.value);
  if (spec.kind == "scale_width")
    return scaleWidths(func, spec.layer, spec.value);
  if (spec.kind == "set_activation")
    return setActivation(func, spec.layer, spec.valueText());
  if (spec.kind == "set_dtype")
    return setElementType(func, spec.layer, spec.valueText());
  if (spec.kind == "set_spatial" || spec.kind == "set_seq" ||
      spec.kind == "set_batch") {
    if (spec.layer != "*")
      return func.emitError() << spec.kind << " applies to the model input: "
                              << "write " << spec.kind << "(*, N), not '"
                              << spec.describe() << "'";
    if (spec.kind == "set_batch")
      return setBatchSize(func, spec.value);
    return spec.kind == "set_spatial" ? setSpatialSize(func, spec.value)
                                      : setSequenceLength(func, spec.value);
  }
  if (spec.kind == "move_stride")
    return moveStride(func, spec.layer, spec.value);
  if (spec.kind == "set_kernel")
    return setKernel(func, spec.layer, spec.value);
  if (spec.kind == "set_groups")
    return setGroups(func, spec.layer, spec.value);
  if (spec.kind == "set_heads")
    return setHeads(func, spec.layer, spec.value);
  if (spec.kind == "set_head_dim")
    return setHeadDim(func, spec.layer, spec.value);
  if (spec.kind == "set_hidden") {
    if (spec.layer != "*")
      return func.emitError()
             << "set_hidden applies to the whole model: "
             << "write set_hidden(*, N), not '" << spec.describe() << "'";
    return setHidden(func, spec.value);
  }
  if (spec.kind == "identity") {
    if (spec.layer != "*")
      return func.emitError()
             << "identity applies to the whole model: "
             << "write identity(*, SEED), not '" << spec.describe() << "'";
    Rng rng(static_cast<uint64_t>(spec.value));
    return makeIdentityVariant(func, rng);
  }
  return func.emitError() << "unknown mutation kind '" << spec.kind << "' in '"
                          << spec.describe() << "'";
}

} // namespace goodhart
