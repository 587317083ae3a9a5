//===- Accounting.cpp - FLOPs, bytes and parameters per op ----------------===//

#include "mlir/Accounting.h"

#include "mlir/ModelLoader.h"
#include "mlir/PlanLowering.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/TypeSwitch.h"

namespace goodhart {
namespace {

int64_t tensorBytes(mlir::Type type) {
  auto tensor = llvm::dyn_cast<mlir::RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return 0;
  int64_t bits = tensor.getElementType().getIntOrFloatBitWidth();
  return tensor.getNumElements() * std::max<int64_t>(1, (bits + 7) / 8);
}

int64_t numElements(mlir::Value value) {
  auto tensor = llvm::dyn_cast<mlir::RankedTensorType>(value.getType());
  return tensor && tensor.hasStaticShape() ? tensor.getNumElements() : 0;
}

llvm::ArrayRef<int64_t> shapeOf(mlir::Value value) {
  return llvm::cast<mlir::RankedTensorType>(value.getType()).getShape();
}

/// Whether `value` is a parameter: a marked argument or constant data.
bool isWeight(mlir::Value value) {
  // A one-element constant is a scalar operand (a scale, an epsilon, 1/N)
  // broadcast by the op, not a parameter.
  if (auto c = value.getDefiningOp<mlir::tosa::ConstOp>())
    return numElements(value) != 1;
  if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(value)) {
    auto func =
        llvm::dyn_cast<mlir::func::FuncOp>(arg.getOwner()->getParentOp());
    return func && func.getArgAttr(arg.getArgNumber(), kWeightArgAttr);
  }
  return value.getDefiningOp<mlir::tosa::ConstOp>() != nullptr;
}

/// FLOPs of a sliding-window op over NHWC: `perTap` FLOPs for each valid
/// (output position, kernel tap) pair, times `channelFactor`.
int64_t windowFlops(llvm::ArrayRef<int64_t> in, llvm::ArrayRef<int64_t> out,
                    int64_t kh, int64_t kw, llvm::ArrayRef<int64_t> stride,
                    llvm::ArrayRef<int64_t> pad,
                    llvm::ArrayRef<int64_t> dilation, int64_t channelFactor) {
  int64_t tapsH = countValidTaps(in[1], out[1], kh, stride[0], pad[0],
                                 dilation.empty() ? 1 : dilation[0]);
  int64_t tapsW = countValidTaps(in[2], out[2], kw, stride[1], pad[2],
                                 dilation.empty() ? 1 : dilation[1]);
  return in[0] * channelFactor * tapsH * tapsW;
}

int64_t computeFlops(mlir::Operation *op, const OpLowering &lowering) {
  return llvm::TypeSwitch<mlir::Operation *, int64_t>(op)
      .Case([](mlir::tosa::Conv2DOp conv) {
        auto in = shapeOf(conv.getInput()), w = shapeOf(conv.getWeight());
        auto out = shapeOf(conv.getOutput());
        // weights [OC, KH, KW, IC]: 2 FLOPs per MAC, OC * IC MACs per tap.
        return 2 * windowFlops(in, out, w[1], w[2], conv.getStride(),
                               conv.getPad(), conv.getDilation(), w[0] * w[3]);
      })
      .Case([](mlir::tosa::DepthwiseConv2DOp conv) {
        auto in = shapeOf(conv.getInput()), w = shapeOf(conv.getWeight());
        auto out = shapeOf(conv.getOutput());
        // weights [KH, KW, C, M]: C * M MACs per tap.
        return 2 * windowFlops(in, out, w[0], w[1], conv.getStride(),
                               conv.getPad(), conv.getDilation(), w[2] * w[3]);
      })
      .Case([](mlir::tosa::MatMulOp mm) {
        auto a = shapeOf(mm.getA()), b = shapeOf(mm.getB());
        return 2 * a[0] * a[1] * a[2] * b[2];
      })
      .Case([](mlir::tosa::MaxPool2dOp pool) {
        auto in = shapeOf(pool.getInput()), out = shapeOf(pool.getOutput());
        auto k = pool.getKernel();
        return windowFlops(in, out, k[0], k[1], pool.getStride(), pool.getPad(),
                           {}, in[3]);
      })
      .Case([](mlir::tosa::AvgPool2dOp pool) {
        auto in = shapeOf(pool.getInput()), out = shapeOf(pool.getOutput());
        auto k = pool.getKernel();
        return windowFlops(in, out, k[0], k[1], pool.getStride(), pool.getPad(),
                           {}, in[3]);
      })
      .Default([&](mlir::Operation *other) -> int64_t {
        switch (lowering.kind) {
        case LayerKind::kEltwise:
        case LayerKind::kBinary:
        case LayerKind::kCast:
          return numElements(other->getResult(0));
        case LayerKind::kReduce:
        case LayerKind::kSoftmax:
          return numElements(other->getOperand(0));
        default:
          return 0;
        }
      });
}

} // namespace

int64_t countValidTaps(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                       int64_t padBefore, int64_t dilation) {
  int64_t taps = 0;
  for (int64_t o = 0; o < out; ++o)
    for (int64_t k = 0; k < kernel; ++k) {
      int64_t i = o * stride - padBefore + k * dilation;
      taps += (i >= 0 && i < in);
    }
  return taps;
}

OpCost computeOpCost(mlir::Operation *op) {
  std::optional<OpLowering> lowering = classifyOp(op);
  if (!lowering)
    return {};
  OpCost cost;
  cost.flops = computeFlops(op, *lowering);
  if (lowering->kind == LayerKind::kReshape)
    return cost; // a view: nothing moves
  for (unsigned index : lowering->dataOperands) {
    mlir::Value operand = op->getOperand(index);
    cost.bytes += tensorBytes(operand.getType());
    if (isWeight(operand))
      cost.params += numElements(operand);
  }
  for (mlir::Type type : op->getResultTypes())
    cost.bytes += tensorBytes(type);
  return cost;
}

OpCost computeFunctionCost(mlir::func::FuncOp func) {
  OpCost total;
  llvm::DenseSet<mlir::Value> weights;
  func.getBody().walk([&](mlir::Operation *op) {
    OpCost cost = computeOpCost(op);
    total.flops += cost.flops;
    total.bytes += cost.bytes;
    if (std::optional<OpLowering> lowering = classifyOp(op))
      for (unsigned index : lowering->dataOperands)
        if (isWeight(op->getOperand(index)))
          weights.insert(op->getOperand(index));
  });
  // A weight read by several layers is one set of parameters.
  for (mlir::Value weight : weights)
    total.params += numElements(weight);
  return total;
}

} // namespace goodhart
