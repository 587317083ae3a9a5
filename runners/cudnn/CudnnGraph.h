//===- CudnnGraph.h - One-operation graphs of the cuDNN backend API -*- C++
//-*-===//
//
// Frameworks run cuDNN 9 through its graph (backend) API: describe the
// operation, ask the heuristics for engine configurations, finalize the
// first execution plan that builds, and execute it with a variant pack.
// CudnnGraph does that for one operation and remembers the plan's JSON (the
// engine and knobs chosen), which goodhart reports as the implementation.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_CUDNN_CUDNNGRAPH_H
#define GOODHART_RUNNERS_CUDNN_CUDNNGRAPH_H

#include "runners/common/Plan.h"
#include "runners/common/Status.h"

#include <cudnn.h>

#include <memory>
#include <string>
#include <vector>

namespace goodhart::cuda {

/// Owns one cudnnBackendDescriptor_t.
class BackendDescriptor {
public:
  static StatusOr<std::shared_ptr<BackendDescriptor>>
  create(cudnnBackendDescriptorType_t type);
  ~BackendDescriptor();
  cudnnBackendDescriptor_t get() const { return desc; }

private:
  cudnnBackendDescriptor_t desc = nullptr;
};
using Descriptor = std::shared_ptr<BackendDescriptor>;

/// A tensor as the graph sees it: plan dims (NHWC rank 4 becomes NCHW dims
/// with NHWC strides, as cuDNN expects), its data type and a unique id.
struct GraphTensor {
  int64_t uid = 0;
  std::vector<int64_t> dims;
  std::vector<int64_t> strides;
  cudnnDataType_t type = CUDNN_DATA_FLOAT;
};

std::optional<cudnnDataType_t> toCudnnType(DType type);
/// NCHW dims with NHWC strides for rank-4 plan tensors; others padded with
/// leading 1s to rank 4 and packed row-major.
GraphTensor graphTensor(const TensorDesc &t, int64_t uid);
/// Conv weights [OC, KH, KW, IC/g] as dims [OC, IC/g, KH, KW].
GraphTensor filterTensor(const TensorDesc &t, int64_t uid);

/// "engine 67 TILE_SIZE=8 ..." from an execution plan's JSON representation
/// (cuDNN's engine id and knob choices; the operation graph is left out).
std::string engineName(const std::string &planJson);

/// A finalized execution plan of a one-operation graph.
class CudnnGraph {
public:
  /// Convolution forward (cross-correlation) X * W -> Y.
  static StatusOr<std::unique_ptr<CudnnGraph>>
  convolution(cudnnHandle_t handle, const GraphTensor &x, const GraphTensor &w,
              const GraphTensor &y, const std::vector<int64_t> &stride,
              const std::vector<int64_t> &padBefore,
              const std::vector<int64_t> &padAfter,
              const std::vector<int64_t> &dilation);
  /// Pointwise `mode` on X (and B when given) -> Y.
  static StatusOr<std::unique_ptr<CudnnGraph>>
  pointwise(cudnnHandle_t handle, cudnnPointwiseMode_t mode,
            const GraphTensor &x, const GraphTensor *b, const GraphTensor &y,
            double lowerClip = 0, double upperClip = 0, bool clip = false);

  /// The engine and knobs chosen, as cuDNN describes the plan.
  const std::string &engine() const { return engineJson; }
  size_t workspaceBytes() const { return workspace; }
  /// Fixes the data pointers (in the order of the uids given) once.
  Status bind(const std::vector<int64_t> &uids,
              const std::vector<void *> &pointers, void *workspacePtr);
  /// Runs with the bound pointers on the handle's stream.
  Status run();

private:
  static StatusOr<std::unique_ptr<CudnnGraph>>
  build(cudnnHandle_t handle, Descriptor operation,
        std::vector<Descriptor> keepAlive);

  cudnnHandle_t handle = nullptr;
  Descriptor plan;
  Descriptor pack;
  std::vector<Descriptor> keepAlive;
  std::string engineJson;
  size_t workspace = 0;
};

} // namespace goodhart::cuda

#endif // GOODHART_RUNNERS_CUDNN_CUDNNGRAPH_H
