//===- InputSizeSupport.cpp - Shared steps of the input-size mutations ----===//

#include "mlir/InputSizeSupport.h"
#include "mlir/Mutations.h"

#include "mlir/ModelLoader.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"

#include "llvm/ADT/MapVector.h"

namespace goodhart {
namespace {

/// Row-major linear index of `index` in `shape`.
int64_t linearIndex(llvm::ArrayRef<int64_t> index,
                    llvm::ArrayRef<int64_t> shape) {
  int64_t linear = 0;
  for (auto [i, n] : llvm::zip(index, shape))
    linear = linear * n + i;
  return linear;
}

/// The constant's data at `shape`: the leading block where a dimension
/// shrinks; where dimensions grow, an index past the old end takes the value
/// at the same offset along the diagonal from the old last position.
mlir::DenseElementsAttr resizedValues(mlir::DenseElementsAttr values,
                                      mlir::RankedTensorType newType) {
  if (values.isSplat())
    return mlir::DenseElementsAttr::get(
        newType, values.getSplatValue<mlir::Attribute>());
  llvm::ArrayRef<int64_t> oldShape = values.getType().getShape();
  llvm::ArrayRef<int64_t> newShape = newType.getShape();
  llvm::SmallVector<mlir::Attribute> old(values.getValues<mlir::Attribute>());
  llvm::SmallVector<mlir::Attribute> data;
  data.reserve(newType.getNumElements());
  Shape index(newShape.size(), 0), from(newShape.size(), 0);
  for (int64_t n = 0; n < newType.getNumElements(); ++n) {
    int64_t shift = 0;
    for (size_t d = 0; d < newShape.size(); ++d)
      if (newShape[d] > oldShape[d])
        shift = std::max(shift, index[d] - (oldShape[d] - 1));
    for (size_t d = 0; d < newShape.size(); ++d)
      from[d] = newShape[d] > oldShape[d]
                    ? std::clamp<int64_t>(index[d] - shift, 0, oldShape[d] - 1)
                    : index[d];
    data.push_back(old[linearIndex(from, oldShape)]);
    for (int64_t d = static_cast<int64_t>(newShape.size()) - 1; d >= 0; --d) {
      if (++index[d] < newShape[d])
        break;
      index[d] = 0;
    }
  }
  return mlir::DenseElementsAttr::get(newType, data);
}

/// Operand dimensions that must agree, as (operand index, dim) groups.
using DimGroup = llvm::SmallVector<std::pair<unsigned, unsigned>, 4>;

llvm::SmallVector<DimGroup> agreeingDims(mlir::Operation *op) {
  llvm::SmallVector<DimGroup> groups;
  if (llvm::isa<mlir::tosa::MatMulOp>(op))
    return {DimGroup{{0, 0}, {1, 0}}, DimGroup{{0, 2}, {1, 1}}};
  int64_t rank = shapeOf(op->getResult(0)).size();
  std::optional<unsigned> axis;
  if (auto concat = llvm::dyn_cast<mlir::tosa::ConcatOp>(op))
    axis = concat.getAxis();
  else if (!op->hasTrait<mlir::OpTrait::ResultsBroadcastableShape>() &&
           !llvm::isa<mlir::tosa::MulOp>(op))
    return groups;
  for (unsigned d = 0; d < rank; ++d) {
    if (axis && d == *axis)
      continue;
    DimGroup group;
    for (unsigned i = 0; i < op->getNumOperands(); ++i)
      if (static_cast<int64_t>(shapeOf(op->getOperand(i)).size()) == rank)
        group.push_back({i, d});
    groups.push_back(group);
  }
  return groups;
}

} // namespace

int64_t product(llvm::ArrayRef<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims)
    p *= d;
  return p;
}

std::optional<Shape> constShapeValues(mlir::Value v) {
  auto shapeOp = v.getDefiningOp<mlir::tosa::ConstShapeOp>();
  if (!shapeOp)
    return std::nullopt;
  Shape values;
  for (const llvm::APInt &x :
       llvm::cast<mlir::DenseIntElementsAttr>(shapeOp.getValues())
           .getValues<llvm::APInt>())
    values.push_back(x.getSExtValue());
  return values;
}

OldShapes::OldShapes(mlir::func::FuncOp func) {
  for (mlir::BlockArgument arg : func.getArguments())
    record(arg, shapeOf(arg));
  func.walk([&](mlir::Operation *op) {
    for (mlir::Value result : op->getResults())
      record(result, shapeOf(result));
  });
}

