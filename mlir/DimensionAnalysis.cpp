//===- DimensionAnalysis.cpp - Which tensor dimensions move together ------===//

#include "mlir/DimensionAnalysis.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/TypeSwitch.h"

namespace goodhart {
namespace {

llvm::ArrayRef<int64_t> shapeOf(mlir::Value v) {
  auto t = llvm::dyn_cast<mlir::RankedTensorType>(v.getType());
  return t ? t.getShape() : llvm::ArrayRef<int64_t>();
}

} // namespace

DimensionAnalysis::DimensionAnalysis(mlir::func::FuncOp func) {
  for (mlir::BlockArgument arg : func.getArguments())
    for (unsigned d = 0; d < shapeOf(arg).size(); ++d)
      indexOf(arg, d);
  for (mlir::Operation &op : func.getBody().getOps()) {
    for (mlir::Value result : op.getResults())
      for (unsigned d = 0; d < shapeOf(result).size(); ++d)
        indexOf(result, d);
    addTies(&op);
  }
}

int DimensionAnalysis::indexOf(mlir::Value value, unsigned dim) {
  auto [it, inserted] =
      indices.try_emplace(Key(value, dim), static_cast<int>(keys.size()));
  if (inserted) {
    keys.emplace_back(value, dim);
    parent.push_back(it->second);
  }
  return it->second;
}

int DimensionAnalysis::find(int i) const {
  while (parent[i] != i) {
    parent[i] = parent[parent[i]];
    i = parent[i];
  }
  return i;
}

void DimensionAnalysis::tie(mlir::Value a, unsigned da, mlir::Value b,
                            unsigned db) {
  if (da >= shapeOf(a).size() || db >= shapeOf(b).size())
    return;
  int ra = find(indexOf(a, da)), rb = find(indexOf(b, db));
  if (ra != rb)
    parent[std::max(ra, rb)] = std::min(ra, rb);
}

/// Ties equal dimensions of two same-rank tensors; a size-1 dimension facing
/// a larger one is a broadcast and stays free.
void DimensionAnalysis::tieSameShape(mlir::Value a, mlir::Value b) {
  auto sa = shapeOf(a), sb = shapeOf(b);
  if (sa.size() != sb.size())
    return;
  for (unsigned d = 0; d < sa.size(); ++d)
    if (sa[d] == sb[d])
      tie(a, d, b, d);
}

void DimensionAnalysis::addTies(mlir::Operation *op) {
  using namespace mlir::tosa;
  if (op->getNumResults() != 1)
    return;
  mlir::Value out = op->getResult(0);
  llvm::TypeSwitch<mlir::Operation *>(op)
      .Case([&](Conv2DOp c) {
        // input [N,H,W,IC], weights [OC,KH,KW,IC], bias [OC] or [1].
        tie(c.getInput(), 0, out, 0);
        tie(c.getInput(), 3, c.getWeight(), 3);
        tie(c.getWeight(), 0, out, 3);
        if (shapeOf(c.getBias()).size() == 1 && shapeOf(c.getBias())[0] > 1)
          tie(c.getBias(), 0, out, 3);
      })
      .Case([&](DepthwiseConv2DOp c) {
        // weights [KH,KW,C,M], output channels C*M.
        tie(c.getInput(), 0, out, 0);
        tie(c.getInput(), 3, c.getWeight(), 2);
        if (shapeOf(c.getWeight())[3] == 1)
          tie(c.getInput(), 3, out, 3);
        if (shapeOf(c.getBias()).size() == 1 && shapeOf(c.getBias())[0] > 1)
          tie(c.getBias(), 0, out, 3);
      })
      .Case<MaxPool2dOp, AvgPool2dOp>([&](mlir::Operation *pool) {
        tie(pool->getOperand(0), 0, out, 0);
        tie(pool->getOperand(0), 3, out, 3);
      })
      .Case([&](MatMulOp m) {
        tie(m.getA(), 0, m.getB(), 0);
        tie(m.getA(), 0, out, 0);
        tie(m.getA(), 1, out, 1);
        tie(m.getA(), 2, m.getB(), 1);
        tie(m.getB(), 2, out, 2);
      })
      .Case([&](ReshapeOp r) {
        // Tie the equal leading and trailing dimensions around the part
        // the reshape regroups.
        auto in = shapeOf(r.getInput1()), res = shapeOf(out);
        size_t front = 0;
        while (front < in.size() && front < res.size() &&
               in[front] == res[front]) {
          tie(r.getInput1(), front, out, front);
          ++front;
        }
        for (size_t back = 1;
             back <= in.size() && back <= res.size() &&
             in.size() - back >= front && res.size() - back >= front;
             ++back) {
          if (in[in.size() - back] != res[res.size() - back])
            break;
          tie(r.getInput1(), in.size() - back, out, res.size() - back);
        }
      })
      .Case([&](SliceOp slice) {
        // Dimensions the slice keeps whole move together.
        auto in = shapeOf(slice.getInput1()), res = shapeOf(out);
        for (unsigned d = 0; d < in.size() && d < res.size(); ++d)
          if (in[d] == res[d])
            tie(slice.getInput1(), d, out, d);
      })
      .Case([&](TransposeOp t) {
        for (auto [i, p] : llvm::enumerate(t.getPerms()))
          tie(t.getInput1(), p, out, i);
      })
      .Case([&](ConcatOp c) {
        for (mlir::Value in : c.getOperands())
          for (unsigned d = 0; d < shapeOf(out).size(); ++d)
            if (d != c.getAxis())
              tie(in, d, out, d);
      })
      .Case<ReduceSumOp, ReduceMaxOp, ReduceMinOp, ReduceProductOp>(
          [&](mlir::Operation *r) {
            uint32_t axis =
                r->getAttrOfType<mlir::IntegerAttr>("axis").getInt();
            for (unsigned d = 0; d < shapeOf(out).size(); ++d)
              if (d != axis)
                tie(r->getOperand(0), d, out, d);
          })
      .Case<ClampOp, SigmoidOp, TanhOp, ExpOp, LogOp, ErfOp, AbsOp, NegateOp,
            RsqrtOp, ReciprocalOp, CastOp>(
          [&](mlir::Operation *u) { tieSameShape(u->getOperand(0), out); })
      .Case<AddOp, SubOp, MulOp, MaximumOp, MinimumOp, PowOp>(
          [&](mlir::Operation *b) {
            tieSameShape(b->getOperand(0), out);
            tieSameShape(b->getOperand(1), out);
          });
  // Other ops (slice, pad, ...) tie nothing: conservative.
}

llvm::SmallVector<DimRef> DimensionAnalysis::classOf(DimRef ref) const {
  llvm::SmallVector<DimRef> members;
  auto it = indices.find(Key(ref.value, ref.dim));
  if (it == indices.end())
    return {ref};
  int root = find(it->second);
  for (size_t i = 0; i < keys.size(); ++i)
    if (find(static_cast<int>(i)) == root)
      members.push_back({keys[i].first, keys[i].second});
  return members;
}

bool DimensionAnalysis::tied(DimRef a, DimRef b) const {
  auto ia = indices.find(Key(a.value, a.dim));
  auto ib = indices.find(Key(b.value, b.dim));
  if (ia == indices.end() || ib == indices.end())
    return a == b;
  return find(ia->second) == find(ib->second);
}

} // namespace goodhart
