//===- ChannelMutation.cpp - Change a layer's output channels -------------===//
//
// Sets the output channel count of one convolution, or the output features
// of one linear layer (a matmul with a weight operand: a transformer's FFN
// width), and of everything tied to it (DimensionAnalysis): weight and bias
// arguments, consumers' input channels, the other operand of a residual add,
// the reshape before a classifier. Arguments get new types; reshape shapes
// and constant weights are rebuilt; every result type is then re-inferred
// and verified. A change that would split a dimension (a head split) or
// reach the model's outputs is refused; resizeTiedDimension, set_hidden's
// residual width, resizes a class that reaches them.
//
//===----------------------------------------------------------------------===//

#include "mlir/DimensionAnalysis.h"
#include "mlir/ModelLoader.h"
#include "mlir/Mutations.h"
#include "mlir/PlanLowering.h"
#include "mlir/WindowGeometry.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/MapVector.h"

#include <map>
#include <optional>

namespace goodhart {
namespace {

/// A weight: an argument marked as one, or constant data.
bool isWeightValue(mlir::Value v) {
  if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(v)) {
    auto func =
        llvm::dyn_cast<mlir::func::FuncOp>(arg.getOwner()->getParentOp());
    return func && func.getArgAttr(arg.getArgNumber(), kWeightArgAttr);
  }
  return v.getDefiningOp<mlir::tosa::ConstOp>() != nullptr;
}

bool isChannelSite(mlir::Operation *op) {
  if (llvm::isa<mlir::tosa::Conv2DOp, mlir::tosa::DepthwiseConv2DOp>(op))
    return true;
  // A linear layer: activations times a [1, in, out] weight.
  auto matmul = llvm::dyn_cast<mlir::tosa::MatMulOp>(op);
  return matmul && isWeightValue(matmul.getB()) &&
         llvm::cast<mlir::RankedTensorType>(matmul.getB().getType())
                 .getDimSize(0) == 1;
}

/// The dimension a site's mutation resizes: channels (NHWC) or features.
unsigned channelDim(mlir::Operation *site) {
  return llvm::cast<mlir::RankedTensorType>(site->getResult(0).getType())
             .getRank() -
         1;
}

using DimSizes = std::map<unsigned, int64_t>;

mlir::RankedTensorType withDims(mlir::Type type, const DimSizes &sizes) {
  auto tensor = llvm::cast<mlir::RankedTensorType>(type);
  llvm::SmallVector<int64_t> shape(tensor.getShape());
  for (auto [dim, size] : sizes)
    shape[dim] = size;
  return mlir::RankedTensorType::get(shape, tensor.getElementType(),
                                     tensor.getEncoding());
}

/// Rebuilds a tosa.const with resized dimensions. Values are a splat of the
/// original's first element: runners fill weights with seeded random data,
/// so only the shape matters to goodhart.
void resizeConst(mlir::tosa::ConstOp c, const DimSizes &sizes) {
  replaceByFirstValueSplat(c, withDims(c.getType(), sizes));
}

/// Gives `op` its own tosa.const_shape in operand `shapeOperand` (a
/// reshape's shape, a slice's size) with the given entries resized.
mlir::LogicalResult resizeShapeOperand(mlir::Operation *op,
                                       mlir::OpOperand &shapeOperand,
                                       const DimSizes &sizes) {
  auto shapeOp = shapeOperand.get().getDefiningOp<mlir::tosa::ConstShapeOp>();
  if (!shapeOp)
    return op->emitOpError()
           << "has a computed shape operand; the mutation needs a "
              "tosa.const_shape";
  auto values = llvm::cast<mlir::DenseIntElementsAttr>(shapeOp.getValues());
  llvm::SmallVector<int64_t> shape;
  for (const llvm::APInt &v : values.getValues<llvm::APInt>())
    shape.push_back(v.getSExtValue());
  for (auto [dim, size] : sizes)
    shape[dim] = size;
  mlir::OpBuilder builder(op);
  auto attr = mlir::DenseIntElementsAttr::get(
      mlir::RankedTensorType::get({static_cast<int64_t>(shape.size())},
                                  builder.getIndexType()),
      shape);
  auto newShape = mlir::tosa::ConstShapeOp::create(builder, shapeOp.getLoc(),
                                                   shapeOp.getType(), attr);
  shapeOperand.set(newShape.getResult());
  if (shapeOp->use_empty())
    shapeOp.erase();
  return mlir::success();
}

/// Where a reshape puts the elements of input dimension `inDim` when it
/// regroups it (a flatten): the one non-unit output dimension built from the
/// same elements, and that dimension's size once `inDim` has `newSize`.
std::optional<std::pair<unsigned, int64_t>>
regroupedTarget(mlir::tosa::ReshapeOp reshape, unsigned inDim,
                int64_t newSize) {
  auto in = llvm::cast<mlir::RankedTensorType>(reshape.getInput1().getType())
                .getShape();
  auto out = llvm::cast<mlir::RankedTensorType>(reshape.getType()).getShape();
  size_t i = 0, j = 0;
  while (i < in.size() && j < out.size()) {
    size_t ia = i, oa = j;
    int64_t pi = in[i++], po = out[j++];
    while (pi != po) {
      if (pi < po && i < in.size())
        pi *= in[i++];
      else if (j < out.size())
        po *= out[j++];
      else
        return std::nullopt;
    }
    if (inDim < ia || inDim >= i)
      continue;
    std::optional<unsigned> target;
    for (size_t k = oa; k < j; ++k)
      if (out[k] != 1) {
        if (target)
          return std::nullopt; // the dimension is split, not flattened
        target = static_cast<unsigned>(k);
      }
    if (!target)
      return std::nullopt;
    return std::make_pair(*target, out[*target] / in[inDim] * newSize);
  }
  return std::nullopt;
}

/// What a resize changes, planned before any type is touched (the analysis
/// reads the original shapes).
struct ResizePlan {
  std::map<unsigned, DimSizes> argSizes;
  llvm::MapVector<mlir::Operation *, DimSizes> constSizes, shapeSizes;
};

/// Plans setting the dimension class of `startRef` (`site`'s output
/// channels, when `site` is given) to `size`. A class is resized at its
/// roots (arguments, constants, reshape shapes); a reshape that flattens a
/// changed dimension carries the change into the class of the dimension it
/// flattens into. Fails (emitting only when `emit`) when a reshape splits a
/// changed dimension or, for a `site`, the change reaches the function's
/// results (set_hidden, without a site, changes them on purpose).
mlir::FailureOr<ResizePlan> planResize(const DimensionAnalysis &analysis,
                                       DimRef startRef, mlir::Operation *site,
                                       llvm::StringRef layerName, int64_t size,
                                       bool emit) {
  ResizePlan plan;
  llvm::SmallVector<std::pair<DimRef, int64_t>> work = {{startRef, size}};
  llvm::SmallVector<DimRef> done;
  auto isDone = [&](const DimRef &ref) {
    return llvm::any_of(done,
                        [&](const DimRef &d) { return analysis.tied(d, ref); });
  };
  while (!work.empty()) {
    auto [start, newSize] = work.pop_back_val();
    if (isDone(start))
      continue;
    done.push_back(start);
    for (const DimRef &ref : analysis.classOf(start)) {
      if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(ref.value))
        plan.argSizes[arg.getArgNumber()][ref.dim] = newSize;
      else if (auto c = ref.value.getDefiningOp<mlir::tosa::ConstOp>())
        plan.constSizes[c][ref.dim] = newSize;
      else if (auto r = ref.value.getDefiningOp<mlir::tosa::ReshapeOp>())
        plan.shapeSizes[r][ref.dim] = newSize;
      else if (auto sl = ref.value.getDefiningOp<mlir::tosa::SliceOp>())
        plan.shapeSizes[sl][ref.dim] = newSize;
      for (mlir::Operation *user : ref.value.getUsers()) {
        if (llvm::isa<mlir::func::ReturnOp>(user) && site) {
          if (emit)
            site->emitOpError() << "is layer '" << layerName
                                << "': changing its output channels would "
                                   "change the model's outputs";
          return mlir::failure();
        }
        // A slice that selects part of the dimension (a group of a grouped
        // convolution, a split) would select something else at a new size.
        if (auto slice = llvm::dyn_cast<mlir::tosa::SliceOp>(user);
            slice && slice.getInput1() == ref.value &&
            !analysis.tied(ref, {slice.getResult(), ref.dim})) {
          if (emit)
            slice.emitOpError()
                << "selects part of the dimension that setting '" << layerName
                << "' changes; its start and size would select other "
                   "channels";
          return mlir::failure();
        }
        auto reshape = llvm::dyn_cast<mlir::tosa::ReshapeOp>(user);
        if (!reshape || reshape.getInput1() != ref.value)
          continue;
        unsigned rank =
            llvm::cast<mlir::RankedTensorType>(reshape.getType()).getRank();
        bool tiedThrough = false;
        for (unsigned d = 0; d < rank; ++d)
          tiedThrough |= analysis.tied(ref, {reshape.getResult(), d});
        if (tiedThrough)
          continue;
        auto target = regroupedTarget(reshape, ref.dim, newSize);
        if (!target) {
          if (emit)
            reshape.emitOpError()
                << "splits the dimension that setting '" << layerName
                << "' changes; only reshapes that keep or flatten it are "
                   "supported";
          return mlir::failure();
        }
        work.push_back({{reshape.getResult(), target->first}, target->second});
      }
    }
  }
  return plan;
}

