//===- Reference.h - float64 reference values of plan layers ----*- C++ -*-===//
//
// The correctness oracle every runner shares: the exact value of one output
// element of a layer, computed in double precision from the layer's inputs,
// with the magnitude of what was summed so tolerances scale with the
// problem. Runners compare a seeded sample of output points against it.
// No vendor library, no MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_REFERENCE_REFERENCE_H
#define GOODHART_RUNNERS_REFERENCE_REFERENCE_H

#include "runners/common/Plan.h"
#include "runners/common/Protocol.h"
#include "runners/common/Status.h"

#include <functional>
#include <vector>

namespace goodhart {

/// The values of an input tensor of the layer, row-major in the plan shape.
using TensorValues = std::function<const std::vector<float> &(int64_t)>;

struct ReferenceValue {
  double value = 0;
  /// Sum of the absolute terms that made the value (for sums of products),
  /// or |value| for elementwise results: rounding error scales with it.
  double magnitude = 0;
};

/// The float64 value of output element `index` (row-major in the output's
/// plan shape). kUnsupported for kinds without a reference here.
StatusOr<ReferenceValue> referenceAt(const Plan &plan, const Layer &layer,
                                     const TensorValues &inputs, int64_t index);

/// Absolute error allowed for a value computed in `type` from inputs
/// rounded to `type`, accumulating `magnitude`.
double tolerance(DType type, const ReferenceValue &reference);

/// Compares `actual` (the layer's whole output, row-major, as float) with the
/// reference at `points` seeded positions. mismatch: a point outside its
/// tolerance; mistrusted: the output is all zeros where the reference is not,
/// or not finite; skipped: no reference for this kind.
CheckResult checkLayerOutput(const Plan &plan, const Layer &layer,
                             const TensorValues &inputs,
                             const std::vector<float> &actual, uint64_t seed,
                             int points = 64);

} // namespace goodhart

#endif // GOODHART_RUNNERS_REFERENCE_REFERENCE_H
