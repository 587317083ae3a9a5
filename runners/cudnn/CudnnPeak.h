//===- CudnnPeak.h - The GPU's measured peak GFLOP/s per type ---*- C++ -*-===//
//
// As the oneDNN runner does on a CPU (OneDnnPeak.h), the cuDNN runner
// measures its peak rather than taking it from a data sheet: a large
// square matmul per element type, through the same cuBLASLt path and
// options (TF32 or strict f32) as the plan's matmuls, on seeded data (a
// GPU runs faster on zeros, which draw less power). The reports then give
// every layer's and model's share of it, and `goodhart compare` a speed-up
// per peak across devices.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_CUDNN_CUDNNPEAK_H
#define GOODHART_RUNNERS_CUDNN_CUDNNPEAK_H

#include "runners/common/Plan.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace goodhart::cuda {

/// M = N = K of the peak matmul: large enough for every tensor core to be
/// busy on an H100 or H200, small enough (3 x 128 MiB in bf16) to fill fast.
inline constexpr int64_t kPeakMatmulSize = 8192;

/// The peak copy's source (and destination) size: far beyond the L2 of
/// any GPU, so it streams from and to HBM.
inline constexpr size_t kPeakCopyBytes = size_t(512) << 20;
inline constexpr int kPeakCopyRepetitions = 5; // after one warm-up copy

/// The element types whose peak the runner measures.
std::vector<DType> peakDtypes();

/// A plan with one matmul, [1, size, size] x [1, size, size] in `dtype`,
/// whose layer carries its FLOPs (2 size^3) and hash.
Plan peakMatmulPlan(DType dtype, int64_t size = kPeakMatmulSize);

} // namespace goodhart::cuda

#endif // GOODHART_RUNNERS_CUDNN_CUDNNPEAK_H
