//===- KernelMutation.cpp - Change a convolution's kernel size ------------===//
//
// set_kernel(LAYER, K) gives a KxK tosa.conv2d a new kernel extent (3 -> 5,
// 3 -> 1, ...) with the padding an exporter writes for it ((K-1)/2 before,
// the bottom/right trimmed or the input sliced when strided, see
// mlir/WindowGeometry.h), so the spatial output does not change, and
// compensates the FLOPs the way a designer trading receptive field for
// width would: the conv's output channels become c' = round(c * k^2 / K^2),
// its consumers following (setOutputChannels and its tie analysis). When
// those channels are tied to others (a residual add, the model's input),
// its input channels are changed instead through the one layer that
// produces them; when neither is free the mutation is refused, naming the
// layer. Weights are resized in place (argument types, splat constants).
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

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

namespace goodhart {
namespace {

/// The square kernel extent of an undilated conv2d, or 0.
int64_t squareKernel(mlir::tosa::Conv2DOp conv) {
  auto w =
      llvm::cast<mlir::RankedTensorType>(conv.getWeight().getType()).getShape();
  if (w[1] != w[2] || conv.getDilation()[0] != 1 ||
      conv.getDilation()[1] != 1 || conv.getStride()[0] != conv.getStride()[1])
    return 0;
  return w[1];
}

/// Whether the class of `op`'s output channels holds only `op`'s own
/// output as a producer: no other channel site and no model input.
bool channelsAreFree(const DimensionAnalysis &analysis, mlir::Operation *op,
                     const llvm::DenseSet<mlir::Operation *> &siteOps) {
  unsigned dim =
      llvm::cast<mlir::RankedTensorType>(op->getResult(0).getType()).getRank() -
      1;
  for (const DimRef &ref : analysis.classOf({op->getResult(0), dim})) {
    if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(ref.value)) {
      auto func =
          llvm::dyn_cast<mlir::func::FuncOp>(arg.getOwner()->getParentOp());
      if (!func || !func.getArgAttr(arg.getArgNumber(), kWeightArgAttr))
        return false;
      continue;
    }
    mlir::Operation *def = ref.value.getDefiningOp();
    if (def != op && siteOps.contains(def))
      return false;
  }
  return true;
}

/// What findKernelSites needs once per function.
struct SiteContext {
  explicit SiteContext(mlir::func::FuncOp func)
      : names(assignLayerNames(func)), analysis(func) {
    llvm::StringSet<> siteNames;
    for (const ChannelSite &site : findChannelSites(func))
      siteNames.insert(site.layerName);
    for (auto &[op, name] : names)
      if (siteNames.contains(name))
        siteOps.insert(op);
  }
  llvm::DenseMap<mlir::Operation *, std::string> names;
  DimensionAnalysis analysis;
  llvm::DenseSet<mlir::Operation *> siteOps;
};

/// `conv`'s kernel site, or nullopt when no channel count can compensate a
/// kernel change.
std::optional<KernelSite> kernelSite(const SiteContext &ctx,
                                     mlir::tosa::Conv2DOp conv) {
  KernelSite site;
  site.layerName = ctx.names.lookup(conv);
  site.kernel = squareKernel(conv);
  if (!site.kernel)
    return std::nullopt;
  if (ctx.siteOps.contains(conv) &&
      channelsAreFree(ctx.analysis, conv, ctx.siteOps)) {
    site.channels =
        llvm::cast<mlir::RankedTensorType>(conv.getType()).getDimSize(3);
    return site;
  }
  // The input channels, through the one channel site producing them.
  mlir::Operation *producer = nullptr;
  for (mlir::Operation *op : ctx.siteOps) {
    unsigned dim =
        llvm::cast<mlir::RankedTensorType>(op->getResult(0).getType())
            .getRank() -
        1;
    if (!ctx.analysis.tied({op->getResult(0), dim}, {conv.getInput(), 3}))
      continue;
    if (producer)
      return std::nullopt;
    producer = op;
  }
  if (!producer || producer == conv.getOperation() ||
      !channelsAreFree(ctx.analysis, producer, ctx.siteOps))
    return std::nullopt;
  site.producer = ctx.names.lookup(producer);
  site.channels = llvm::cast<mlir::RankedTensorType>(conv.getInput().getType())
                      .getDimSize(3);
  return site;
}

/// Gives the weight of `conv` kernel extents `kernel` x `kernel`.
mlir::LogicalResult resizeKernel(mlir::tosa::Conv2DOp conv,
                                 llvm::StringRef layerName, int64_t kernel) {
  mlir::Value weight = conv.getWeight();
  auto type = llvm::cast<mlir::RankedTensorType>(weight.getType());
  llvm::SmallVector<int64_t> shape(type.getShape());
  shape[1] = shape[2] = kernel;
  auto newType = mlir::RankedTensorType::get(shape, type.getElementType(),
                                             type.getEncoding());
  if (!weight.hasOneUse())
    return conv.emitOpError() << "is layer '" << layerName
                              << "': its weights are shared with other ops, "
                                 "so its kernel cannot change alone";
  return retypeConvWeight(conv, weight, newType, layerName);
}

} // namespace

