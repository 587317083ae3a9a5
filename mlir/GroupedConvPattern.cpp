//===- GroupedConvPattern.cpp - A grouped convolution written as G convs --===//
//
// TOSA 1.0's conv2d has no groups attribute: exporters (and set_groups,
// mlir/GroupMutation.cpp) write a grouped convolution with G groups as
//
//   x_g = tosa.slice x [0,0,0,g*C/G] [N,H,W,C/G]        g = 0 .. G-1
//   y_g = tosa.conv2d x_g, w_g, b_g, zp, zp
//   y   = tosa.concat y_0, ..., y_{G-1} {axis = 3}
//
// with w_g (b_g) either sliced along dimension 0 from one [OC,KH,KW,C/G]
// weight ([OC] bias), or a weight of its own per group ([OC/G,KH,KW,C/G]).
// The match is the plan's one conv2d layer with groups = G: the weights are
// the common tensor, or the first group's weight stated as [OC,KH,KW,C/G]
// (runners fill weights with seeded data, so only the shape matters).
//
//===----------------------------------------------------------------------===//

#include "mlir/CompositePatterns.h"
#include "mlir/InputSizeSupport.h"

#include "mlir/ModelLoader.h"
#include "mlir/PlanLowering.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

namespace goodhart {
namespace {

using namespace mlir::tosa;

/// `v` is a slice of `source` (set on the first call, then required equal)
/// that keeps every dimension but `dim` whole and takes `size` entries of
/// `dim` from `start`.
bool isSliceOf(mlir::Value v, mlir::Value &source, unsigned dim, int64_t start,
               int64_t size, llvm::SmallVectorImpl<mlir::Operation *> &ops) {
  auto slice = v.getDefiningOp<SliceOp>();
  if (!slice || !v.hasOneUse())
    return false;
  if (source && slice.getInput1() != source)
    return false;
  auto starts = constShapeValues(slice.getStart());
  auto sizes = constShapeValues(slice.getSize());
  auto in = shapeOf(slice.getInput1());
  if (!starts || !sizes || starts->size() != in.size() ||
      sizes->size() != in.size() || dim >= in.size())
    return false;
  for (unsigned d = 0; d < in.size(); ++d) {
    int64_t wantStart = d == dim ? start : 0;
    int64_t wantSize = d == dim ? size : in[d];
    if ((*starts)[d] != wantStart || (*sizes)[d] != wantSize)
      return false;
  }
  source = slice.getInput1();
  ops.push_back(slice);
  return true;
}

/// A parameter of its own: a marked weight argument or constant data, read
/// by one op only.
bool isOwnParameter(mlir::Value v) {
  if (!v.hasOneUse())
    return false;
  if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(v)) {
    auto func =
        llvm::dyn_cast<mlir::func::FuncOp>(arg.getOwner()->getParentOp());
    return func && func.getArgAttr(arg.getArgNumber(), kWeightArgAttr);
  }
  return v.getDefiningOp<ConstOp>() != nullptr;
}

/// Two zero points (or one-element biases) that are the same value or
/// equal constants.
bool sameScalar(mlir::Value a, mlir::Value b) {
  if (a == b)
    return true;
  auto ca = a.getDefiningOp<ConstOp>(), cb = b.getDefiningOp<ConstOp>();
  return ca && cb && ca.getType() == cb.getType() &&
         ca.getValues() == cb.getValues();
}

/// The per-group operands `values` (weights at operand 1, biases at 2) as
/// one input of the fused layer: the tensor they are sliced from along
/// dimension 0, or the first group's own parameter stated with
/// `fusedShape`. Appends the slices to `ops`; false when neither.
bool fuseGroupOperands(llvm::ArrayRef<mlir::Value> values,
                       llvm::ArrayRef<int64_t> fusedShape, CompositeMatch &m) {
  const int64_t perGroup = shapeOf(values.front())[0];
  mlir::Value source;
  llvm::SmallVector<mlir::Operation *> slices;
  bool sliced = true;
  for (auto [g, v] : llvm::enumerate(values))
    sliced =
        sliced && isSliceOf(v, source, 0, static_cast<int64_t>(g) * perGroup,
                            perGroup, slices);
  if (sliced && shapeOf(source) == fusedShape) {
    m.inputs.push_back(source);
    m.inputShapes.emplace_back();
    m.ops.append(slices.begin(), slices.end());
    return true;
  }
  if (!llvm::all_of(values, isOwnParameter))
    return false;
  m.inputs.push_back(values.front());
  m.inputShapes.emplace_back(fusedShape.begin(), fusedShape.end());
  return true;
}

} // namespace

