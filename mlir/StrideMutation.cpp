//===- StrideMutation.cpp - Move a block's stride to another convolution --===//
//
// ResNet v1 strides a down-sampling bottleneck on its first 1x1 convolution,
// ResNet v1.5 (MLPerf's, corpus/resnet50.mlir) on its 3x3 convolution: the
// same block with the resolution drop at another place. A block here is the
// chain of convolutions that share a name prefix ("layer2.0.conv1",
// "layer2.0.conv2", "layer2.0.conv3": block "layer2.0") and feed each other
// through single-use pointwise ops (the ReLUs); exactly one of them is
// strided. move_stride(BLOCK, P) puts that stride on the chain's P-th
// convolution (1-based) and gives every convolution from the old to the new
// position exporter padding for its new input (mlir/WindowGeometry.h): a
// strided window whose padded extent does not divide is trimmed, or its input
// sliced, reusing a slice the block already has (the shortcut's trim). The
// block's output shape must not change; the rest of the model is re-inferred.
//
//===----------------------------------------------------------------------===//

#include "mlir/Mutations.h"
#include "mlir/PlanLowering.h"
#include "mlir/WindowGeometry.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinTypes.h"

#include <map>

namespace goodhart {
namespace {

bool isConv(mlir::Operation *op) {
  return llvm::isa<mlir::tosa::Conv2DOp, mlir::tosa::DepthwiseConv2DOp>(op);
}

/// A convolution's stride, dilation, padding and kernel extents.
struct Window {
  llvm::ArrayRef<int64_t> stride, dilation, pad;
  int64_t kh = 0, kw = 0;
};

Window windowOf(mlir::Operation *conv) {
  Window w;
  auto weight =
      llvm::cast<mlir::RankedTensorType>(conv->getOperand(1).getType())
          .getShape();
  if (auto c = llvm::dyn_cast<mlir::tosa::Conv2DOp>(conv)) {
    w.stride = c.getStride();
    w.dilation = c.getDilation();
    w.pad = c.getPad();
    w.kh = weight[1];
    w.kw = weight[2];
  } else {
    auto d = llvm::cast<mlir::tosa::DepthwiseConv2DOp>(conv);
    w.stride = d.getStride();
    w.dilation = d.getDilation();
    w.pad = d.getPad();
    w.kh = weight[0];
    w.kw = weight[1];
  }
  return w;
}

/// Pointwise ops a block's convolutions may be joined by.
bool isPointwise(mlir::Operation *op) {
  return llvm::isa<mlir::tosa::ClampOp, mlir::tosa::SigmoidOp,
                   mlir::tosa::TanhOp, mlir::tosa::ErfOp, mlir::tosa::CastOp>(
      op);
}

/// One convolution of a chain and the ops from its result to the next
/// convolution's input (a trim slice may be the last of them).
struct Link {
  mlir::Operation *conv = nullptr;
  llvm::SmallVector<mlir::Operation *> path;
};

/// The convolution `conv` feeds through single-use pointwise ops (and
/// perhaps a trim slice), with those ops; null when there is none.
Link nextConv(mlir::Operation *conv) {
  Link link;
  mlir::Value v = conv->getResult(0);
  while (v.hasOneUse()) {
    mlir::Operation *user = *v.getUsers().begin();
    if (isConv(user) && user->getOperand(0) == v) {
      link.conv = user;
      return link;
    }
    bool trim = llvm::isa<mlir::tosa::SliceOp>(user) &&
                untrimmedInput(user->getResult(0)) == v;
    if (!trim && !isPointwise(user))
      break;
    link.path.push_back(user);
    v = user->getResult(0);
  }
  return {};
}

std::string blockOf(llvm::StringRef layer) {
  size_t dot = layer.rfind('.');
  return dot == llvm::StringRef::npos ? "" : layer.substr(0, dot).str();
}

/// A block's chain: its convolutions in order, each with the path to the
/// next, and the 0-based index of the strided one.
struct Chain {
  std::string block;
  std::vector<Link> links;
  std::vector<std::string> names;
  size_t strided = 0;
  int64_t stride = 1;
};

/// Every chain of `func` with exactly one strided convolution (square
/// strides, dilation 1), keyed by block; blocks with two such chains are
/// left out (which one a name means would be ambiguous).
std::map<std::string, std::vector<Chain>> findChains(mlir::func::FuncOp func) {
  llvm::DenseMap<mlir::Operation *, std::string> names = assignLayerNames(func);
  llvm::DenseSet<mlir::Operation *> hasPrevious;
  llvm::DenseMap<mlir::Operation *, Link> next;
  for (mlir::Operation &op : func.getBody().getOps()) {
    if (!isConv(&op))
      continue;
    Link link = nextConv(&op);
    if (!link.conv || blockOf(names.lookup(&op)).empty() ||
        blockOf(names.lookup(&op)) != blockOf(names.lookup(link.conv)))
      continue;
    next[&op] = link;
    hasPrevious.insert(link.conv);
  }
  std::map<std::string, std::vector<Chain>> chains;
  for (mlir::Operation &op : func.getBody().getOps()) {
    if (!next.count(&op) || hasPrevious.contains(&op))
      continue;
    Chain chain;
    chain.block = blockOf(names.lookup(&op));
    int strided = 0;
    bool regular = true;
    for (mlir::Operation *conv = &op; conv;) {
      auto it = next.find(conv);
      Link link = it == next.end() ? Link{conv, {}} : it->second;
      mlir::Operation *following = link.conv;
      link.conv = conv;
      Window w = windowOf(conv);
      regular &= w.stride[0] == w.stride[1] && w.dilation[0] == 1 &&
                 w.dilation[1] == 1;
      if (w.stride[0] > 1) {
        ++strided;
        chain.strided = chain.links.size();
        chain.stride = w.stride[0];
      }
      chain.names.push_back(names.lookup(conv));
      chain.links.push_back(std::move(link));
      conv = it == next.end() ? nullptr : following;
    }
    if (regular && strided == 1)
      chains[chain.block].push_back(std::move(chain));
  }
  return chains;
}

} // namespace

std::vector<StrideSite> findStrideSites(mlir::func::FuncOp func) {
  std::vector<std::pair<mlir::Operation *, StrideSite>> ordered;
  for (auto &[block, chains] : findChains(func)) {
    if (chains.size() != 1)
      continue;
    const Chain &chain = chains.front();
    StrideSite site;
    site.block = block;
    site.convs = chain.names;
    site.position = static_cast<int64_t>(chain.strided) + 1;
    site.stride = chain.stride;
    ordered.push_back({chain.links.front().conv, std::move(site)});
  }
  // Program order, as every site finder lists its sites.
  llvm::sort(ordered, [](const auto &a, const auto &b) {
    return a.first->isBeforeInBlock(b.first);
  });
  std::vector<StrideSite> sites;
  for (auto &entry : ordered)
    sites.push_back(std::move(entry.second));
  return sites;
}

mlir::LogicalResult moveStride(mlir::func::FuncOp func, llvm::StringRef block,
                               int64_t position) {
  auto chains = findChains(func);
  auto it = chains.find(block.str());
  if (it == chains.end())
    return func.emitError()
           << "move_stride: block '" << block
           << "' has no chain of convolutions (layers named '" << block
           << ".*' feeding each other) with exactly one strided convolution";
  if (it->second.size() != 1)
    return func.emitError()
           << "move_stride: block '" << block << "' has " << it->second.size()
           << " strided convolution chains; which one is "
              "meant is ambiguous";
  Chain &chain = it->second.front();
  auto n = static_cast<int64_t>(chain.links.size());
  if (position < 1 || position > n)
    return func.emitError() << "move_stride: block '" << block << "' has " << n
                            << " convolutions; position " << position
                            << " is not in [1, " << n << "]";
  size_t target = static_cast<size_t>(position - 1);
  if (target == chain.strided)
    return chain.links[target].conv->emitOpError()
           << "is layer '" << chain.names[target]
           << "', which already has the stride of block '" << block << "'";

  size_t first = std::min(target, chain.strided);
  size_t last = std::max(target, chain.strided);
  mlir::Operation *lastConv = chain.links[last].conv;
  mlir::Type blockOutput = lastConv->getResult(0).getType();
  for (size_t i = first; i <= last; ++i) {
    Link &link = chain.links[i];
    Window w = windowOf(link.conv);
    int64_t stride = i == target ? chain.stride : 1;
    if (mlir::failed(setConvWindow(link.conv, w.kh, w.kw, stride, w.pad[0],
                                   w.pad[2], chain.names[i] + ".trim")))
      return mlir::failure();
    if (i == last)
      break;
    for (mlir::Operation *op : link.path)
      if (!llvm::isa<mlir::tosa::SliceOp>(op) &&
          mlir::failed(refineResultTypes(op)))
        return mlir::failure();
  }
  if (lastConv->getResult(0).getType() != blockOutput)
    return lastConv->emitOpError()
           << "is layer '" << chain.names[last]
           << "': moving the stride of block '" << block << "' to '"
           << chain.names[target] << "' changes its output from " << blockOutput
           << " to " << lastConv->getResult(0).getType();
  if (mlir::failed(refineShapes(func)))
    return func.emitError() << "move_stride(" << block << ", " << position
                            << ") left an invalid module";
  return mlir::success();
}

} // namespace goodhart
