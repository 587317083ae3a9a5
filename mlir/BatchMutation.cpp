//===- BatchMutation.cpp - Change a model's batch size --------------------===//
//
// set_batch follows the batch from the data input through ops whose
// semantics say where it goes, instead of through the tie analysis (with
// batch 1 the batch cannot be told from the other unit dimensions there):
//
//  * The batch starts in dimension 0 of an NHWC image input, and in the
//    token dimension of a [1, batch x sequence, hidden] token input (the
//    corpus folds it there, as torch-mlir does, since TOSA matmuls pair
//    equal batches and Linear weights are [1, in, out]); a [B, S, H] input
//    with B > 1 keeps it in dimension 0.
//  * A value carries the batch as the outermost factor of one dimension:
//    its size is batch x rest, and only the batch factor changes.
//  * Convolutions and pools keep it in dimension 0; elementwise ops, reduce
//    (on another axis), slice and pad (which must leave it whole) and
//    concat (on another axis) keep its position; transpose moves it.
//    Weights, constants and other inputs (masks, position tables) never
//    carry it: where they meet it they must broadcast (size 1 there).
//  * A matmul pairs batches [N,H,C] x [N,C,W] when both operands carry it;
//    with a weight as B the batch must sit in A's M (rows); nothing folds
//    it there but the reshapes the exporter wrote.
//  * A reshape puts it on the output dimension whose suffix holds the same
//    elements (the product of the dimensions after it is unchanged): the
//    outermost such dimension, unless that is dimension 0 and the value
//    reaches a matmul with a weight (through elementwise ops) - then the
//    next one, which is M: [N,1,1,C] -> [1,N,C] before a classifier,
//    [N,S,heads,D] -> [1,N*S,hidden] before an output projection.
//
// Anything else that meets the batch is refused with an error on the op.
//
//===----------------------------------------------------------------------===//

#include "mlir/InputSizeSupport.h"
#include "mlir/Mutations.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"

#include "llvm/ADT/DenseSet.h"

namespace goodhart {
namespace {

bool isWindowOp(mlir::Operation *op) {
  return llvm::isa<mlir::tosa::Conv2DOp, mlir::tosa::DepthwiseConv2DOp,
                   mlir::tosa::MaxPool2dOp, mlir::tosa::AvgPool2dOp>(op);
}

bool isElementwise(mlir::Operation *op) {
  return op->hasTrait<mlir::OpTrait::ResultsBroadcastableShape>() ||
         llvm::isa<mlir::tosa::MulOp, mlir::tosa::NegateOp, mlir::tosa::CastOp,
                   mlir::tosa::ClampOp>(op);
}

/// The reduction axis of a reduce or argmax op.
std::optional<unsigned> reduceAxis(mlir::Operation *op) {
  if (!llvm::isa<mlir::tosa::ReduceSumOp, mlir::tosa::ReduceMaxOp,
                 mlir::tosa::ReduceMinOp, mlir::tosa::ReduceProductOp,
                 mlir::tosa::ReduceAllOp, mlir::tosa::ReduceAnyOp,
                 mlir::tosa::ArgMaxOp>(op))
    return std::nullopt;
  return op->getAttrOfType<mlir::IntegerAttr>("axis").getInt();
}

/// Where the batch goes, op by op.
class BatchFollower {
public:
  BatchFollower(mlir::func::FuncOp func, OldShapes &old, mlir::Value input,
                unsigned dim, int64_t oldBatch, int64_t newBatch)
      : func(func), old(old), input(input), oldBatch(oldBatch),
        newBatch(newBatch) {
    batchDim[input] = dim;
  }

  mlir::LogicalResult run() {
    llvm::SmallVector<mlir::Operation *> ops;
    for (mlir::Operation &op : func.getBody().getOps())
      if (!llvm::isa<mlir::tosa::ConstOp, mlir::tosa::ConstShapeOp,
                     mlir::func::ReturnOp>(op))
        ops.push_back(&op);
    for (mlir::Operation *op : ops) {
      mlir::FailureOr<std::optional<unsigned>> dim = visit(op);
      if (mlir::failed(dim) || mlir::failed(refineResultTypes(op)))
        return mlir::failure();
      if (!*dim)
        continue;
      mlir::Value result = op->getResult(0);
      batchDim[result] = **dim;
      if (shapeOf(result)[**dim] != grow(old.of(result)[**dim]))
        return op->emitOpError()
               << "gets " << shapeOf(result)[**dim] << " in dimension " << **dim
               << " where the batch should make it "
               << grow(old.of(result)[**dim]);
    }
    return finishResize(func);
  }

private:
  /// A dimension of old size `size` whose outermost factor is the batch.
  int64_t grow(int64_t size) const { return size / oldBatch * newBatch; }

