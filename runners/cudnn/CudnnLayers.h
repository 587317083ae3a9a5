//===- CudnnLayers.h - Plan layers on cuDNN and cuBLASLt --------*- C++ -*-===//
#ifndef GOODHART_RUNNERS_CUDNN_CUDNNLAYERS_H
#define GOODHART_RUNNERS_CUDNN_CUDNNLAYERS_H

#include "runners/common/Plan.h"
#include "runners/common/Status.h"
#include "runners/cudnn/CudnnGraph.h"
#include "runners/cudnn/CudnnLayout.h"

#include <cublasLt.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <memory>
#include <string>
#include <vector>

namespace goodhart::cuda {

/// cudaMalloc'ed memory, freed on destruction.
class DeviceBuffer {
public:
  static StatusOr<std::shared_ptr<DeviceBuffer>> allocate(size_t bytes);
  ~DeviceBuffer();
  void *data() const { return ptr; }
  size_t size() const { return bytes; }

private:
  void *ptr = nullptr;
  size_t bytes = 0;
};

struct CudaContext {
  cudnnHandle_t cudnn = nullptr;
  PlanCache *plans = nullptr; // cuDNN execution plans by graph (optional)
  cublasLtHandle_t lt = nullptr;
  cudaStream_t stream = nullptr;
  /// cuBLASLt's workspace, shared by every GEMM (they run in turn on
  /// `stream`); a GEMM built without one allocates its own.
  std::shared_ptr<DeviceBuffer> gemmWorkspace;
};

/// The workspace cuBLASLt's heuristics may plan a GEMM for.
constexpr size_t kGemmWorkspaceBytes = size_t(32) << 20;

/// How a measurement wants its layers built (from MeasureOptions).
struct BuildOptions {
  bool tf32 = false; // f32 convolutions and matmuls may use TF32
  DeviceLayout layout = DeviceLayout::kNhwc;
  /// Fuse a conv2d, inner_product or matmul layer's bias and post-ops into
  /// its kernel where the library can (fusion "graph"; CudnnFusion.h).
  bool fuseGraph = false;
};

/// One layer bound to device pointers (by plan tensor id), ready to run.
class LayerExecutor {
public:
  virtual ~LayerExecutor() = default;
  virtual Status run() = 0;
  /// The engine, algorithm or kernel the library chose.
  std::string impl;
};

/// Builds `layer`; kUnsupported (a skip with the reason) for kinds, types
/// or problems this runner or the library cannot run. `pointers[id]` is the
/// device memory of tensor `id`, stored as deviceStrides(shape,
/// options.layout) says.
StatusOr<std::unique_ptr<LayerExecutor>>
buildExecutor(const CudaContext &context, const Plan &plan, const Layer &layer,
              const std::vector<void *> &pointers, const BuildOptions &options);

} // namespace goodhart::cuda

#endif // GOODHART_RUNNERS_CUDNN_CUDNNLAYERS_H
