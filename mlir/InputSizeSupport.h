//===- InputSizeSupport.h - Shared steps of the input-size mutations -*- C++
//-*-===//
//
// set_spatial, set_seq and set_batch change the size of the model's data
// input and let every op follow, in program order: the ops TOSA infers
// (elementwise, matmul, transpose, reduce, ...) get their result types
// re-inferred, and the ops that spell a size out (reshape and slice shape
// operands, window padding, argument and constant types) are rewritten
// first. These are the steps the three mutations share. Private to mlir/.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_MLIR_INPUTSIZESUPPORT_H
#define GOODHART_MLIR_INPUTSIZESUPPORT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace goodhart {

using Shape = llvm::SmallVector<int64_t, 4>;

/// Every ranked tensor value's shape before the mutation touched anything.
class OldShapes {
public:
  explicit OldShapes(mlir::func::FuncOp func);
  /// The recorded shape; empty for values that are not ranked tensors.
  llvm::ArrayRef<int64_t> of(mlir::Value value) const;
  /// Records `value` (a constant made during the mutation) with `shape`.
  void record(mlir::Value value, llvm::ArrayRef<int64_t> shape);

private:
  llvm::DenseMap<mlir::Value, Shape> shapes;
};

/// The current shape of a ranked tensor value (empty otherwise).
llvm::ArrayRef<int64_t> shapeOf(mlir::Value value);

/// The product of `dims` (1 for none).
int64_t product(llvm::ArrayRef<int64_t> dims);

/// The entries of a tosa.const_shape operand, or nullopt when `v` is not one.
std::optional<Shape> constShapeValues(mlir::Value v);

/// The model's data input: its first argument that is not a weight and has
/// rank `rank`, or nullopt.
std::optional<unsigned> dataInputIndex(mlir::func::FuncOp func, int64_t rank);

/// Gives `op` a fresh tosa.const_shape with `values` in `operand` (a
/// reshape's shape, a slice's start or size), erasing the old one when
/// nothing else uses it. Fails when the operand is not a tosa.const_shape.
mlir::LogicalResult setShapeOperand(mlir::Operation *op,
                                    mlir::OpOperand &operand,
                                    llvm::ArrayRef<int64_t> values);

/// The output shape of a reshape whose input went from `oldIn` to `newIn`
/// (same rank), given its old output `oldOut`: dimensions are grouped into
/// the runs the reshape regroups; a run whose input did not change keeps
/// its output, a one-to-one run copies the new size, and a merge takes the
/// product. Nullopt when a changed run is split into several non-unit
/// dimensions (which of them grows is not determined).
std::optional<Shape> followReshape(llvm::ArrayRef<int64_t> oldIn,
                                   llvm::ArrayRef<int64_t> newIn,
                                   llvm::ArrayRef<int64_t> oldOut);

/// Resizes a leaf value (a function argument or a tosa.const result) to
/// `shape`: an argument gets the new type; a constant is rebuilt, a splat as
/// the same splat, other data by taking the leading block when a dimension
/// shrinks and by continuing along the diagonal (the value at the same
/// offset from the last position) when it grows, which is exact for causal
/// masks and other tables indexed by position. Returns the new value.
mlir::FailureOr<mlir::Value>
resizeLeaf(mlir::Value leaf, llvm::ArrayRef<int64_t> shape, OldShapes &old);

/// Whether `value` is a function argument or a tosa.const result.
bool isLeaf(mlir::Value value);

/// For an op whose operands must agree on some dimensions (broadcasting
/// elementwise ops, matmul, concat): resizes a leaf operand (an input table,
/// a mask, a constant) whose dimension still has the old size (not 1) where
/// a computed operand's dimension changed. Fails with an error on `op` when
/// resizing a leaf does not make the operands agree.
mlir::LogicalResult followLeafOperands(mlir::Operation *op, OldShapes &old);

/// For a slice whose input changed: a dimension it kept whole stays whole;
/// fails with an error when it cut a dimension that changed.
mlir::LogicalResult followSlice(mlir::Operation *slice, const OldShapes &old);

/// Lets every op of `func` follow a change of its arguments' types, in
/// program order. `visit` sees each op first and may rewrite it (window
/// padding, a trim slice); it returns true when it took care of the op's
/// spelled-out sizes, false to leave them to the generic steps: a reshape's
/// shape follows its input (followReshape), a slice keeps whole dimensions
/// whole (followSlice), leaf operands follow (followLeafOperands). Every
/// result type is then re-inferred. Errors name the op at fault.
mlir::LogicalResult followInputChange(
    mlir::func::FuncOp func, OldShapes &old,
    llvm::function_ref<mlir::FailureOr<bool>(mlir::Operation *)> visit);

/// Updates the function type from its arguments and returned values and
/// verifies the function.
mlir::LogicalResult finishResize(mlir::func::FuncOp func);

} // namespace goodhart

#endif // GOODHART_MLIR_INPUTSIZESUPPORT_H
