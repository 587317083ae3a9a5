//===- PostOpPatterns.cpp - Convolutions and Linear layers with post-ops --===//
//
// A match starts at its anchor (a convolution, or a matmul by a constant)
// and follows the anchor's result forward while each value has exactly one
// user that a oneDNN post-op expresses: an add of a tensor of the same shape
// (sum), or an activation (eltwise). The last op absorbed is the root, where
// the fused layer is emitted: every operand of the chain is defined before
// it, and nothing outside the chain reads a value inside it.
//
//===----------------------------------------------------------------------===//

#include "mlir/CompositePatterns.h"

#include "mlir/ModelLoader.h"
#include "mlir/PlanLowering.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinTypes.h"

namespace goodhart {
namespace {

using namespace mlir::tosa;

/// Activations oneDNN 2.6 applies as eltwise post-ops that exporters put
/// after convolutions and Linear layers.
bool isPostOpActivation(const std::string &op) {
  return op == "relu" || op == "clamp" || op == "sigmoid" || op == "tanh";
}

bool isFloatTensor(mlir::Value v) {
  auto type = llvm::dyn_cast<mlir::RankedTensorType>(v.getType());
  return type && llvm::isa<mlir::FloatType>(type.getElementType());
}

/// A weight: an argument marked goodhart.weight, or constant data.
bool isConstantWeight(mlir::Value v, mlir::func::FuncOp func) {
  if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(v))
    return func.getArgAttr(arg.getArgNumber(), kWeightArgAttr) != nullptr;
  return v.getDefiningOp<ConstOp>() != nullptr;
}

/// The single user of `v`, if it has exactly one and it is not excluded.
mlir::Operation *
soleUser(mlir::Value v,
         const llvm::SmallPtrSetImpl<mlir::Operation *> &excluded) {
  if (!v.hasOneUse())
    return nullptr;
  mlir::Operation *user = *v.getUsers().begin();
  return excluded.contains(user) ? nullptr : user;
}

/// The operand of binary `op` that is not `v`, when `v` is exactly one of
/// its operands.
std::optional<mlir::Value> otherOperand(mlir::Operation *op, mlir::Value v) {
  mlir::Value a = op->getOperand(0), b = op->getOperand(1);
  if (a == v && b != v)
    return b;
  if (b == v && a != v)
    return a;
  return std::nullopt;
}

/// Extends `m` (anchor set, `v` its current result) with sum and eltwise
/// post-ops; returns the number of post-ops added.
int appendPostOps(CompositeMatch &m, mlir::Value v,
                  const llvm::SmallPtrSetImpl<mlir::Operation *> &excluded) {
  nlohmann::json postOps = nlohmann::json::array();
  bool hasSum = false;
  while (mlir::Operation *user = soleUser(v, excluded)) {
    if (user->getNumResults() != 1 ||
        user->getResult(0).getType() != v.getType())
      break;
    if (llvm::isa<AddOp>(user) && !hasSum) {
      std::optional<mlir::Value> other = otherOperand(user, v);
      if (!other || other->getType() != v.getType())
        break;
      postOps.push_back(
          {{"kind", "sum"}, {"input", static_cast<int64_t>(m.inputs.size())}});
      m.inputs.push_back(*other);
      hasSum = true;
    } else {
      std::optional<OpLowering> lowering = classifyOp(user);
      if (!lowering || lowering->kind != LayerKind::kEltwise ||
          !isPostOpActivation(lowering->attrs.value("op", "")))
        break;
      nlohmann::json entry = lowering->attrs;
      entry["kind"] = "eltwise";
      postOps.push_back(std::move(entry));
    }
    m.ops.push_back(user);
    m.root = user;
    v = user->getResult(0);
  }
  const int added = static_cast<int>(postOps.size());
  if (added)
    m.attrs["post_ops"] = std::move(postOps);
  return added;
}

std::optional<CompositeMatch>
matchConvPostOps(mlir::Operation *conv,
                 const llvm::SmallPtrSetImpl<mlir::Operation *> &excluded) {
  std::optional<OpLowering> lowering = classifyOp(conv);
  if (!lowering || !isFloatTensor(conv->getResult(0)))
    return std::nullopt;
  CompositeMatch m;
  m.pattern = "conv_post_ops";
  m.kind = LayerKind::kConv2d;
  m.attrs = lowering->attrs;
  m.anchor = conv;
  m.root = conv;
  m.ops = {conv};
  for (unsigned index : lowering->dataOperands)
    m.inputs.push_back(conv->getOperand(index));
  if (appendPostOps(m, conv->getResult(0), excluded) == 0)
    return std::nullopt; // a bare convolution stays what it is
  return m;
}

/// The bias of a Linear layer: a constant broadcast along all but the last
/// axis, which has `columns` elements.
bool isBias(mlir::Value v, int64_t columns, mlir::func::FuncOp func) {
  auto type = llvm::dyn_cast<mlir::RankedTensorType>(v.getType());
  if (!type || !isConstantWeight(v, func) || type.getRank() == 0 ||
      type.getShape().back() != columns)
    return false;
  for (int64_t d : type.getShape().drop_back())
    if (d != 1)
      return false;
  return true;
}

std::optional<CompositeMatch>
matchLinear(MatMulOp matmul, mlir::func::FuncOp func,
            const llvm::SmallPtrSetImpl<mlir::Operation *> &excluded) {
  mlir::Value a = matmul->getOperand(0), b = matmul->getOperand(1);
  auto aType = llvm::cast<mlir::RankedTensorType>(a.getType());
  auto bType = llvm::cast<mlir::RankedTensorType>(b.getType());
  if (!isFloatTensor(matmul->getResult(0)) || !aType.hasStaticShape() ||
      !bType.hasStaticShape() || aType.getDimSize(0) != 1 ||
      bType.getDimSize(0) != 1 || !isConstantWeight(b, func))
    return std::nullopt;
  CompositeMatch m;
  m.pattern = "linear";
  m.kind = LayerKind::kInnerProduct;
  m.anchor = matmul;
  m.root = matmul;
  m.ops = {matmul};
  m.inputs = {a, b};
  mlir::Value v = matmul->getResult(0);
  if (mlir::Operation *user = soleUser(v, excluded);
      user && llvm::isa<AddOp>(user) &&
      user->getResult(0).getType() == v.getType()) {
    std::optional<mlir::Value> bias = otherOperand(user, v);
    if (bias && isBias(*bias, bType.getDimSize(2), func)) {
      m.inputs.push_back(*bias);
      m.ops.push_back(user);
      m.root = user;
      v = user->getResult(0);
    }
  }
  appendPostOps(m, v, excluded);
  return m;
}

} // namespace