llvm::ArrayRef<int64_t> OldShapes::of(mlir::Value value) const {
  auto it = shapes.find(value);
  return it == shapes.end() ? llvm::ArrayRef<int64_t>() : it->second;
}

void OldShapes::record(mlir::Value value, llvm::ArrayRef<int64_t> shape) {
  shapes[value] = Shape(shape);
}

llvm::ArrayRef<int64_t> shapeOf(mlir::Value value) {
  auto t = llvm::dyn_cast<mlir::RankedTensorType>(value.getType());
  return t ? t.getShape() : llvm::ArrayRef<int64_t>();
}

std::optional<unsigned> dataInputIndex(mlir::func::FuncOp func, int64_t rank) {
  for (mlir::BlockArgument arg : func.getArguments())
    if (!func.getArgAttr(arg.getArgNumber(), kWeightArgAttr) &&
        static_cast<int64_t>(shapeOf(arg).size()) == rank)
      return arg.getArgNumber();
  return std::nullopt;
}

mlir::LogicalResult setShapeOperand(mlir::Operation *op,
                                    mlir::OpOperand &operand,
                                    llvm::ArrayRef<int64_t> values) {
  auto shapeOp = operand.get().getDefiningOp<mlir::tosa::ConstShapeOp>();
  if (!shapeOp)
    return op->emitOpError() << "has a computed shape operand; changing the "
                                "input size needs a tosa.const_shape";
  mlir::OpBuilder builder(op);
  auto attr = mlir::DenseIntElementsAttr::get(
      mlir::RankedTensorType::get({static_cast<int64_t>(values.size())},
                                  builder.getIndexType()),
      values);
  auto fresh = mlir::tosa::ConstShapeOp::create(builder, shapeOp.getLoc(),
                                                shapeOp.getType(), attr);
  operand.set(fresh.getResult());
  if (shapeOp->use_empty())
    shapeOp.erase();
  return mlir::success();
}

std::optional<Shape> followReshape(llvm::ArrayRef<int64_t> oldIn,
                                   llvm::ArrayRef<int64_t> newIn,
                                   llvm::ArrayRef<int64_t> oldOut) {
  Shape out(oldOut);
  size_t i = 0, j = 0;
  while (i < oldIn.size() && j < oldOut.size()) {
    size_t ia = i, oa = j;
    int64_t pi = oldIn[i++], po = oldOut[j++];
    while (pi != po) {
      if (pi < po && i < oldIn.size())
        pi *= oldIn[i++];
      else if (j < oldOut.size())
        po *= oldOut[j++];
      else
        return std::nullopt;
    }
    if (llvm::equal(oldIn.slice(ia, i - ia), newIn.slice(ia, i - ia)))
      continue;
    int64_t newProduct = product(newIn.slice(ia, i - ia));
    llvm::SmallVector<size_t> nonUnit;
    for (size_t k = oa; k < j; ++k)
      if (oldOut[k] != 1)
        nonUnit.push_back(k);
    if (j - oa == 1)
      out[oa] = newProduct;
    else if (nonUnit.size() == 1)
      out[nonUnit.front()] = newProduct;
    else
      return std::nullopt;
  }
  // Left-over dimensions are ones (the products matched).
  for (; i < oldIn.size(); ++i)
    if (newIn[i] != oldIn[i])
      return std::nullopt;
  return out;
}

bool isLeaf(mlir::Value value) {
  return llvm::isa<mlir::BlockArgument>(value) ||
         value.getDefiningOp<mlir::tosa::ConstOp>();
}

mlir::FailureOr<mlir::Value>
resizeLeaf(mlir::Value leaf, llvm::ArrayRef<int64_t> shape, OldShapes &old) {
  auto type = llvm::cast<mlir::RankedTensorType>(leaf.getType());
  auto newType = mlir::RankedTensorType::get(shape, type.getElementType(),
                                             type.getEncoding());
  if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(leaf)) {
    arg.setType(newType);
    return leaf;
  }
  auto c = leaf.getDefiningOp<mlir::tosa::ConstOp>();
  auto values = llvm::dyn_cast<mlir::DenseElementsAttr>(c.getValues());
  if (!values)
    return c.emitOpError() << "holds data that is not a dense attribute; it "
                              "cannot be resized to follow the input size";
  mlir::OpBuilder builder(c);
  auto fresh = mlir::tosa::ConstOp::create(builder, c.getLoc(), newType,
                                           resizedValues(values, newType));
  old.record(fresh.getResult(), old.of(c.getResult()));
  c.getResult().replaceAllUsesWith(fresh.getResult());
  c.erase();
  return fresh.getResult();
}