std::vector<KernelSite> findKernelSites(mlir::func::FuncOp func) {
  SiteContext ctx(func);
  std::vector<KernelSite> sites;
  for (auto conv : func.getBody().getOps<mlir::tosa::Conv2DOp>()) {
    if (isInGroupedConv(conv))
      continue; // one group's kernel alone would break the grouping
    if (std::optional<KernelSite> site = kernelSite(ctx, conv))
      sites.push_back(std::move(*site));
  }
  return sites;
}

mlir::LogicalResult setKernel(mlir::func::FuncOp func,
                              llvm::StringRef layerName, int64_t kernel) {
  mlir::Operation *op = findNamedLayer(func, layerName);
  if (!op)
    return func.emitError() << "no layer named '" << layerName << "' in '"
                            << func.getSymName() << "'";
  auto conv = llvm::dyn_cast<mlir::tosa::Conv2DOp>(op);
  if (!conv)
    return op->emitOpError() << "is layer '" << layerName
                             << "', not a tosa.conv2d: set_kernel changes "
                                "convolution kernels only";
  if (isInGroupedConv(op))
    return op->emitOpError() << "is layer '" << layerName
                             << "', one group of a grouped convolution: "
                                "changing its kernel alone would break the "
                                "grouping";
  int64_t old = squareKernel(conv);
  if (!old)
    return op->emitOpError() << "is layer '" << layerName
                             << "': set_kernel needs a square, undilated "
                                "kernel and stride";
  if (kernel < 1)
    return op->emitOpError()
           << "is layer '" << layerName
           << "': a kernel must be at least 1, not " << kernel;
  if (kernel == old)
    return op->emitOpError()
           << "is layer '" << layerName << "', which already has a " << kernel
           << "x" << kernel << " kernel";
  std::optional<KernelSite> site;
  {
    SiteContext ctx(func);
    site = kernelSite(ctx, conv);
  }
  if (!site)
    return op->emitOpError()
           << "is layer '" << layerName
           << "': its output channels are tied to a residual (or the model's "
              "input) and its input channels do not come from one free "
              "layer, so no channel count compensates a kernel change";

  auto spatial = [&] {
    auto s = llvm::cast<mlir::RankedTensorType>(conv.getType()).getShape();
    return std::make_pair(s[1], s[2]);
  };
  auto before = spatial();
  int64_t stride = conv.getStride()[0];
  if (mlir::failed(resizeKernel(conv, layerName, kernel)) ||
      mlir::failed(setConvWindow(conv, kernel, kernel, stride, (kernel - 1) / 2,
                                 (kernel - 1) / 2,
                                 (layerName + ".trim").str())))
    return mlir::failure();
  if (spatial() != before)
    return conv.emitOpError()
           << "is layer '" << layerName << "': a " << kernel << "x" << kernel
           << " kernel with stride " << stride << " gives a " << spatial().first
           << "x" << spatial().second << " output, not " << before.first << "x"
           << before.second;
  if (mlir::failed(refineShapes(func)))
    return conv.emitOpError() << "setting the kernel of '" << layerName
                              << "' to " << kernel << " left an invalid module";

  int64_t channels = std::max<int64_t>(
      1, std::llround(static_cast<double>(site->channels * old * old) /
                      static_cast<double>(kernel * kernel)));
  if (channels == site->channels)
    return mlir::success();
  return setOutputChannels(
      func, site->producer.empty() ? layerName : site->producer, channels);
}

} // namespace goodhart
