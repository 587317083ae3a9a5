//===- CudnnBackend.h - cuDNN 9 and cuBLASLt on an NVIDIA GPU ---*- C++ -*-===//
#ifndef GOODHART_RUNNERS_CUDNN_CUDNNBACKEND_H
#define GOODHART_RUNNERS_CUDNN_CUDNNBACKEND_H

#include "runners/common/Backend.h"
#include "runners/cudnn/BlockingKernel.h"
#include "runners/cudnn/CudnnLayers.h"
#include "runners/cudnn/NvmlLoader.h"

#include <functional>
#include <optional>
#include <string>

namespace goodhart::cuda {

/// Versions, device facts and NVML telemetry are recorded with every run
/// (info()'s extra and each measurement's extra); the layout and TF32
/// options of a measurement decide how its layers are built.
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
  /// Device buffers for the tensors `tensorIds`; those `fill` accepts get
  /// the plan's seeded values, the others are poisoned with NaNs (all bits
  /// set) when `poison`, so an output element a kernel does not write
  /// fails the check. A reshape's output aliases its input where it is a
  /// view (reshapeMovesData says when it is a copy). Rank-4 tensors
  /// are stored as `layout` says (transposed on upload).
  StatusOr<std::vector<std::shared_ptr<DeviceBuffer>>>
  allocateTensors(const Plan &plan, const std::vector<int64_t> &tensorIds,
                  uint64_t seed, DeviceLayout layout,
                  const std::function<bool(int64_t)> &fill, bool poison);
  /// Times `run` with CUDA events through the shared harness; NVML
  /// readings after each sample become the measurement's extra. With
  /// `deviceOnly`, each sample's launches queue behind a blocking kernel
  /// (BlockingKernel.h) so the events time the device's work, not the
  /// library's host code; extra "timing" says which it was.
  Measurement timeOnDevice(const std::function<Status()> &run,
                           const MeasureOptions &options, bool deviceOnly);
  /// With NVML: runs `run` back to back for an EnergyWindow after `m` was
  /// sampled, and makes the window's steady power m's "power_w" (the
  /// sampling's figures become "sampling_power_w" ...); without a closed
  /// window, "energy_window" says why. An error leaves m's times as they
  /// are.
  Status steadyPower(const std::function<Status()> &run, Measurement &m);
  /// Measures the peak GFLOP/s per type (CudnnPeak.h) and the copy GB/s
  /// on the first measurement that asks for it (options.measurePeak);
  /// info() reports them.
  void ensurePeak(const MeasureOptions &options);
  /// GB/s of a device-to-device cudaMemcpyAsync of kPeakCopyBytes (bytes
  /// read plus written / best of a few, CUDA events): the ceiling of the
  /// layers that only move data.
  StatusOr<double> measureCopyGbs();
  /// The tensor's values in plan (row-major NHWC) order.
  StatusOr<std::vector<float>> download(const TensorDesc &t, const void *p,
                                        DeviceLayout layout);

  CudaContext context;
  std::unique_ptr<PlanCache> planCache; // context.plans; before the handle
  cudaEvent_t start = nullptr, stop = nullptr;
  std::shared_ptr<DeviceBuffer> flushBuffer;
  cudaDeviceProp properties{};
  int driverVersion = 0, runtimeVersion = 0;
  std::string pciBusId;
  std::unique_ptr<NvmlDevice> nvml; // null: nvmlReason says why
  std::string nvmlReason;
  nlohmann::json peakGflops;               // null until measured
  std::optional<double> peakGbs;           // measured with peakGflops
  std::string peakGbsError;                // why there is no peakGbs
  std::unique_ptr<BlockingKernel> blocker; // null: blockerReason says why
  std::string blockerReason;
  bool ready = false;
};

} // namespace goodhart::cuda

#endif // GOODHART_RUNNERS_CUDNN_CUDNNBACKEND_H