std::optional<CompositeMatch> matchGroupedConv(mlir::Operation *op) {
  auto concat = llvm::dyn_cast<ConcatOp>(op);
  if (!concat || concat->getNumOperands() < 2)
    return std::nullopt;
  auto outType = llvm::dyn_cast<mlir::RankedTensorType>(concat.getType());
  if (!outType || outType.getRank() != 4 || !outType.hasStaticShape() ||
      concat.getAxis() != 3)
    return std::nullopt;
  const auto groups = static_cast<int64_t>(concat->getNumOperands());

  llvm::SmallVector<Conv2DOp> convs;
  for (mlir::Value v : concat->getOperands()) {
    auto conv = v.getDefiningOp<Conv2DOp>();
    if (!conv || !v.hasOneUse())
      return std::nullopt;
    convs.push_back(conv);
  }
  Conv2DOp first = convs.front();
  for (Conv2DOp conv : convs) {
    for (unsigned i = 0; i < 3; ++i)
      if (conv->getOperand(i).getType() != first->getOperand(i).getType())
        return std::nullopt;
    if (conv.getType() != first.getType() ||
        conv.getStride() != first.getStride() ||
        conv.getPad() != first.getPad() ||
        conv.getDilation() != first.getDilation() ||
        conv.getAccType() != first.getAccType() ||
        !sameScalar(conv->getOperand(3), first->getOperand(3)) ||
        !sameScalar(conv->getOperand(4), first->getOperand(4)))
      return std::nullopt;
  }

  // Inputs: contiguous channel slices of one tensor, in concat order.
  auto weight = shapeOf(first.getWeight());
  const int64_t icg = weight[3], ocg = weight[0];
  CompositeMatch m;
  m.pattern = "grouped_conv";
  m.kind = LayerKind::kConv2d;
  m.root = concat;
  m.ops.push_back(concat);
  mlir::Value input;
  for (auto [g, conv] : llvm::enumerate(convs))
    if (!isSliceOf(conv.getInput(), input, 3, static_cast<int64_t>(g) * icg,
                   icg, m.ops))
      return std::nullopt;
  if (shapeOf(input)[3] != groups * icg)
    return std::nullopt;
  m.inputs.push_back(input);
  m.inputShapes.emplace_back();

  llvm::SmallVector<mlir::Value> weights, biases;
  for (Conv2DOp conv : convs) {
    weights.push_back(conv.getWeight());
    biases.push_back(conv.getBias());
    m.ops.push_back(conv);
  }
  if (!fuseGroupOperands(weights, {groups * ocg, weight[1], weight[2], icg}, m))
    return std::nullopt;
  auto bias = shapeOf(first.getBias());
  if (bias.size() != 1)
    return std::nullopt;
  if (bias[0] == 1 && llvm::all_of(biases, [&](mlir::Value b) {
        return sameScalar(b, biases.front());
      })) {
    // A broadcast bias: the same for every group, and so for the layer.
    m.inputs.push_back(biases.front());
    m.inputShapes.emplace_back();
  } else if (!fuseGroupOperands(biases, {groups * ocg}, m)) {
    return std::nullopt;
  }

  std::optional<OpLowering> lowering = classifyOp(first);
  m.attrs = lowering->attrs;
  m.attrs["groups"] = groups;
  return m;
}

} // namespace goodhart
