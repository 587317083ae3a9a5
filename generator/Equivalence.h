//===- Equivalence.h - When a variant may stand in for its reference -*- C++
//-*-===//
//
// A variant is equivalent to its reference when it has as many layers of
// each kind (casts not counted: set_dtype on one layer adds them) and its
// FLOPs and parameters are within a tolerance of the reference's. The
// generator's strategies and the guided search's genome decoder both keep
// only equivalent variants.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_GENERATOR_EQUIVALENCE_H
#define GOODHART_GENERATOR_EQUIVALENCE_H

#include "runners/common/Plan.h"

#include <cstdint>
#include <string>

namespace goodhart {

struct EquivalenceOptions {
  double flopTolerance = 0.10;  // |flops ratio - 1| at most
  double paramTolerance = 0.10; // |params ratio - 1| at most
};

/// a / b, 1 when b is 0.
double sizeRatio(int64_t a, int64_t b);

/// "10%" for 0.10.
std::string percentText(double tolerance);

/// Why `variant` is not equivalent to `reference`, or "" when it is: the
/// first constraint that fails, with the numbers ("FLOPs ratio 1.142 is
/// outside +-10%", "53 conv2d layers != 54").
std::string checkEquivalence(const Plan &reference, const Plan &variant,
                             const EquivalenceOptions &options);

} // namespace goodhart

#endif // GOODHART_GENERATOR_EQUIVALENCE_H
