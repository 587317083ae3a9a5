//===- GroupMutation.cpp - Split a dense convolution into groups ----------===//
//
// set_groups(LAYER, G) turns a dense tosa.conv2d into a grouped convolution
// with G groups, ResNeXt style, written the way exporters write one in
// TOSA 1.0 (mlir/GroupedConvPattern.cpp): G channel slices of the input, G
// convolutions, a concat along channels that keeps the layer's name, so the
// plan lowering sees one conv2d layer with groups = G.
//
// Width compensation. Grouping divides the conv's FLOPs and weights by G.
// Like ResNeXt, the lost work goes back into width: the conv's input
// channels (class A, resized through the one layer producing them) and its
// output channels (class B, its consumers following) are both scaled by one
// factor s, chosen so the FLOPs of every layer whose cost depends on A or B
// stay what they were:
//
//   L*s + (Q/G + Qab)*s^2 = L + Q + Qab
//
// with Q the conv's reference FLOPs, L those of the layers linear in A or B
// (the producer, the consumers, the activations between them) and Qab those
// of other layers touching both. When only one class is free (the other
// tied to a residual or the model's input) only it scales:
//   s = (L + Q) / (L + Q/G).
// The new widths are round(s * w) to a multiple of G (at least G). With
// neither class free the mutation is refused, naming the layer.
//
// For a ResNet bottleneck's 3x3 conv2 both classes are free (conv1's output,
// conv2's output feeding conv3), so its width w becomes about
// w * (sqrt(L^2 + 4(Q/G)(L+Q)) - L) / (2Q/G): between 1 and sqrt(G) times w,
// and the block's FLOPs are kept to within the rounding.
//
//===----------------------------------------------------------------------===//

#include "mlir/Accounting.h"
#include "mlir/CompositePatterns.h"
#include "mlir/DimensionAnalysis.h"
#include "mlir/ModelLoader.h"
#include "mlir/Mutations.h"
#include "mlir/PlanLowering.h"
#include "mlir/WindowGeometry.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