/// Applies `plan`: argument types, constants, reshape and slice shapes.
/// Result types are left to refineShapes.
mlir::LogicalResult applyResize(mlir::func::FuncOp func,
                                const ResizePlan &plan) {
  auto &[argSizes, constSizes, shapeSizes] = plan;
  for (auto &[index, sizes] : argSizes) {
    mlir::BlockArgument arg = func.getArgument(index);
    arg.setType(withDims(arg.getType(), sizes));
  }
  for (auto &[op, sizes] : constSizes)
    resizeConst(llvm::cast<mlir::tosa::ConstOp>(op), sizes);
  for (auto &[op, sizes] : shapeSizes) {
    mlir::OpOperand &operand =
        llvm::isa<mlir::tosa::ReshapeOp>(op)
            ? llvm::cast<mlir::tosa::ReshapeOp>(op).getShapeMutable()
            : llvm::cast<mlir::tosa::SliceOp>(op).getSizeMutable();
    if (mlir::failed(resizeShapeOperand(op, operand, sizes)))
      return mlir::failure();
  }
  return mlir::success();
}

mlir::Operation *findLayer(mlir::func::FuncOp func, llvm::StringRef name) {
  for (auto &[op, layerName] : assignLayerNames(func))
    if (layerName == name)
      return op;
  return nullptr;
}

} // namespace

