//===- ShapeRefinement.cpp - Re-infer every result type in order ----------===//
//
// After a mutation changed argument types or shape constants, every op's
// result type is recomputed from its operands with the op's own shape
// inference (InferShapedTypeOpInterface), in program order, keeping element
// types. The function type follows its arguments and returned values.
//
//===----------------------------------------------------------------------===//

#include "mlir/Mutations.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"

namespace goodhart {

mlir::LogicalResult refineResultTypes(mlir::Operation *op) {
  auto infer = llvm::dyn_cast<mlir::InferShapedTypeOpInterface>(op);
  if (!infer || op->getNumResults() == 0)
    return mlir::success();
  llvm::SmallVector<mlir::ShapedTypeComponents> components;
  if (mlir::failed(infer.inferReturnTypeComponents(
          op->getContext(), op->getLoc(), op->getOperands(),
          op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
          op->getRegions(), components)))
    return op->emitOpError()
           << "cannot infer its result shape after the mutation";
  if (components.size() != op->getNumResults())
    return mlir::success();
  for (auto [result, comp] : llvm::zip(op->getResults(), components)) {
    auto old = llvm::dyn_cast<mlir::TensorType>(result.getType());
    if (!old || !comp.hasRank())
      continue;
    auto ranked = llvm::dyn_cast<mlir::RankedTensorType>(old);
    auto refined = mlir::RankedTensorType::get(
        comp.getDims(), old.getElementType(),
        ranked ? ranked.getEncoding() : mlir::Attribute());
    if (!refined.hasStaticShape())
      return op->emitOpError()
             << "infers a dynamic result " << refined << " after the mutation";
    result.setType(refined);
  }
  return mlir::success();
}

mlir::LogicalResult refineShapes(mlir::func::FuncOp func) {
  for (mlir::Operation &op : func.getBody().getOps())
    if (mlir::failed(refineResultTypes(&op)))
      return mlir::failure();
  auto ret =
      llvm::cast<mlir::func::ReturnOp>(func.getBody().front().getTerminator());
  func.setFunctionType(mlir::FunctionType::get(
      func.getContext(), func.getBody().getArgumentTypes(),
      ret.getOperandTypes()));
  return mlir::verify(func);
}

} // namespace goodhart
