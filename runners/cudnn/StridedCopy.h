//===- StridedCopy.h - goodhart's strided copy kernel, launched -*- C++ -*-===//
//
// The launcher of the kernels StridedCopyPlan.h plans (StridedCopy.cu,
// compiled by nvcc). Only the CUDA runtime's types: the layer builders
// include it.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_CUDNN_STRIDEDCOPY_H
#define GOODHART_RUNNERS_CUDNN_STRIDEDCOPY_H

#include "runners/cudnn/StridedCopyPlan.h"

#include <cuda_runtime_api.h>

namespace goodhart::cuda {

/// The element types the kernel converts between; kRaw for copies of
/// bytes (any type, no conversion).
enum class CopyElement { kF32, kBF16, kF16, kRaw };

/// Enqueues `plan` on `stream`: y[...] = convert(x[...]) from the base
/// pointers `x` and `y` (the plan's byte offsets are added here). For
/// plans without conversion both types are kRaw. cudaErrorInvalidValue
/// for a conversion between types it does not know; otherwise the launch's
/// error.
cudaError_t launchStridedCopy(const StridedCopyPlan &plan, CopyElement xType,
                              CopyElement yType, const void *x, void *y,
                              cudaStream_t stream);

} // namespace goodhart::cuda

#endif // GOODHART_RUNNERS_CUDNN_STRIDEDCOPY_H