  std::optional<unsigned> carried(mlir::Value v) const {
    auto it = batchDim.find(v);
    return it == batchDim.end() ? std::nullopt
                                : std::optional<unsigned>(it->second);
  }

  /// Whether `v`, with the batch in dimension 0, reaches a matmul whose
  /// other operand is a weight or constant through ops that keep
  /// dimension 0 where it is.
  bool reachesWeightMatmul(mlir::Value v) const {
    llvm::SmallVector<mlir::Value> work = {v};
    llvm::DenseSet<mlir::Value> seen;
    while (!work.empty()) {
      mlir::Value cur = work.pop_back_val();
      if (!seen.insert(cur).second)
        continue;
      for (mlir::OpOperand &use : cur.getUses()) {
        mlir::Operation *user = use.getOwner();
        if (auto matmul = llvm::dyn_cast<mlir::tosa::MatMulOp>(user)) {
          mlir::Value other =
              use.getOperandNumber() == 0 ? matmul.getB() : matmul.getA();
          if (isLeaf(other) && other != input)
            return true;
          continue;
        }
        std::optional<unsigned> axis = reduceAxis(user);
        if (isElementwise(user) ||
            (axis && *axis != 0 && !llvm::isa<mlir::tosa::ArgMaxOp>(user)))
          work.push_back(user->getResult(0));
      }
    }
    return false;
  }

  mlir::FailureOr<std::optional<unsigned>> visit(mlir::Operation *op) {
    llvm::SmallVector<std::pair<unsigned, unsigned>> carriers;
    for (mlir::OpOperand &operand : op->getOpOperands())
      if (std::optional<unsigned> d = carried(operand.get()))
        carriers.push_back({operand.getOperandNumber(), *d});
    if (carriers.empty())
      return std::optional<unsigned>();
    auto [index, dim] = carriers.front();
    auto refuse = [&](llvm::StringRef why) {
      return op->emitOpError() << "meets the batch (operand " << index
                               << ", dimension " << dim << ") " << why;
    };

    if (isWindowOp(op)) {
      if (index != 0 || dim != 0 || carriers.size() > 1)
        return refuse("outside dimension 0 of its input");
      return std::optional<unsigned>(0);
    }
    if (isElementwise(op)) {
      int64_t rank = shapeOf(op->getResult(0)).size();
      for (mlir::OpOperand &operand : op->getOpOperands()) {
        if (static_cast<int64_t>(shapeOf(operand.get()).size()) != rank)
          continue;
        std::optional<unsigned> d = carried(operand.get());
        if (d && *d != dim)
          return refuse("in two different dimensions of its operands");
        if (!d && shapeOf(operand.get())[dim] != 1)
          return refuse("where operand " +
                        std::to_string(operand.getOperandNumber()) +
                        " does not carry it and does not broadcast (size " +
                        std::to_string(shapeOf(operand.get())[dim]) + ")");
      }
      return std::optional<unsigned>(dim);
    }
    if (std::optional<unsigned> axis = reduceAxis(op)) {
      if (*axis == dim)
        return refuse("on its reduction axis");
      if (llvm::isa<mlir::tosa::ArgMaxOp>(op) && *axis < dim)
        return std::optional<unsigned>(dim - 1);
      return std::optional<unsigned>(dim);
    }
    if (auto transpose = llvm::dyn_cast<mlir::tosa::TransposeOp>(op)) {
      for (auto [i, p] : llvm::enumerate(transpose.getPerms()))
        if (static_cast<unsigned>(p) == dim)
          return std::optional<unsigned>(i);
    }
    if (auto slice = llvm::dyn_cast<mlir::tosa::SliceOp>(op)) {
      std::optional<Shape> start = constShapeValues(slice.getStart());
      std::optional<Shape> size = constShapeValues(slice.getSize());
      if (index != 0 || !start || !size || (*start)[dim] != 0 ||
          (*size)[dim] != old.of(slice.getInput1())[dim])
        return refuse("and does not keep it whole");
      (*size)[dim] = shapeOf(slice.getInput1())[dim];
      if (mlir::failed(setShapeOperand(op, slice.getSizeMutable(), *size)))
        return mlir::failure();
      return std::optional<unsigned>(dim);
    }
    if (auto pad = llvm::dyn_cast<mlir::tosa::PadOp>(op)) {
      std::optional<Shape> padding = constShapeValues(pad.getPadding());
      if (index != 0 || !padding || (*padding)[2 * dim] != 0 ||
          (*padding)[2 * dim + 1] != 0)
        return refuse("and pads it");
      return std::optional<unsigned>(dim);
    }
    if (auto concat = llvm::dyn_cast<mlir::tosa::ConcatOp>(op)) {
      if (concat.getAxis() == dim ||
          carriers.size() != concat->getNumOperands() ||
          llvm::any_of(carriers, [&](auto c) { return c.second != dim; }))
        return refuse("on its axis or beside an operand without it");
      return std::optional<unsigned>(dim);
    }
    if (auto matmul = llvm::dyn_cast<mlir::tosa::MatMulOp>(op)) {
      std::optional<unsigned> a = carried(matmul.getA());
      std::optional<unsigned> b = carried(matmul.getB());
      if (a && b && *a == 0 && *b == 0)
        return std::optional<unsigned>(0);
      if (a && !b && *a == 1)
        return std::optional<unsigned>(1); // rows: M
      if (!a && b && *b == 2)
        return std::optional<unsigned>(2); // columns: W
      return refuse("where only a reshape into the rows (M) beside a weight "
                    "operand, or both operands' dimension 0, can hold it");
    }
    if (auto reshape = llvm::dyn_cast<mlir::tosa::ReshapeOp>(op))
      return followReshape(reshape, dim);
    return refuse("and goodhart does not know where this op puts it");
  }

