//===- HeadMutation.cpp - Change the number of attention heads ------------===//
//
// set_heads(SCOPE, H') re-splits every attention layer (SCOPE "*", or those
// whose head splits are named "SCOPE.*") into H' heads of D' = hidden / H',
// keeping hidden = H x D and every weight. In TOSA a head split is a reshape
// [.., hidden] -> [.., H, D] followed by a transpose (torch-mlir's form,
// mlir/zoo/TransformerLayers.cpp); the attention then flattens heads into
// the batch of its matmuls ([B*H, S, D]), scales the scores by 1/sqrt(D),
// takes a softmax and merges the heads back ([.., H*D]).
//
// Which dimensions carry heads is mlir/HeadLabels' analysis. The rewrite
// sets every reshape's shape to its labels' new sizes, resizes splat
// constants broadcast against a head dimension, rewrites the attention scale
// 1/sqrt(D) (or sqrt(D)) to the new D, and re-infers everything else.
// Rotary embeddings (Llama) follow: rotate_half's slices cut D into halves
// (an atom D/2, so D must stay even), its concat joins them back, and the
// cos/sin tables, model inputs broadcast against D, are resized with it. An
// op set_heads does not know, or a model input carrying the head count or
// another head dimension, refuses the mutation with an error naming it.
//
//===----------------------------------------------------------------------===//

#include "mlir/DimensionAnalysis.h"
#include "mlir/HeadLabels.h"
#include "mlir/InputSizeSupport.h"
#include "mlir/ModelLoader.h"
#include "mlir/Mutations.h"
#include "mlir/PlanLowering.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

