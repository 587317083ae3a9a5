//===- SequenceMutation.cpp - Change a transformer's sequence length ------===//
//
// set_seq resizes dimension 1 of the model's token input ([batch, sequence,
// hidden], the first non-weight rank-3 argument; the corpus writes
// [1, tokens, hidden]) and lets every op follow (InputSizeSupport.h):
// reshape shapes keep the sequence where it was ([1, S, 1024] ->
// [1, S, 16, 64] -> [16, S, 64]), the attention scores become [.., S', S']
// by inference, and the inputs and constants shaped by the sequence (a
// causal mask [1, S, S], rotary tables [1, 1, S, D]) are resized where they
// meet the activations: arguments get the new type, constants keep their
// leading block or continue along the diagonal. A reshape that splits the
// token dimension (a batch folded into it) is refused, as are constants
// that encode 1/S (none in the corpus).
//
//===----------------------------------------------------------------------===//

#include "mlir/InputSizeSupport.h"
#include "mlir/Mutations.h"

namespace goodhart {

std::optional<int64_t> modelSequenceLength(mlir::func::FuncOp func) {
  std::optional<unsigned> index = dataInputIndex(func, 3);
  if (!index)
    return std::nullopt;
  return shapeOf(func.getArgument(*index))[1];
}

mlir::LogicalResult setSequenceLength(mlir::func::FuncOp func, int64_t length) {
  std::optional<unsigned> index = dataInputIndex(func, 3);
  if (!index)
    return func.emitError() << "'" << func.getSymName()
                            << "' has no [batch, sequence, hidden] input: "
                               "set_seq needs a rank-3 non-weight argument";
  if (length <= 0)
    return func.emitError() << "cannot set the sequence length to " << length;
  OldShapes old(func);
  mlir::BlockArgument input = func.getArgument(*index);
  Shape shape(shapeOf(input));
  shape[1] = length;
  if (mlir::failed(resizeLeaf(input, shape, old)))
    return mlir::failure();
  return followInputChange(
      func, old,
      [](mlir::Operation *) -> mlir::FailureOr<bool> { return false; });
}

} // namespace goodhart
