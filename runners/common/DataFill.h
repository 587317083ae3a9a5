//===- DataFill.h - Seeded inputs and weights -------------------*- C++ -*-===//
//
// Plans carry no values: runners fill inputs and weights with seeded random
// data. Element i of tensor t under seed s is a pure function of (s, t, i)
// (splitmix64), so every runner and the float64 reference see the same
// numbers without sharing a generator. Inputs are uniform in [-1, 1];
// weights are scaled by 1/sqrt(fan_in) so activations keep their magnitude;
// constants the model states keep their value.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_COMMON_DATAFILL_H
#define GOODHART_RUNNERS_COMMON_DATAFILL_H

#include "runners/common/Plan.h"

#include <cstdint>
#include <vector>

namespace goodhart {

/// Uniform in [-1, 1) for (seed, tensorId, index).
double seededUniform(uint64_t seed, int64_t tensorId, int64_t index);

/// The fan-in that scales `tensorId` when `plan` uses it as a weight: the
/// reduction size of its first consumer (KH*KW*IC/groups for conv2d, K for
/// matmul); 1 for anything else.
int64_t weightFanIn(const Plan &plan, int64_t tensorId);

/// Whether the first input of a layer that needs positive values (log,
/// rsqrt, reciprocal, the base of pow) is `tensorId`: such inputs and
/// activations measured alone are filled in [0.5, 1.5).
bool needsPositiveData(const Plan &plan, int64_t tensorId);

/// Values of a whole input or weight tensor as float (a constant's value
/// when the plan states it).
std::vector<float> seededTensorData(const Plan &plan, int64_t tensorId,
                                    uint64_t seed);

} // namespace goodhart

#endif // GOODHART_RUNNERS_COMMON_DATAFILL_H