namespace goodhart {
namespace {

using heads::ConstRewrite;
using heads::Geometry;
using heads::HeadPlan;
using heads::planHeads;
using heads::weightArgument;

/// A head split: a reshape [.., hidden] -> [.., H, D] (leading dimensions
/// kept) with a transpose among its users that moves H and keeps D last.
bool isHeadSplit(mlir::tosa::ReshapeOp reshape) {
  auto in = shapeOf(reshape.getInput1()), out = shapeOf(reshape.getResult());
  size_t r = out.size();
  if (in.empty() || r != in.size() + 1 || in.drop_back() != out.drop_back(2) ||
      out[r - 2] * out[r - 1] != in.back() || out[r - 2] < 2 || out[r - 1] < 2)
    return false;
  for (mlir::Operation *user : reshape->getUsers())
    if (auto t = llvm::dyn_cast<mlir::tosa::TransposeOp>(user)) {
      auto perms = t.getPerms();
      if (perms.back() == static_cast<int32_t>(r - 1) &&
          perms[r - 2] != static_cast<int32_t>(r - 2))
        return true;
    }
  return false;
}

/// The head splits of `func` in program order with their layer names.
llvm::SmallVector<std::pair<mlir::tosa::ReshapeOp, std::string>>
headSplits(mlir::func::FuncOp func) {
  llvm::DenseMap<mlir::Operation *, std::string> names = assignLayerNames(func);
  llvm::SmallVector<std::pair<mlir::tosa::ReshapeOp, std::string>> splits;
  for (auto reshape : func.getBody().getOps<mlir::tosa::ReshapeOp>())
    if (isHeadSplit(reshape))
      splits.push_back({reshape, names.lookup(reshape)});
  return splits;
}

bool inScope(llvm::StringRef name, llvm::StringRef scope) {
  return scope == "*" || name.starts_with((scope + ".").str());
}

/// Gives `operand` (a reshape's shape, a slice's start or size) a new
/// tosa.const_shape holding `values`.
void setConstShape(mlir::OpOperand &operand, llvm::ArrayRef<int64_t> values) {
  mlir::OpBuilder builder(operand.getOwner());
  auto n = static_cast<int64_t>(values.size());
  auto attr = mlir::DenseIntElementsAttr::get(
      mlir::RankedTensorType::get({n}, builder.getIndexType()), values);
  mlir::Value old = operand.get();
  operand.set(mlir::tosa::ConstShapeOp::create(builder, old.getLoc(),
                                               old.getType(), attr));
  if (old.use_empty())
    old.getDefiningOp()->erase();
}

/// The selected splits and their common geometry, or an error.
mlir::FailureOr<std::pair<llvm::DenseSet<mlir::Operation *>, Geometry>>
selectSplits(mlir::func::FuncOp func, llvm::StringRef scope, bool emit) {
  llvm::DenseSet<mlir::Operation *> selected;
  std::optional<Geometry> geometry;
  for (auto &[reshape, name] : headSplits(func)) {
    if (!inScope(name, scope))
      continue;
    auto out = shapeOf(reshape.getResult());
    Geometry g{out[out.size() - 2], out.back()};
    if (geometry &&
        (g.heads != geometry->heads || g.headDim != geometry->headDim)) {
      if (emit)
        reshape.emitOpError()
            << "is head split '" << name << "' with " << g.heads << " heads of "
            << g.headDim << ", but another selected one has " << geometry->heads
            << " of " << geometry->headDim << "; name one attention layer";
      return mlir::failure();
    }
    geometry = g;
    selected.insert(reshape);
  }
  if (!geometry) {
    if (emit)
      func.emitError() << "set_heads: no attention head split (a reshape "
                          "[.., hidden] -> [.., H, D] then a transpose) "
                       << (scope == "*" ? "in the model"
                                        : "named '" + scope.str() + ".*'");
    return mlir::failure();
  }
  return std::make_pair(std::move(selected), *geometry);
}

void applyConstRewrite(const ConstRewrite &rewrite) {
  mlir::Value v = rewrite.operand->get();
  auto c = v.getDefiningOp<mlir::tosa::ConstOp>();
  auto oldType = llvm::cast<mlir::RankedTensorType>(c.getType());
  auto type = mlir::RankedTensorType::get(
      rewrite.shape, oldType.getElementType(), oldType.getEncoding());
  mlir::OpBuilder builder(rewrite.operand->getOwner());
  mlir::Attribute element =
      rewrite.value
          ? builder.getFloatAttr(oldType.getElementType(), *rewrite.value)
          : *llvm::cast<mlir::ElementsAttr>(c.getValues())
                 .getValues<mlir::Attribute>()
                 .begin();
  auto replacement = mlir::tosa::ConstOp::create(
      builder, c.getLoc(), type, mlir::DenseElementsAttr::get(type, element));
  rewrite.operand->set(replacement.getResult());
  if (c->use_empty())
    c.erase();
}

/// Plans resizing the attention width (the projections' output features
/// before each selected head split) to `width`: weight arguments and
/// constants of the split input's class. Fails on a model input, a reshape
/// or slice of the width, or a returned value in that class.
mlir::LogicalResult
planProjections(mlir::func::FuncOp func,
                const llvm::DenseSet<mlir::Operation *> &splits, int64_t width,
                HeadPlan &plan) {
  DimensionAnalysis analysis(func);
  llvm::DenseSet<mlir::Operation *> constsDone;
  for (mlir::Operation &op : func.getBody().getOps()) {
    if (!splits.contains(&op))
      continue;
    mlir::Value in = llvm::cast<mlir::tosa::ReshapeOp>(op).getInput1();
    auto dim = static_cast<unsigned>(shapeOf(in).size() - 1);
    for (const DimRef &ref : analysis.classOf({in, dim})) {
      for (mlir::Operation *user : ref.value.getUsers())
        if (llvm::isa<mlir::func::ReturnOp>(user))
          return op.emitOpError()
                 << "splits an attention width the model returns";
      if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(ref.value)) {
        if (!weightArgument(arg))
          return op.emitOpError()
                 << "splits an attention width that model input #"
                 << arg.getArgNumber() << " carries";
        plan.args[arg.getArgNumber()][ref.dim] = width;
        continue;
      }
      mlir::Operation *def = ref.value.getDefiningOp();
      if (auto c = llvm::dyn_cast<mlir::tosa::ConstOp>(def)) {
        if (!constsDone.insert(c).second)
          continue;
        for (mlir::OpOperand &use : c->getUses()) {
          llvm::SmallVector<int64_t> shape(shapeOf(c.getResult()));
          shape[ref.dim] = width;
          plan.consts.push_back({&use, shape, std::nullopt});
        }
      } else if (llvm::isa<mlir::tosa::ReshapeOp, mlir::tosa::SliceOp>(def)) {
        return def->emitOpError()
               << "reshapes the attention width before its head split; "
                  "set_head_dim does not follow it";
      }
    }
  }
  return mlir::success();
}

/// Applies `plan` and re-infers; fails when the model's outputs would
/// change (arguments change only as planned: weights set_head_dim resizes).
mlir::LogicalResult applyHeadPlan(mlir::func::FuncOp func, const HeadPlan &plan,
                                  llvm::StringRef what) {
  auto results = func.getFunctionType().getResults();
  llvm::SmallVector<mlir::Type> before(results.begin(), results.end());
  for (const ConstRewrite &rewrite : plan.consts)
    applyConstRewrite(rewrite);
  for (const auto *resized : {&plan.args, &plan.inputs})
    for (auto &[index, dims] : *resized) {
      mlir::BlockArgument arg = func.getArgument(index);
      auto type = llvm::cast<mlir::RankedTensorType>(arg.getType());
      llvm::SmallVector<int64_t> shape(type.getShape());
      for (auto [dim, size] : dims)
        shape[dim] = size;
      arg.setType(mlir::RankedTensorType::get(shape, type.getElementType(),
                                              type.getEncoding()));
    }
  for (auto &[op, shape] : plan.reshapes)
    setConstShape(llvm::cast<mlir::tosa::ReshapeOp>(op).getShapeMutable(),
                  shape);
  for (auto &[op, startAndSize] : plan.slices) {
    auto slice = llvm::cast<mlir::tosa::SliceOp>(op);
    setConstShape(slice.getStartMutable(), startAndSize.first);
    setConstShape(slice.getSizeMutable(), startAndSize.second);
  }
  if (mlir::failed(refineShapes(func)))
    return func.emitError() << what << " left an invalid module";
  if (llvm::to_vector(func.getFunctionType().getResults()) != before)
    return func.emitError() << what << " would change the model's outputs";
  return mlir::success();
}

} // namespace

