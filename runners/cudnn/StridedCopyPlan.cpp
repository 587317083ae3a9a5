//===- StridedCopyPlan.cpp - A strided copy as goodhart's kernel moves it -===//

#include "runners/cudnn/StridedCopyPlan.h"

namespace goodhart::cuda {
namespace {

/// Whether every value is a multiple of `k`.
bool allDivisible(const int64_t *values, int n, int64_t k) {
  for (int i = 0; i < n; ++i)
    if (values[i] % k != 0)
      return false;
  return true;
}

/// Same-type copies whose innermost dimension is contiguous on both sides
/// move `k` elements at once, up to 16 bytes, where the innermost size,
/// every other stride, both offsets and both addresses allow.
void widen(StridedCopyPlan &p, int elementBytes, int alignBytes) {
  StridedCopyArgs &a = p.args;
  const int last = a.rank - 1;
  if (a.xStrides[last] != 1 || a.yStrides[last] != 1)
    return;
  for (int bytes = 16; bytes > elementBytes; bytes /= 2) {
    if (bytes % elementBytes != 0 || alignBytes % bytes != 0)
      continue;
    const int64_t k = bytes / elementBytes;
    if (a.dims[last] % k != 0 || !allDivisible(a.xStrides, last, k) ||
        !allDivisible(a.yStrides, last, k) || p.xOffsetBytes % bytes != 0 ||
        p.yOffsetBytes % bytes != 0)
      continue;
    a.dims[last] /= k;
    for (int d = 0; d < last; ++d) {
      a.xStrides[d] /= k;
      a.yStrides[d] /= k;
    }
    a.count /= k;
    p.unitBytes = bytes;
    return;
  }
}

} // namespace

StatusOr<StridedCopyPlan> planStridedCopy(const CopyView &view, int xBytes,
                                          int yBytes, bool convert,
                                          int alignBytes) {
  const size_t n = view.dims.size();
  if (view.xStrides.size() != n || view.yStrides.size() != n)
    return invalidInput("copy view: dimensions and strides differ in rank");
  if (!convert && xBytes != yBytes)
    return invalidInput("copy view: a copy without conversion changes the "
                        "element size");
  StridedCopyPlan plan;
  plan.xOffsetBytes = view.xOffset * xBytes;
  plan.yOffsetBytes = view.yOffset * yBytes;
  plan.unitBytes = xBytes;
  plan.convert = convert;
  StridedCopyArgs &a = plan.args;
  for (int64_t d : view.dims)
    if (d == 0) {
      a.count = 0;
      return plan;
    }

  // The dimensions that move something, in the output's memory order.
  CopyView m = mergedView(view, /*byOutput=*/true);
  if (m.dims.size() > static_cast<size_t>(kMaxCopyRank))
    return unsupported("a copy over " + std::to_string(m.dims.size()) +
                       " dimensions that do not merge (at most " +
                       std::to_string(kMaxCopyRank) + ")");
  if (m.dims.empty()) { // one element
    m.dims = {1};
    m.xStrides = m.yStrides = {1};
  }
  a.rank = static_cast<int>(m.dims.size());
  a.count = 1;
  for (int d = 0; d < a.rank; ++d) {
    a.dims[d] = m.dims[d];
    a.xStrides[d] = m.xStrides[d];
    a.yStrides[d] = m.yStrides[d];
    a.count *= m.dims[d];
  }

  const int last = a.rank - 1;
  if (a.xStrides[last] != 1) {
    for (int d = last - 1; d >= 0; --d)
      if (a.xStrides[d] == 1) {
        a.tiledDim = d;
        break;
      }
  }
  if (!convert && a.tiledDim < 0)
    widen(plan, xBytes, alignBytes);
  return plan;
}

std::string describeStridedCopy(const StridedCopyPlan &plan) {
  std::string s = plan.args.tiledDim >= 0 ? "tiled" : "gather";
  if (plan.convert)
    s += ", converting";
  else
    s += ", " + std::to_string(plan.unitBytes) + "B units";
  return s;
}

} // namespace goodhart::cuda