namespace goodhart {
namespace {

/// Group counts findGroupSites offers: ResNeXt's cardinalities.
constexpr int64_t kGroupCandidates[] = {2, 4, 8, 16, 32};
/// The narrowest group a site offers (ResNeXt 32x4d has 4 channels).
constexpr int64_t kMinGroupWidth = 4;

llvm::ArrayRef<int64_t> shapeOf(mlir::Value v) {
  return llvm::cast<mlir::RankedTensorType>(v.getType()).getShape();
}

unsigned lastDim(mlir::Operation *op) {
  return llvm::cast<mlir::RankedTensorType>(op->getResult(0).getType())
             .getRank() -
         1;
}

/// Whether the class of `op`'s output channels has `op`'s output as its
/// only producer: no other channel site and no model input.
bool channelsAreFree(const DimensionAnalysis &analysis, mlir::Operation *op,
                     const llvm::DenseSet<mlir::Operation *> &siteOps) {
  for (const DimRef &ref : analysis.classOf({op->getResult(0), lastDim(op)})) {
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

/// How set_groups compensates one conv: which classes scale, and the
/// reference FLOPs that decide by how much.
struct Compensation {
  mlir::Operation *producer = nullptr; // widens the input class, or null
  bool widenOutput = false;            // the conv's own output class
  int64_t flopsLinear = 0, flopsBoth = 0, flopsConv = 0;
};

/// What findGroupSites and setGroups need once per function.
struct GroupContext {
  explicit GroupContext(mlir::func::FuncOp func)
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

/// The compensation of `conv`; nullopt when no class is free.
std::optional<Compensation> compensationOf(const GroupContext &ctx,
                                           mlir::func::FuncOp func,
                                           mlir::tosa::Conv2DOp conv) {
  Compensation c;
  c.widenOutput = ctx.siteOps.contains(conv) &&
                  channelsAreFree(ctx.analysis, conv, ctx.siteOps);
  for (mlir::Operation *op : ctx.siteOps) {
    if (op == conv.getOperation() ||
        !ctx.analysis.tied({op->getResult(0), lastDim(op)},
                           {conv.getInput(), 3}))
      continue;
    if (c.producer) { // two producers: the class is not one layer's
      c.producer = nullptr;
      break;
    }
    c.producer = op;
  }
  if (c.producer && !channelsAreFree(ctx.analysis, c.producer, ctx.siteOps))
    c.producer = nullptr;
  if (!c.producer && !c.widenOutput)
    return std::nullopt;

  using Key = std::pair<mlir::Value, unsigned>;
  auto members = [&](DimRef ref) {
    llvm::DenseSet<Key> set;
    for (const DimRef &r : ctx.analysis.classOf(ref))
      set.insert({r.value, r.dim});
    return set;
  };
  llvm::DenseSet<Key> in, out;
  if (c.producer)
    in = members({conv.getInput(), 3});
  if (c.widenOutput)
    out = members({conv.getResult(), 3});
  auto touches = [](mlir::Operation *op, const llvm::DenseSet<Key> &set) {
    auto has = [&](mlir::Value v) {
      auto t = llvm::dyn_cast<mlir::RankedTensorType>(v.getType());
      for (unsigned d = 0; t && d < t.getRank(); ++d)
        if (set.contains({v, d}))
          return true;
      return false;
    };
    return llvm::any_of(op->getOperands(), has) ||
           llvm::any_of(op->getResults(), has);
  };
  c.flopsConv = computeOpCost(conv).flops;
  for (mlir::Operation &op : func.getBody().getOps()) {
    if (&op == conv.getOperation())
      continue;
    bool a = touches(&op, in), b = touches(&op, out);
    int64_t flops = a || b ? computeOpCost(&op).flops : 0;
    (a && b ? c.flopsBoth : c.flopsLinear) += flops;
  }
  return c;
}

/// The width factor s of the file comment.
double widthFactor(const Compensation &c, int64_t groups) {
  double l = static_cast<double>(c.flopsLinear);
  double q = static_cast<double>(c.flopsConv);
  double both = static_cast<double>(c.flopsBoth);
  double g = static_cast<double>(groups);
  if (!(c.producer && c.widenOutput))
    return (l + q) / (l + q / g);
  double a = q / g + both;
  return (std::sqrt(l * l + 4 * a * (l + q + both)) - l) / (2 * a);
}

int64_t roundToMultiple(double value, int64_t multiple) {
  return std::max<int64_t>(
      multiple, multiple * std::llround(value / static_cast<double>(multiple)));
}

/// The `g`-th of `groups` equal slices of `source` along `dim`.
mlir::Value groupSlice(mlir::OpBuilder &builder, mlir::Value source,
                       unsigned dim, int64_t g, int64_t groups,
                       const std::string &name) {
  llvm::SmallVector<int64_t> start(shapeOf(source).size(), 0);
  llvm::SmallVector<int64_t> size(shapeOf(source));
  size[dim] /= groups;
  start[dim] = g * size[dim];
  auto type = mlir::RankedTensorType::get(
      size,
      llvm::cast<mlir::RankedTensorType>(source.getType()).getElementType());
  return mlir::tosa::SliceOp::create(
      builder, mlir::NameLoc::get(builder.getStringAttr(name)), type, source,
      makeShape(builder, start), makeShape(builder, size));
}

/// Gives the weight of `conv` (read by it alone) `icg` input channels.
mlir::LogicalResult narrowWeight(mlir::tosa::Conv2DOp conv,
                                 llvm::StringRef layerName, int64_t icg) {
  mlir::Value weight = conv.getWeight();
  auto type = llvm::cast<mlir::RankedTensorType>(weight.getType());
  llvm::SmallVector<int64_t> shape(type.getShape());
  shape[3] = icg;
  auto newType = mlir::RankedTensorType::get(shape, type.getElementType(),
                                             type.getEncoding());
  return retypeConvWeight(conv, weight, newType, layerName);
}

/// Rewrites dense `conv` as `groups` slices, convolutions and a concat that
/// keeps its location (its layer name).
mlir::LogicalResult splitIntoGroups(mlir::tosa::Conv2DOp conv,
                                    llvm::StringRef layerName, int64_t groups) {
  const int64_t ic = shapeOf(conv.getInput())[3];
  if (mlir::failed(narrowWeight(conv, layerName, ic / groups)))
    return mlir::failure();
  mlir::OpBuilder builder(conv);
  const bool perChannelBias = shapeOf(conv.getBias())[0] != 1;
  llvm::SmallVector<int64_t> outShape(shapeOf(conv.getResult()));
  outShape[3] /= groups;
  auto groupType =
      mlir::RankedTensorType::get(outShape, conv.getType().getElementType());
  llvm::SmallVector<mlir::Value> results;
  for (int64_t g = 0; g < groups; ++g) {
    std::string name = (layerName + ".g" + llvm::Twine(g)).str();
    mlir::Value in =
        groupSlice(builder, conv.getInput(), 3, g, groups, name + ".input");
    mlir::Value w =
        groupSlice(builder, conv.getWeight(), 0, g, groups, name + ".weight");
    mlir::Value b = perChannelBias ? groupSlice(builder, conv.getBias(), 0, g,
                                                groups, name + ".bias")
                                   : conv.getBias();
    mlir::Operation *member = builder.clone(*conv);
    member->setOperand(0, in);
    member->setOperand(1, w);
    member->setOperand(2, b);
    member->getResult(0).setType(groupType);
    member->setLoc(mlir::NameLoc::get(builder.getStringAttr(name)));
    results.push_back(member->getResult(0));
  }
  auto concat =
      mlir::tosa::ConcatOp::create(builder, conv.getLoc(), conv.getType(),
                                   results, builder.getI32IntegerAttr(3));
  conv.getResult().replaceAllUsesWith(concat.getResult());
  conv.erase();
  return mlir::success();
}

} // namespace

bool isInGroupedConv(mlir::Operation *op) {
  if (llvm::isa<mlir::tosa::ConcatOp>(op))
    return matchGroupedConv(op).has_value();
  if (!op->hasOneUse())
    return false;
  mlir::Operation *user = *op->getUsers().begin();
  return llvm::isa<mlir::tosa::ConcatOp>(user) &&
         matchGroupedConv(user).has_value();
}

std::vector<GroupSite> findGroupSites(mlir::func::FuncOp func) {
  if (func.getBody().getOps<mlir::tosa::Conv2DOp>().empty())
    return {}; // a transformer: no analysis needed
  GroupContext ctx(func);
  std::vector<GroupSite> sites;
  for (auto conv : func.getBody().getOps<mlir::tosa::Conv2DOp>()) {
    auto w = shapeOf(conv.getWeight());
    if (w[1] * w[2] == 1 || isInGroupedConv(conv) ||
        !compensationOf(ctx, func, conv))
      continue;
    GroupSite site;
    site.layerName = ctx.names.lookup(conv);
    site.inChannels = w[3];
    site.outChannels = w[0];
    for (int64_t g : kGroupCandidates)
      if (site.inChannels % g == 0 && site.outChannels % g == 0 &&
          std::min(site.inChannels, site.outChannels) / g >= kMinGroupWidth)
        site.candidates.push_back(g);
    if (!site.candidates.empty())
      sites.push_back(std::move(site));
  }
  return sites;
}

mlir::LogicalResult setGroups(mlir::func::FuncOp func,
                              llvm::StringRef layerName, int64_t groups) {
  mlir::Operation *op = findNamedLayer(func, layerName);
  if (!op)
    return func.emitError() << "no layer named '" << layerName << "' in '"
                            << func.getSymName() << "'";
  if (isInGroupedConv(op))
    return op->emitOpError() << "is layer '" << layerName
                             << "', which is already a grouped convolution";
  auto conv = llvm::dyn_cast<mlir::tosa::Conv2DOp>(op);
  if (!conv)
    return op->emitOpError() << "is layer '" << layerName
                             << "', not a tosa.conv2d: set_groups splits "
                                "dense convolutions only";
  const int64_t ic = shapeOf(conv.getInput())[3];
  const int64_t oc = shapeOf(conv.getResult())[3];
  if (groups < 2)
    return op->emitOpError()
           << "is layer '" << layerName
           << "': set_groups needs at least 2 groups, not " << groups;
  if (ic % groups || oc % groups)
    return op->emitOpError() << "is layer '" << layerName << "': " << groups
                             << " groups do not divide its " << ic
                             << " input and " << oc << " output channels";
  if (!conv.getWeight().hasOneUse())
    return op->emitOpError() << "is layer '" << layerName
                             << "': its weights are shared with other ops, "
                                "so it cannot be split alone";
  auto bias = shapeOf(conv.getBias());
  if (bias.size() != 1 || (bias[0] != 1 && !conv.getBias().hasOneUse()))
    return op->emitOpError() << "is layer '" << layerName
                             << "': its bias is shared with other ops or not "
                                "of rank 1, so it cannot be split";

  std::optional<Compensation> comp;
  std::string producer;
  {
    GroupContext ctx(func);
    comp = compensationOf(ctx, func, conv);
    if (comp && comp->producer)
      producer = ctx.names.lookup(comp->producer);
  }
  if (!comp)
    return op->emitOpError()
           << "is layer '" << layerName
           << "': its output channels are tied to a residual (or the model's "
              "input) and its input channels do not come from one free "
              "layer, so no width compensates the grouping";
  double s = widthFactor(*comp, groups);
  if (!producer.empty()) {
    int64_t width = roundToMultiple(s * static_cast<double>(ic), groups);
    if (width != ic && mlir::failed(setOutputChannels(func, producer, width)))
      return mlir::failure();
  }
  if (comp->widenOutput) {
    int64_t width = roundToMultiple(s * static_cast<double>(oc), groups);
    if (width != oc && mlir::failed(setOutputChannels(func, layerName, width)))
      return mlir::failure();
  }
  conv = llvm::dyn_cast_or_null<mlir::tosa::Conv2DOp>(
      findNamedLayer(func, layerName));
  if (!conv)
    return func.emitError() << "layer '" << layerName
                            << "' is gone after its width compensation";
  if (mlir::failed(splitIntoGroups(conv, layerName, groups)) ||
      mlir::failed(refineShapes(func)))
    return func.emitError() << "splitting '" << layerName << "' into " << groups
                            << " groups left an invalid module";
  return mlir::success();
}

} // namespace goodhart