std::optional<HeadSite> findHeadSite(mlir::func::FuncOp func) {
  auto selected = selectSplits(func, "*", /*emit=*/false);
  if (mlir::failed(selected))
    return std::nullopt;
  auto &[splits, from] = *selected;
  HeadSite site;
  site.heads = from.heads;
  site.headDim = from.headDim;
  for (auto &[reshape, name] : headSplits(func))
    site.splits.push_back(name);
  int64_t hidden = from.heads * from.headDim;
  for (int64_t h = std::max<int64_t>(1, from.heads / 4); h <= 4 * from.heads;
       ++h)
    if (h != from.heads && hidden % h == 0 &&
        mlir::succeeded(
            planHeads(func, splits, from, {h, hidden / h}, /*emit=*/false)))
      site.candidates.push_back(h);
  if (site.candidates.empty())
    return std::nullopt;
  return site;
}

mlir::LogicalResult setHeads(mlir::func::FuncOp func, llvm::StringRef scope,
                             int64_t heads) {
  auto selected = selectSplits(func, scope, /*emit=*/true);
  if (mlir::failed(selected))
    return mlir::failure();
  auto &[splits, from] = *selected;
  int64_t hidden = from.heads * from.headDim;
  if (heads < 1 || hidden % heads != 0)
    return func.emitError()
           << "set_heads: " << heads << " heads do not divide the hidden size "
           << hidden << " (" << from.heads << " heads of " << from.headDim
           << ")";
  if (heads == from.heads)
    return func.emitError()
           << "set_heads: the attention already has " << heads << " heads";
  Geometry to{heads, hidden / heads};
  mlir::FailureOr<HeadPlan> plan =
      planHeads(func, splits, from, to, /*emit=*/true);
  if (mlir::failed(plan))
    return mlir::failure();
  if (!plan->args.empty())
    return func.emitError() << "set_heads: the attention width would change";
  std::string what =
      "set_heads(" + scope.str() + ", " + std::to_string(heads) + ")";
  return applyHeadPlan(func, *plan, what);
}

mlir::LogicalResult setHeadDim(mlir::func::FuncOp func, llvm::StringRef scope,
                               int64_t headDim) {
  auto selected = selectSplits(func, scope, /*emit=*/true);
  if (mlir::failed(selected))
    return mlir::failure();
  auto &[splits, from] = *selected;
  if (headDim < 1)
    return func.emitError() << "set_head_dim: a head dimension must be at "
                               "least 1, not "
                            << headDim;
  if (headDim == from.headDim)
    return func.emitError() << "set_head_dim: the attention's heads already "
                               "have "
                            << headDim << " dimensions";
  Geometry to{from.heads, headDim};
  mlir::FailureOr<HeadPlan> plan =
      planHeads(func, splits, from, to, /*emit=*/true);
  if (mlir::failed(plan) ||
      mlir::failed(planProjections(func, splits, from.heads * headDim, *plan)))
    return mlir::failure();
  std::string what =
      "set_head_dim(" + scope.str() + ", " + std::to_string(headDim) + ")";
  return applyHeadPlan(func, *plan, what);
}

} // namespace goodhart