  mlir::FailureOr<std::optional<unsigned>>
  followReshape(mlir::tosa::ReshapeOp reshape, unsigned dim) {
    llvm::ArrayRef<int64_t> in = old.of(reshape.getInput1());
    llvm::ArrayRef<int64_t> out = old.of(reshape.getResult());
    int64_t suffix = product(in.drop_front(dim));
    llvm::SmallVector<unsigned> candidates;
    for (unsigned d = 0; d < out.size(); ++d)
      if (product(out.drop_front(d)) == suffix && out[d] % oldBatch == 0)
        candidates.push_back(d);
    if (candidates.empty())
      return reshape.emitOpError()
             << "splits the batch (dimension " << dim
             << " of its input) across several dimensions";
    unsigned target = candidates.front();
    if (target == 0 && candidates.size() > 1 &&
        reachesWeightMatmul(reshape.getResult()))
      target = candidates[1];
    Shape shape(out);
    shape[target] = grow(out[target]);
    if (mlir::failed(
            setShapeOperand(reshape, reshape.getShapeMutable(), shape)))
      return mlir::failure();
    return std::optional<unsigned>(target);
  }

  mlir::func::FuncOp func;
  OldShapes &old;
  mlir::Value input;
  int64_t oldBatch, newBatch;
  llvm::DenseMap<mlir::Value, unsigned> batchDim;
};

/// The data input and the dimension holding its batch: dimension 0 of an
/// NHWC image input; of a token input [B, S, H], dimension 0 when B > 1,
/// else the token dimension (batch x sequence, folded).
std::optional<std::pair<unsigned, unsigned>>
batchInput(mlir::func::FuncOp func) {
  bool windows = false;
  func.walk([&](mlir::Operation *op) { windows |= isWindowOp(op); });
  if (windows)
    if (std::optional<unsigned> image = dataInputIndex(func, 4))
      return std::make_pair(*image, 0u);
  if (std::optional<unsigned> tokens = dataInputIndex(func, 3))
    return std::make_pair(*tokens,
                          shapeOf(func.getArgument(*tokens))[0] > 1 ? 0u : 1u);
  return std::nullopt;
}

} // namespace

std::optional<int64_t> modelBatchSize(mlir::func::FuncOp func) {
  auto in = batchInput(func);
  if (!in)
    return std::nullopt;
  // A folded token dimension holds batch 1 (the corpus exports batch 1).
  return in->second == 0 ? shapeOf(func.getArgument(in->first))[0] : 1;
}

mlir::LogicalResult setBatchSize(mlir::func::FuncOp func, int64_t batch) {
  auto in = batchInput(func);
  if (!in)
    return func.emitError() << "'" << func.getSymName()
                            << "' has no image or token input: set_batch "
                               "needs a rank-4 or rank-3 non-weight argument";
  if (batch <= 0)
    return func.emitError() << "cannot set the batch to " << batch;
  int64_t oldBatch = *modelBatchSize(func);
  OldShapes old(func);
  mlir::BlockArgument input = func.getArgument(in->first);
  Shape shape(shapeOf(input));
  shape[in->second] = shape[in->second] / oldBatch * batch;
  if (mlir::failed(resizeLeaf(input, shape, old)))
    return mlir::failure();
  return BatchFollower(func, old, input, in->second, oldBatch, batch).run();
}

} // namespace goodhart