std::set<std::string> postOpPatterns() { return {"conv_post_ops", "linear"}; }

std::vector<CompositeMatch>
findPostOpFusions(mlir::func::FuncOp func, const std::set<std::string> &enabled,
                  const llvm::SmallPtrSetImpl<mlir::Operation *> &excluded) {
  std::vector<CompositeMatch> matches;
  // Ops of earlier matches are excluded too: of two convolutions whose
  // results meet in a residual add, the first in program order takes it.
  llvm::SmallPtrSet<mlir::Operation *, 32> taken(excluded.begin(),
                                                 excluded.end());
  const bool convs = enabled.count("conv_post_ops");
  const bool linears = enabled.count("linear");
  if (!convs && !linears)
    return matches;
  for (mlir::Operation &op : func.getBody().getOps()) {
    if (taken.contains(&op))
      continue;
    std::optional<CompositeMatch> m;
    if (convs && llvm::isa<Conv2DOp, DepthwiseConv2DOp>(op))
      m = matchConvPostOps(&op, taken);
    else if (auto matmul = llvm::dyn_cast<MatMulOp>(op); linears && matmul)
      m = matchLinear(matmul, func, taken);
    if (!m)
      continue;
    taken.insert(m->ops.begin(), m->ops.end());
    matches.push_back(std::move(*m));
  }
  return matches;
}

} // namespace goodhart
