//===- Equivalence.cpp - When a variant may stand in for its reference ----===//

#include "generator/Equivalence.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <map>

namespace goodhart {
namespace {

/// How many layers of each kind `plan` has, casts left out. Kinds are
/// compared as counts, not in order: identity variants reorder independent
/// layers. Activation swaps keep the kind: every activation (ReLU clamp,
/// SiLU, GELU) is one kEltwise layer once composites are fused.
std::map<LayerKind, int64_t> kindCounts(const Plan &plan) {
  std::map<LayerKind, int64_t> counts;
  for (const Layer &layer : plan.layers)
    if (layer.kind != LayerKind::kCast)
      ++counts[layer.kind];
  return counts;
}

} // namespace

double sizeRatio(int64_t a, int64_t b) {
  return b == 0 ? 1.0 : static_cast<double>(a) / static_cast<double>(b);
}

std::string percentText(double tolerance) {
  return std::to_string(static_cast<int>(std::lround(tolerance * 100))) + "%";
}

std::string checkEquivalence(const Plan &reference, const Plan &variant,
                             const EquivalenceOptions &options) {
  std::map<LayerKind, int64_t> want = kindCounts(reference);
  std::map<LayerKind, int64_t> have = kindCounts(variant);
  int64_t wantTotal = 0, haveTotal = 0;
  for (auto [kind, n] : want)
    wantTotal += n;
  for (auto [kind, n] : have)
    haveTotal += n;
  if (haveTotal != wantTotal)
    return "layer count " + std::to_string(haveTotal) +
           " != " + std::to_string(wantTotal) + " (casts not counted)";
  for (auto [kind, n] : want)
    if (have[kind] != n)
      return std::to_string(have[kind]) + " " +
             std::string(layerKindName(kind)) +
             " layers != " + std::to_string(n);
  double flopRatio = sizeRatio(variant.totalFlops(), reference.totalFlops());
  double paramRatio = sizeRatio(variant.totalParams(), reference.totalParams());
  if (std::abs(flopRatio - 1) > options.flopTolerance)
    return llvm::formatv("FLOPs ratio {0:F3} is outside +-{1}", flopRatio,
                         percentText(options.flopTolerance))
        .str();
  if (std::abs(paramRatio - 1) > options.paramTolerance)
    return llvm::formatv("parameter ratio {0:F3} is outside +-{1}", paramRatio,
                         percentText(options.paramTolerance))
        .str();
  return "";
}

} // namespace goodhart
