//===- ElementTypeMutation.cpp - f32, bf16, f16 for a model or a layer ----===//
//
// Retypes floating-point tensors. For the whole function every float
// argument, constant and result takes the new element type; for one layer
// its weight arguments and constants are retyped in place (a fresh constant
// when another op shares it, as zero points are shared), other float
// operands are cast in, and the result is cast back out, as mixed-precision
// exporters write it. Clamp bounds follow the type (a ReLU's bound becomes
// the new type's largest value); acc_type attributes stay f32, which TOSA 1.0
// requires for bf16 and allows for f16.
//
//===----------------------------------------------------------------------===//

#include "mlir/CompositePatterns.h"
#include "mlir/ModelLoader.h"
#include "mlir/Mutations.h"
#include "mlir/PlanLowering.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Verifier.h"

namespace goodhart {
namespace {

using namespace mlir::tosa;

mlir::FloatType parseFloatType(mlir::MLIRContext *context,
                               llvm::StringRef name) {
  mlir::Builder b(context);
  if (name == "f32")
    return b.getF32Type();
  if (name == "bf16")
    return b.getBF16Type();
  if (name == "f16")
    return b.getF16Type();
  return nullptr;
}

/// `type` with element type `to` if it is a float tensor, else null.
mlir::RankedTensorType retyped(mlir::Type type, mlir::FloatType to) {
  auto tensor = llvm::dyn_cast<mlir::RankedTensorType>(type);
  if (!tensor || !llvm::isa<mlir::FloatType>(tensor.getElementType()))
    return nullptr;
  return mlir::RankedTensorType::get(tensor.getShape(), to,
                                     tensor.getEncoding());
}

/// `value` in `to`'s semantics; the largest finite value (either sign) maps
/// to the new type's largest, as exporters write ReLU's bound.
llvm::APFloat convertValue(llvm::APFloat value, mlir::FloatType to) {
  const llvm::fltSemantics &semantics = to.getFloatSemantics();
  llvm::APFloat largest = llvm::APFloat::getLargest(value.getSemantics());
  if (value.isFinite() &&
      abs(value).compare(largest) != llvm::APFloat::cmpLessThan)
    return llvm::APFloat::getLargest(semantics, value.isNegative());
  bool lost = false;
  value.convert(semantics, llvm::APFloat::rmNearestTiesToEven, &lost);
  return value;
}

/// The float constant `c`'s values in `type`; fails on values that are not
/// a DenseElementsAttr (dense_resource blobs).
mlir::FailureOr<mlir::DenseElementsAttr>
convertConst(ConstOp c, mlir::RankedTensorType type) {
  auto dense = llvm::dyn_cast<mlir::DenseElementsAttr>(c.getValues());
  if (!dense)
    return c.emitOpError() << "holds values goodhart cannot convert to "
                           << type.getElementType()
                           << " (only dense constants are supported)";
  auto to = llvm::cast<mlir::FloatType>(type.getElementType());
  if (dense.isSplat())
    return mlir::DenseElementsAttr::get(
        type, convertValue(dense.getSplatValue<llvm::APFloat>(), to));
  llvm::SmallVector<llvm::APFloat> values;
  for (llvm::APFloat v : dense.getValues<llvm::APFloat>())
    values.push_back(convertValue(v, to));
  return mlir::DenseElementsAttr::get(type, values);
}

void convertClampBounds(ClampOp clamp, mlir::FloatType to) {
  for (llvm::StringRef name : {"min_val", "max_val"})
    if (auto attr = clamp->getAttrOfType<mlir::FloatAttr>(name))
      clamp->setAttr(
          name, mlir::FloatAttr::get(to, convertValue(attr.getValue(), to)));
}

void updateFunctionType(mlir::func::FuncOp func) {
  auto ret =
      llvm::cast<mlir::func::ReturnOp>(func.getBody().front().getTerminator());
  func.setFunctionType(mlir::FunctionType::get(
      func.getContext(), func.getBody().getArgumentTypes(),
      ret.getOperandTypes()));
}

mlir::LogicalResult retypeFunction(mlir::func::FuncOp func,
                                   mlir::FloatType to) {
  bool changed = false;
  auto retypeValue = [&](mlir::Value v) {
    if (mlir::RankedTensorType t = retyped(v.getType(), to);
        t && t != v.getType()) {
      v.setType(t);
      changed = true;
    }
  };
  for (mlir::BlockArgument arg : func.getArguments())
    retypeValue(arg);
  for (mlir::Operation &op : func.getBody().getOps()) {
    if (auto c = llvm::dyn_cast<ConstOp>(op)) {
      mlir::RankedTensorType t = retyped(c.getType(), to);
      if (!t || t == c.getType())
        continue;
      mlir::FailureOr<mlir::DenseElementsAttr> values = convertConst(c, t);
      if (mlir::failed(values))
        return mlir::failure();
      c.setValuesAttr(*values);
    }
    if (auto clamp = llvm::dyn_cast<ClampOp>(op))
      convertClampBounds(clamp, to);
    for (mlir::Value result : op.getResults())
      retypeValue(result);
  }
  if (!changed)
    return func.emitError()
           << "'" << func.getSymName() << "' is already " << to;
  updateFunctionType(func);
  return mlir::success();
}

mlir::LogicalResult retypeLayer(mlir::func::FuncOp func, mlir::Operation *op,
                                llvm::StringRef name, mlir::FloatType to) {
  for (const CompositeMatch &m : findComposites(func))
    if (m.fusible && llvm::is_contained(m.ops, op))
      return op->emitOpError()
             << "is layer '" << name << "', part of a " << m.pattern
             << "; set the element type of the whole model instead";
  if (op->getNumResults() != 1 || !retyped(op->getResult(0).getType(), to))
    return op->emitOpError()
           << "is layer '" << name << "', which has no float result to retype";
  mlir::Type oldType = op->getResult(0).getType();
  if (retyped(oldType, to) == oldType)
    return op->emitOpError() << "is layer '" << name << "', already " << to;
  mlir::OpBuilder builder(op);
  auto named = [&](const std::string &suffix) {
    return mlir::NameLoc::get(builder.getStringAttr(name.str() + suffix));
  };
  int castIndex = 0;
  llvm::DenseMap<mlir::Value, mlir::Value> convertedConsts;
  for (mlir::OpOperand &operand : op->getOpOperands()) {
    mlir::Value v = operand.get();
    mlir::RankedTensorType t = retyped(v.getType(), to);
    if (!t || t == v.getType())
      continue;
    if (auto c = v.getDefiningOp<ConstOp>()) {
      mlir::Value &converted = convertedConsts[v];
      if (!converted) {
        mlir::FailureOr<mlir::DenseElementsAttr> values = convertConst(c, t);
        if (mlir::failed(values))
          return mlir::failure();
        converted = ConstOp::create(builder, c.getLoc(), t, *values);
      }
      operand.set(converted);
      if (c->use_empty())
        c.erase();
      continue;
    }
    auto arg = llvm::dyn_cast<mlir::BlockArgument>(v);
    if (arg && func.getArgAttr(arg.getArgNumber(), kWeightArgAttr) &&
        llvm::all_of(arg.getUsers(),
                     [&](mlir::Operation *user) { return user == op; })) {
      arg.setType(t);
      continue;
    }
    operand.set(CastOp::create(
        builder, named(".cast_in" + std::to_string(castIndex++)), t, v));
  }
  if (auto clamp = llvm::dyn_cast<ClampOp>(op))
    convertClampBounds(clamp, to);
  mlir::Value result = op->getResult(0);
  result.setType(retyped(oldType, to));
  builder.setInsertionPointAfter(op);
  auto back = CastOp::create(builder, named(".cast_out"), oldType, result);
  result.replaceAllUsesExcept(back.getResult(), back);
  updateFunctionType(func);
  return mlir::success();
}

} // namespace

mlir::LogicalResult setElementType(mlir::func::FuncOp func,
                                   llvm::StringRef layerName,
                                   llvm::StringRef dtype) {
  mlir::FloatType to = parseFloatType(func.getContext(), dtype);
  if (!to)
    return func.emitError()
           << "unknown element type '" << dtype << "' (known: f32, bf16, f16)";
  mlir::LogicalResult result = mlir::failure();
  if (layerName == "*") {
    result = retypeFunction(func, to);
  } else {
    mlir::Operation *layer = nullptr;
    for (auto &[op, name] : assignLayerNames(func))
      if (name == layerName)
        layer = op;
    if (!layer)
      return func.emitError() << "no layer named '" << layerName << "' in '"
                              << func.getSymName() << "'";
    result = retypeLayer(func, layer, layerName, to);
  }
  if (mlir::failed(result))
    return mlir::failure();
  if (mlir::failed(mlir::verify(func)))
    return func.emitError() << "setting '" << layerName << "' to " << dtype
                            << " left an invalid function";
  return mlir::success();
}

} // namespace goodhart