mlir::LogicalResult followLeafOperands(mlir::Operation *op, OldShapes &old) {
  llvm::MapVector<mlir::Value, Shape> resized;
  for (const DimGroup &group : agreeingDims(op)) {
    std::optional<std::pair<int64_t, int64_t>> change;
    for (auto [i, d] : group) {
      mlir::Value v = op->getOperand(i);
      llvm::ArrayRef<int64_t> was = old.of(v), now = shapeOf(v);
      if (d < was.size() && was[d] != now[d])
        change = {was[d], now[d]};
    }
    if (!change || change->first == 1)
      continue;
    for (auto [i, d] : group) {
      mlir::Value v = op->getOperand(i);
      if (!isLeaf(v) || shapeOf(v)[d] != change->first)
        continue;
      auto [it, inserted] = resized.try_emplace(v, Shape(shapeOf(v)));
      it->second[d] = change->second;
    }
  }
  for (auto &[leaf, shape] : resized)
    if (mlir::failed(resizeLeaf(leaf, shape, old)))
      return mlir::failure();
  return mlir::success();
}

mlir::LogicalResult followSlice(mlir::Operation *op, const OldShapes &old) {
  auto slice = llvm::cast<mlir::tosa::SliceOp>(op);
  mlir::Value input = slice.getInput1();
  llvm::ArrayRef<int64_t> was = old.of(input), now = shapeOf(input);
  if (was == now)
    return mlir::success();
  std::optional<Shape> start = constShapeValues(slice.getStart());
  std::optional<Shape> size = constShapeValues(slice.getSize());
  if (!start || !size)
    return op->emitOpError() << "has a computed start or size; changing the "
                                "input size needs tosa.const_shape operands";
  for (size_t d = 0; d < was.size(); ++d) {
    if (was[d] == now[d])
      continue;
    if ((*start)[d] != 0 || (*size)[d] != was[d])
      return op->emitOpError()
             << "cuts dimension " << d << " (" << (*start)[d] << " + "
             << (*size)[d] << " of " << was[d]
             << "), which the input size change resizes to " << now[d];
    (*size)[d] = now[d];
  }
  return setShapeOperand(op, slice.getSizeMutable(), *size);
}

mlir::LogicalResult followInputChange(
    mlir::func::FuncOp func, OldShapes &old,
    llvm::function_ref<mlir::FailureOr<bool>(mlir::Operation *)> visit) {
  // Ops are collected first: the steps insert and erase constants.
  llvm::SmallVector<mlir::Operation *> ops;
  for (mlir::Operation &op : func.getBody().getOps())
    if (!llvm::isa<mlir::tosa::ConstOp, mlir::tosa::ConstShapeOp,
                   mlir::func::ReturnOp>(op))
      ops.push_back(&op);
  for (mlir::Operation *op : ops) {
    mlir::FailureOr<bool> handled = visit(op);
    if (mlir::failed(handled))
      return mlir::failure();
    if (!*handled) {
      if (auto reshape = llvm::dyn_cast<mlir::tosa::ReshapeOp>(op)) {
        mlir::Value in = reshape.getInput1();
        if (old.of(in) != shapeOf(in)) {
          std::optional<Shape> out =
              followReshape(old.of(in), shapeOf(in), old.of(reshape));
          if (!out)
            return reshape.emitOpError()
                   << "splits a dimension the input size change resizes "
                      "into several; which of them grows is not determined";
          if (mlir::failed(
                  setShapeOperand(op, reshape.getShapeMutable(), *out)))
            return mlir::failure();
        }
      } else if (llvm::isa<mlir::tosa::SliceOp>(op)) {
        if (mlir::failed(followSlice(op, old)))
          return mlir::failure();
      } else if (mlir::failed(followLeafOperands(op, old))) {
        return mlir::failure();
      }
    }
    if (mlir::failed(refineResultTypes(op)))
      return mlir::failure();
  }
  return finishResize(func);
}

mlir::LogicalResult finishResize(mlir::func::FuncOp func) {
  auto ret =
      llvm::cast<mlir::func::ReturnOp>(func.getBody().front().getTerminator());
  func.setFunctionType(mlir::FunctionType::get(
      func.getContext(), func.getBody().getArgumentTypes(),
      ret.getOperandTypes()));
  return mlir::verify(func);
}

} // namespace goodhart
