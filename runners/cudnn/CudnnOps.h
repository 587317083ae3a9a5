//===- CudnnOps.h - Layer builders behind buildExecutor ---------*- C++ -*-===//
//
// Internal to runners/cudnn: CudnnLayers.cpp dispatches on the layer kind
// to these builders. The ones here use cuDNN's descriptor API (pooling,
// softmax, reduction, strided copies), which cuDNN 9 still ships in its
// ops library; the graph-API ones live in CudnnLayers.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_CUDNN_CUDNNOPS_H
#define GOODHART_RUNNERS_CUDNN_CUDNNOPS_H

#include "runners/cudnn/CudnnLayers.h"

namespace goodhart::cuda {

using Pointers = std::vector<void *>;
using ExecutorOr = StatusOr<std::unique_ptr<LayerExecutor>>;

ExecutorOr buildPool(const CudaContext &ctx, const Plan &plan,
                     const Layer &layer, const Pointers &ptr,
                     const BuildOptions &options);
/// Softmax along one axis (cudnnSoftmaxForward, channel mode, accurate).
ExecutorOr buildSoftmax(const CudaContext &ctx, const Plan &plan,
                        const Layer &layer, const Pointers &ptr,
                        const BuildOptions &options);
/// Reduction along one axis, kept as size 1 (cudnnReduceTensor).
ExecutorOr buildReduce(const CudaContext &ctx, const Plan &plan,
                       const Layer &layer, const Pointers &ptr,
                       const BuildOptions &options);
/// Transpose, slice and concat as strided copies (cudnnTransformTensor;
/// concat is one copy per input into its place in the output).
ExecutorOr buildCopy(const CudaContext &ctx, const Plan &plan,
                     const Layer &layer, const Pointers &ptr,
                     const BuildOptions &options);

} // namespace goodhart::cuda

#endif // GOODHART_RUNNERS_CUDNN_CUDNNOPS_H
