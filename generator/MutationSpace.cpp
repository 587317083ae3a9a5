//===- MutationSpace.cpp - Every mutation a model offers ------------------===//

#include "generator/MutationSpace.h"

#include "generator/ChannelStrategy.h"
#include "mlir/Mutations.h"

#include "mlir/IR/BuiltinTypes.h"

#include <algorithm>
#include <map>

namespace goodhart {
namespace {

/// scale_width percentages a neighborhood tries, and the range of a draw.
constexpr int64_t kWidthPercents[] = {90, 95, 97, 103, 105, 110};
constexpr int64_t kMinWidthPercent = 80, kMaxWidthPercent = 120;

/// Kernel extents set_kernel tries (odd, as exporters center windows).
constexpr int64_t kMinKernel = 1, kMaxKernel = 7;

/// Index of `func`'s element type in namedValues("set_dtype"): the type of
/// its first floating-point argument, f32 when it has none.
int64_t modelDTypeIndex(mlir::func::FuncOp func) {
  for (mlir::Type type : func.getArgumentTypes()) {
    auto tensor = llvm::dyn_cast<mlir::TensorType>(type);
    if (!tensor)
      continue;
    mlir::Type element = tensor.getElementType();
    if (element.isF32())
      return 0;
    if (element.isBF16())
      return 1;
    if (element.isF16())
      return 2;
  }
  return 0;
}

/// Every index of `names` except `current`.
std::vector<int64_t> otherIndices(const std::vector<std::string> &names,
                                  int64_t current) {
  std::vector<int64_t> indices;
  for (int64_t i = 0; i < static_cast<int64_t>(names.size()); ++i)
    if (i != current)
      indices.push_back(i);
  return indices;
}

/// A site for `kind` on "*" at `current`: the neighborhood values within
/// current +- spread.
MutationSite inputSizeSite(const std::string &kind, int64_t current,
                           int64_t spread) {
  MutationSite site{kind,
                    "*",
                    current,
                    {},
                    std::max<int64_t>(1, current - spread),
                    current + spread};
  for (int64_t v : neighborhoodValues(current))
    if (v >= site.minValue && v <= site.maxValue)
      site.candidates.push_back(v);
  return site;
}

} // namespace

std::vector<std::string> widthStages(mlir::func::FuncOp func) {
  std::vector<std::string> order;
  std::map<std::string, int> counts;
  for (const ChannelSite &site : findChannelSites(func)) {
    std::string stage = site.layerName.substr(0, site.layerName.find('.'));
    if (stage == site.layerName)
      continue; // a top-level layer is not a stage
    if (counts[stage]++ == 0)
      order.push_back(stage);
  }
  std::vector<std::string> stages;
  for (const std::string &stage : order)
    if (counts[stage] >= 2)
      stages.push_back(stage);
  stages.push_back("*");
  return stages;
}

std::vector<MutationSite> enumerateMutationSites(mlir::func::FuncOp func) {
  std::vector<MutationSite> sites;
  std::vector<ChannelSite> channels = findChannelSites(func);
  for (const ChannelSite &channel : channels) {
    int64_t c = channel.channels;
    sites.push_back({"set_channels", channel.layerName, c,
                     neighborhoodValues(c), std::max<int64_t>(1, c / 2),
                     2 * c});
  }
  if (!channels.empty())
    for (const std::string &stage : widthStages(func))
      sites.push_back({"scale_width", stage, 100,
                       std::vector<int64_t>(std::begin(kWidthPercents),
                                            std::end(kWidthPercents)),
                       kMinWidthPercent, kMaxWidthPercent, true});

  const std::vector<std::string> &activations =
      MutationSpec::namedValues("set_activation");
  for (const ActivationSite &site : findActivationSites(func)) {
    auto it =
        std::find(activations.begin(), activations.end(), site.activation);
    // A sigmoid or tanh on its own is a site with no table index.
    int64_t current = it == activations.end() ? -1 : it - activations.begin();
    sites.push_back({"set_activation", site.layerName, current,
                     otherIndices(activations, current), 0,
                     static_cast<int64_t>(activations.size()) - 1, true});
  }

  const std::vector<std::string> &dtypes =
      MutationSpec::namedValues("set_dtype");
  int64_t dtype = modelDTypeIndex(func);
  std::vector<std::string> dtypeLayers = {"*"};
  for (const ChannelSite &channel : channels)
    dtypeLayers.push_back(channel.layerName);
  for (const std::string &layer : dtypeLayers)
    sites.push_back({"set_dtype", layer, dtype, otherIndices(dtypes, dtype), 0,
                     static_cast<int64_t>(dtypes.size()) - 1, true});
  for (MutationSite &site : inputSizeSites(func))
    sites.push_back(std::move(site));
  for (MutationSite &site : geometrySites(func))
    sites.push_back(std::move(site));
  return sites;
}

std::vector<MutationSite> inputSizeSites(mlir::func::FuncOp func) {
  std::vector<MutationSite> sites;
  if (std::optional<int64_t> size = modelSpatialSize(func))
    sites.push_back(
        inputSizeSite("set_spatial", *size, std::max<int64_t>(2, *size / 16)));
  if (std::optional<int64_t> length = modelSequenceLength(func))
    sites.push_back(
        inputSizeSite("set_seq", *length, std::max<int64_t>(2, *length / 10)));
  if (std::optional<int64_t> batch = modelBatchSize(func)) {
    // FLOPs follow the batch linearly: every candidate leaves +-10%.
    MutationSite site{
        "set_batch", "*", *batch, {}, std::max<int64_t>(1, *batch / 2),
        4 * *batch};
    for (int64_t b : {*batch / 2, *batch + 1, 2 * *batch, 4 * *batch})
      if (b >= 1 && b != *batch && !llvm::is_contained(site.candidates, b))
        site.candidates.push_back(b);
    sites.push_back(std::move(site));
  }
  return sites;
}

std::vector<MutationSite> geometrySites(mlir::func::FuncOp func) {
  std::vector<MutationSite> sites;
  for (const StrideSite &stride : findStrideSites(func)) {
    auto n = static_cast<int64_t>(stride.convs.size());
    MutationSite site{"move_stride", stride.block, stride.position, {}, 1, n,
                      true};
    for (int64_t p = 1; p <= n; ++p)
      if (p != stride.position)
        site.candidates.push_back(p);
    sites.push_back(std::move(site));
  }
  for (const KernelSite &kernel : findKernelSites(func)) {
    MutationSite site{"set_kernel", kernel.layerName, kernel.kernel,
                      {},           kMinKernel,       kMaxKernel};
    for (int64_t k = kMinKernel; k <= kMaxKernel; k += 2)
      if (k != kernel.kernel)
        site.candidates.push_back(k);
    sites.push_back(std::move(site));
  }
  for (const GroupSite &group : findGroupSites(func))
    sites.push_back({"set_groups", group.layerName, 1, group.candidates,
                     group.candidates.front(), group.candidates.back()});
  if (std::optional<HeadSite> heads = findHeadSite(func)) {
    sites.push_back({"set_heads", "*", heads->heads, heads->candidates,
                     heads->candidates.front(), heads->candidates.back()});
    // Head dimensions in steps of D/8: each changes the attention width,
    // so the projections' FLOPs, by an eighth of their share.
    int64_t d = heads->headDim, step = std::max<int64_t>(1, d / 8);
    MutationSite site{"set_head_dim", "*", d, {}, std::max<int64_t>(1, d / 2),
                      2 * d};
    for (int64_t v : {d - 2 * step, d - step, d + step, d + 2 * step})
      if (v >= site.minValue && v != d &&
          !llvm::is_contained(site.candidates, v))
        site.candidates.push_back(v);
    sites.push_back(std::move(site));
  }
  if (std::optional<HiddenSite> hidden = findHiddenSite(func);
      hidden && !hidden->candidates.empty()) {
    // Multiples of the head count (heads kept) near the reference.
    int64_t h = hidden->hidden;
    sites.push_back({"set_hidden", "*", h, hidden->candidates,
                     std::max(hidden->heads, h / 2), 2 * h});
  }
  return sites;
}

} // namespace goodhart
