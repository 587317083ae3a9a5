//===- CudnnBackend.h - cuDNN 9 and cuBLASLt on an NVIDIA GPU ---*- C++ -*-===//
#ifndef GOODHART_RUNNERS_CUDNN_CUDNNBACKEND_H
#define GOODHART_RUNNERS_CUDNN_CUDNNBACKEND_H

#include "runners/common/Backend.h"
#include "runners/cudnn/CudnnLayers.h"

namespace goodhart::cuda {

class CudnnBackend final : public Backend {
public:
  ~CudnnBackend() override;
  /// kUnsupported without a CUDA device or when cuDNN cannot start.
  Status initialize() override;
  RunnerInfo info() const override;
  LayerResult measureLayer(const Plan &plan, const Layer &layer,
                           const MeasureOptions &options) override;
  ModelResult measureModel(const Plan &plan,
                           const MeasureOptions &options) override;

private:
  /// Device buffers for every tensor, inputs and weights filled with the
  /// plan's seeded values; a reshape's output aliases its input.
  StatusOr<std::vector<std::shared_ptr<DeviceBuffer>>>
  allocateTensors(const Plan &plan, const std::vector<int64_t> &tensorIds,
                  uint64_t seed);
  /// Times `run` with CUDA events through the shared harness.
  Measurement timeOnDevice(const std::function<Status()> &run,
                           const MeasureOptions &options);
  StatusOr<std::vector<float>> download(const TensorDesc &t, const void *p);

  CudaContext context;
  cudaEvent_t start = nullptr, stop = nullptr;
  std::shared_ptr<DeviceBuffer> flushBuffer;
  cudaDeviceProp properties{};
  int driverVersion = 0, runtimeVersion = 0;
  bool ready = false;
};

} // namespace goodhart::cuda

#endif // GOODHART_RUNNERS_CUDNN_CUDNNBACKEND_H
