//===- ChannelMutation.cpp - Change a convolution's output channels -------===//
//
// Sets the output channel count of one convolution and of everything tied to
// it (DimensionAnalysis): weight and bias arguments, consumer convolutions'
// input channels, the other operand of a residual add, the reshape before a
// classifier. Arguments get new types; reshape shapes and constant weights
// are rebuilt; every result type is then re-inferred and verified.
//
//===----------------------------------------------------------------------===//

#include "mlir/DimensionAnalysis.h"
#include "mlir/Mutations.h"
#include "mlir/PlanLowering.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

namespace goodhart {
namespace {

bool isChannelSite(mlir::Operation *op) {
  return llvm::isa<mlir::tosa::Conv2DOp, mlir::tosa::DepthwiseConv2DOp>(op);
}

mlir::RankedTensorType withDim(mlir::Type type, unsigned dim, int64_t size) {
  auto tensor = llvm::cast<mlir::RankedTensorType>(type);
  llvm::SmallVector<int64_t> shape(tensor.getShape());
  shape[dim] = size;
  return mlir::RankedTensorType::get(shape, tensor.getElementType(),
                                     tensor.getEncoding());
}

/// Rebuilds a tosa.const with one dimension resized. Values are a splat of
/// the original's first element: runners fill weights with seeded random
/// data, so only the shape matters to goodhart.
void resizeConst(mlir::tosa::ConstOp c, unsigned dim, int64_t size) {
  auto oldType = llvm::cast<mlir::RankedTensorType>(c.getType());
  auto newType = withDim(oldType, dim, size);
  auto values = llvm::cast<mlir::ElementsAttr>(c.getValues());
  mlir::Attribute first = values.getNumElements() > 0
                              ? *values.getValues<mlir::Attribute>().begin()
                              : mlir::Attribute();
  mlir::OpBuilder builder(c);
  mlir::DenseElementsAttr attr =
      first ? mlir::DenseElementsAttr::get(newType, first)
            : mlir::DenseElementsAttr::get(
                  newType, builder.getZeroAttr(newType.getElementType()));
  auto replacement =
      mlir::tosa::ConstOp::create(builder, c.getLoc(), newType, attr);
  c.getResult().replaceAllUsesWith(replacement.getResult());
  c.erase();
}

/// Gives `reshape` its own tosa.const_shape with entry `dim` set to `size`.
mlir::LogicalResult resizeReshape(mlir::tosa::ReshapeOp reshape, unsigned dim,
                                  int64_t size) {
  auto shapeOp = reshape.getShape().getDefiningOp<mlir::tosa::ConstShapeOp>();
  if (!shapeOp)
    return reshape.emitOpError()
           << "has a computed shape operand; the mutation needs a "
              "tosa.const_shape";
  auto values = llvm::cast<mlir::DenseIntElementsAttr>(shapeOp.getValues());
  llvm::SmallVector<int64_t> shape;
  for (const llvm::APInt &v : values.getValues<llvm::APInt>())
    shape.push_back(v.getSExtValue());
  shape[dim] = size;
  mlir::OpBuilder builder(reshape);
  auto attr = mlir::DenseIntElementsAttr::get(
      mlir::RankedTensorType::get({static_cast<int64_t>(shape.size())},
                                  builder.getIndexType()),
      shape);
  auto newShape = mlir::tosa::ConstShapeOp::create(builder, shapeOp.getLoc(),
                                                   shapeOp.getType(), attr);
  reshape.getShapeMutable().assign(newShape.getResult());
  if (shapeOp->use_empty())
    shapeOp.erase();
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
    if (!isChannelSite(&op))
      continue;
    if (auto dw = llvm::dyn_cast<mlir::tosa::DepthwiseConv2DOp>(op);
        dw && llvm::cast<mlir::RankedTensorType>(dw.getWeight().getType())
                      .getDimSize(3) != 1)
      continue; // multiplier > 1: channels are C*M, not one class
    ChannelSite site;
    site.layerName = names.lookup(&op);
    site.channels =
        llvm::cast<mlir::RankedTensorType>(op.getResult(0).getType())
            .getDimSize(3);
    for (const DimRef &ref : analysis.classOf({op.getResult(0), 3}))
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
                               << "', not a convolution: its channels "
                                  "cannot be set";
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
  llvm::SmallVector<DimRef> members = analysis.classOf({site->getResult(0), 3});
  llvm::SmallVector<std::pair<mlir::tosa::ConstOp, unsigned>> consts;
  llvm::SmallVector<std::pair<mlir::tosa::ReshapeOp, unsigned>> reshapes;
  for (const DimRef &ref : members) {
    if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(ref.value)) {
      arg.setType(withDim(arg.getType(), ref.dim, channels));
      continue;
    }
    mlir::Operation *def = ref.value.getDefiningOp();
    if (auto c = llvm::dyn_cast<mlir::tosa::ConstOp>(def))
      consts.emplace_back(c, ref.dim);
    else if (auto r = llvm::dyn_cast<mlir::tosa::ReshapeOp>(def))
      reshapes.emplace_back(r, ref.dim);
    // Other op results are re-inferred by refineShapes.
  }
  for (auto [c, dim] : consts)
    resizeConst(c, dim, channels);
  for (auto [r, dim] : reshapes)
    if (mlir::failed(resizeReshape(r, dim, channels)))
      return mlir::failure();
  if (mlir::failed(refineShapes(func)))
    return site->emitOpError()
           << "setting '" << layerName << "' to " << channels
           << " output channels left an invalid module";
  return mlir::success();
}

} // namespace goodhart