std::vector<ChannelSite> findChannelSites(mlir::func::FuncOp func) {
  llvm::DenseMap<mlir::Operation *, std::string> names = assignLayerNames(func);
  DimensionAnalysis analysis(func);
  std::vector<ChannelSite> sites;
  for (mlir::Operation &op : func.getBody().getOps()) {
    if (!isChannelSite(&op) || isInGroupedConv(&op))
      continue;
    if (auto dw = llvm::dyn_cast<mlir::tosa::DepthwiseConv2DOp>(op);
        dw && llvm::cast<mlir::RankedTensorType>(dw.getWeight().getType())
                      .getDimSize(3) != 1)
      continue; // multiplier > 1: channels are C*M, not one class
    ChannelSite site;
    site.layerName = names.lookup(&op);
    unsigned dim = channelDim(&op);
    site.channels =
        llvm::cast<mlir::RankedTensorType>(op.getResult(0).getType())
            .getDimSize(dim);
    if (mlir::failed(planResize(analysis, {op.getResult(0), dim}, &op,
                                site.layerName, site.channels,
                                /*emit=*/false)))
      continue; // a head split or the model's outputs: not mutable alone
    for (const DimRef &ref : analysis.classOf({op.getResult(0), dim}))
      if (mlir::Operation *def = ref.value.getDefiningOp())
        if (names.count(def))
          site.tiedLayers.push_back(names.lookup(def));
    sites.push_back(std::move(site));
  }
  return sites;
}

mlir::LogicalResult setOutputChannels(mlir::func::FuncOp func,
                                      llvm::StringRef layerName,
                                      int64_t channels) {
  mlir::Operation *site = findLayer(func, layerName);
  if (!site)
    return func.emitError() << "no layer named '" << layerName << "' in '"
                            << func.getSymName() << "'";
  if (!isChannelSite(site))
    return site->emitOpError() << "is layer '" << layerName
                               << "', neither a convolution nor a linear "
                                  "layer: its channels cannot be set";
  if (isInGroupedConv(site))
    return site->emitOpError() << "is layer '" << layerName
                               << "', one group of a grouped convolution: "
                                  "changing its channels alone would break "
                                  "the grouping";
  if (channels <= 0)
    return site->emitOpError()
           << "cannot have " << channels << " output channels";
  if (auto dw = llvm::dyn_cast<mlir::tosa::DepthwiseConv2DOp>(site);
      dw && llvm::cast<mlir::RankedTensorType>(dw.getWeight().getType())
                    .getDimSize(3) != 1)
    return site->emitOpError()
           << "is a depthwise convolution with channel multiplier > 1; "
              "setting its output channels is not supported";

  DimensionAnalysis analysis(func);
  mlir::FailureOr<ResizePlan> plan =
      planResize(analysis, {site->getResult(0), channelDim(site)}, site,
                 layerName, channels, /*emit=*/true);
  if (mlir::failed(plan) || mlir::failed(applyResize(func, *plan)))
    return mlir::failure();
  if (mlir::failed(refineShapes(func)))
    return site->emitOpError()
           << "setting '" << layerName << "' to " << channels
           << " output channels left an invalid module";
  return mlir::success();
}

mlir::LogicalResult resizeTiedDimension(mlir::func::FuncOp func,
                                        mlir::Value value, unsigned dim,
                                        int64_t size, llvm::StringRef what) {
  DimensionAnalysis analysis(func);
  mlir::FailureOr<ResizePlan> plan =
      planResize(analysis, {value, dim}, nullptr, what, size, /*emit=*/true);
  if (mlir::failed(plan) || mlir::failed(applyResize(func, *plan)))
    return mlir::failure();
  if (mlir::failed(refineShapes(func)))
    return func.emitError() << what << " left an invalid module";
  return mlir::success();
}

} // namespace goodhart
