//===- StridedCopyPlan.cpp - A strided copy as goodhart's kernel moves it -===//

#include "runners/cudnn/StridedCopyPlan.h"

#include <algorithm>
#include <vector>

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
  std::vector<size_t> order;
  for (size_t i = 0; i < n; ++i)
    if (view.dims[i] != 1)
      order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](size_t l, size_t r) {
    return view.yStrides[l] > view.yStrides[r];
  });
  // Merge, innermost first, neighbours contiguous with each other on
  // both sides.
  std::vector<int64_t> dims, xs, ys;
  for (size_t k = order.size(); k-- > 0;) {
    const size_t i = order[k];
    if (!dims.empty() && view.xStrides[i] == xs.back() * dims.back() &&
        view.yStrides[i] == ys.back() * dims.back()) {
      dims.back() *= view.dims[i];
      continue;
    }
    dims.push_back(view.dims[i]);
    xs.push_back(view.xStrides[i]);
    ys.push_back(view.yStrides[i]);
  }
  if (dims.size() > static_cast<size_t>(kMaxCopyRank))
    return unsupported("a copy over " + std::to_string(dims.size()) +
                       " dimensions that do not merge (at most " +
                       std::to_string(kMaxCopyRank) + ")");
  if (dims.empty()) { // one element
    dims = {1};
    xs = ys = {1};
  }
  a.rank = static_cast<int>(dims.size());
  a.count = 1;
  for (int d = 0; d < a.rank; ++d) {
    const size_t from = dims.size() - 1 - d; // outermost first
    a.dims[d] = dims[from];
    a.xStrides[d] = xs[from];
    a.yStrides[d] = ys[from];
    a.count *= dims[from];
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
