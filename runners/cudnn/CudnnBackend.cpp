//===- CudnnBackend.cpp - cuDNN 9 and cuBLASLt on an NVIDIA GPU -----------===//

#include "runners/cudnn/CudnnBackend.h"

#include "runners/common/DataFill.h"
#include "runners/common/Harness.h"
#include "runners/cudnn/BlockingKernel.h"
#include "runners/cudnn/CudaCheck.h"
#include "runners/cudnn/CudnnHostData.h"
#include "runners/cudnn/CudnnPeak.h"
#include "runners/cudnn/CudnnRepro.h"
#include "runners/cudnn/CudnnVersions.h"
#include "runners/cudnn/EnergyWindow.h"
#include "runners/cudnn/GpuTelemetry.h"
#include "runners/reference/Reference.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>

namespace goodhart::cuda {
namespace {

// 0.2.0: strict f32 by default (TF32 engines were chosen before), layouts,
// more kinds, NVML telemetry. 0.3.0: post-ops (after the layer, in place)
// and inner products; a conv's bias added in place. 0.4.0: execution
// plans cached by graph; NVML read at most every kTelemetryIntervalMs.
// 0.5.0: pointwise ops cuDNN has no graph engine for (NCHW) run on the
// descriptor API. 0.6.0: transposes, casts and strided copies on
// goodhart's own kernel instead of cudnnTransformTensor. 0.7.0: fusion
// "graph" (CudnnFusion.h); pointwise ops above rank 4. 0.8.0: a whole
// model's power from an energy window (EnergyWindow.h); the measured peak
// GFLOP/s per type (CudnnPeak.h); layers timed behind a blocking kernel
// (BlockingKernel.h). 0.9.0: the copy peak (runner info peak_gbs); swish's
// beta set on the descriptor API. 0.10.0: pointwise ops above rank 4 as
// channels-last views; what cuDNN or cuBLASLt does not support falls back
// (fused to eager, graph to descriptor API) or is a skip; host data of
// every element type; an untimed run before the blocking kernel.
constexpr const char *kRunnerVersion = "0.10.0";

Measurement skipped(const std::string &reason) {
  Measurement m;
  m.status = ResultStatus::kSkipped;
  m.reason = reason;
  return m;
}

/// Device pointers indexed by tensor id (null where nothing is allocated).
std::vector<void *>
devicePointers(const std::vector<std::shared_ptr<DeviceBuffer>> &buffers) {
  std::vector<void *> pointers(buffers.size(), nullptr);
  for (size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i])
      pointers[i] = buffers[i]->data();
  return pointers;
}

BuildOptions buildOptions(const MeasureOptions &options) {
  return BuildOptions{options.tf32, parseDeviceLayout(options.layout),
                      options.fusion == "graph"};
}

} // namespace

CudnnBackend::~CudnnBackend() {
  context.plans = nullptr;
  planCache.reset(); // its plans were made with the handle
  nvml.reset();
  blocker.reset();
  flushBuffer.reset();
  context.gemmWorkspace.reset();
  if (start)
    cudaEventDestroy(start);
  if (stop)
    cudaEventDestroy(stop);
  if (context.lt)
    cublasLtDestroy(context.lt);
  if (context.cudnn)
    cudnnDestroy(context.cudnn);
  if (context.stream)
    cudaStreamDestroy(context.stream);
}

Status CudnnBackend::initialize() {
  int devices = 0;
  cudaError_t err = cudaGetDeviceCount(&devices);
  if (err != cudaSuccess || devices == 0)
    return unsupported(
        std::string("no CUDA device: ") +
        (err != cudaSuccess ? cudaGetErrorString(err) : "none found"));
  cudnnStatus_t s = cudnnCreate(&context.cudnn);
  if (s != CUDNN_STATUS_SUCCESS)
    return unsupported(std::string("cudnnCreate: ") + cudnnGetErrorString(s));
  GOODHART_CUDA_CHECK(cudaGetDeviceProperties(&properties, 0));
  char busId[32] = {0};
  GOODHART_CUDA_CHECK(cudaDeviceGetPCIBusId(busId, sizeof(busId), 0));
  pciBusId = busId;
  auto opened = NvmlDevice::open(pciBusId);
  if (opened)
    nvml = std::move(*opened);
  else
    nvmlReason = opened.status().message();
  GOODHART_CUDA_CHECK(cudaDriverGetVersion(&driverVersion));
  GOODHART_CUDA_CHECK(cudaRuntimeGetVersion(&runtimeVersion));
  GOODHART_CUDA_CHECK(cudaStreamCreate(&context.stream));
  GOODHART_CUDNN_CHECK(cudnnSetStream(context.cudnn, context.stream));
  planCache = std::make_unique<PlanCache>();
  context.plans = planCache.get();
  GOODHART_CUBLAS_CHECK(cublasLtCreate(&context.lt));
  GOODHART_CUDA_CHECK(cudaEventCreate(&start));
  GOODHART_CUDA_CHECK(cudaEventCreate(&stop));
  auto flush =
      DeviceBuffer::allocate(2 * static_cast<size_t>(properties.l2CacheSize));
  if (!flush)
    return flush.status();
  flushBuffer = *flush;
  auto gemmWorkspace = DeviceBuffer::allocate(kGemmWorkspaceBytes);
  if (!gemmWorkspace)
    return gemmWorkspace.status();
  context.gemmWorkspace = *gemmWorkspace;
  auto blocking = BlockingKernel::create();
  if (blocking)
    blocker = std::move(*blocking);
  else
    blockerReason = blocking.status().message();
  ready = true;
  return Status::ok();
}

RunnerInfo CudnnBackend::info() const {
  RunnerInfo info;
  info.name = "cudnn";
  info.runnerVersion = kRunnerVersion;
  info.library = "cuDNN";
  info.libraryVersion = dottedVersion(cudnnGetVersion());
  info.device = ready ? properties.name : "no device";
  info.isa = ready ? "sm_" + std::to_string(properties.major) +
                         std::to_string(properties.minor)
                   : "";
  info.threads = 1;
  info.kinds = {"conv2d",    "eltwise", "binary",        "pool2d", "matmul",
                "reshape",   "softmax", "reduce",        "norm",   "slice",
                "transpose", "concat",  "inner_product", "cast"};
  info.dtypes = {"f32", "f16", "bf16"};
  info.extra = libraryVersions();
  // Applied as pointwise kernels after the layer (CudnnPostOps.cpp).
  info.extra["post_ops"] = {"sum", "eltwise", "binary"};
  if (ready) {
    info.extra["compute_capability"] = std::to_string(properties.major) + "." +
                                       std::to_string(properties.minor);
    info.extra["sm_count"] = properties.multiProcessorCount;
    info.extra["l2_bytes"] = properties.l2CacheSize;
    info.extra["memory_bytes"] = properties.totalGlobalMem;
    info.extra["pci_bus_id"] = pciBusId;
    if (planCache)
      info.extra["plan_cache"] = {{"plans", planCache->size()},
                                  {"planned", planCache->misses},
                                  {"reused", planCache->hits}};
    if (nvml) {
      info.extra["driver_version"] = nvml->driverVersion();
      if (nvml->maxSmClockMhz())
        info.extra["sm_clock_max_mhz"] = *nvml->maxSmClockMhz();
    } else {
      info.extra["nvml"] = nvmlReason;
    }
  }
  if (!peakGflops.is_null())
    info.extra["peak_gflops"] = peakGflops;
  if (peakGbs)
    info.extra["peak_gbs"] = *peakGbs;
  else if (!peakGbsError.empty())
    info.extra["peak_gbs_error"] = peakGbsError;
  return info;
}

StatusOr<std::vector<std::shared_ptr<DeviceBuffer>>>
CudnnBackend::allocateTensors(const Plan &plan,
                              const std::vector<int64_t> &tensorIds,
                              uint64_t seed, DeviceLayout layout,
                              const std::function<bool(int64_t)> &fill,
                              bool poison) {
  std::vector<std::shared_ptr<DeviceBuffer>> buffers(plan.tensors.size());
  for (int64_t id : tensorIds) {
    const TensorDesc &t = plan.tensor(id);
    int64_t producer = plan.producerOf(id);
    if (producer >= 0 && plan.layers[producer].kind == LayerKind::kReshape &&
        buffers[plan.layers[producer].inputs[0]] &&
        !reshapeMovesData(plan.tensor(plan.layers[producer].inputs[0]).shape,
                          t.shape, layout)) {
      buffers[id] = buffers[plan.layers[producer].inputs[0]];
      continue;
    }
    auto b = DeviceBuffer::allocate(t.sizeInBytes());
    if (!b)
      return b.status();
    buffers[id] = *b;
    if (!fill(id)) {
      if (poison)
        GOODHART_CUDA_CHECK(cudaMemset((*b)->data(), 0xff, t.sizeInBytes()));
      continue;
    }
    std::vector<char> bytes =
        deviceBytes(t, seededTensorData(plan, id, seed), layout);
    GOODHART_CUDA_CHECK(cudaMemcpy((*b)->data(), bytes.data(), bytes.size(),
                                   cudaMemcpyHostToDevice));
  }
  return buffers;
}

StatusOr<std::vector<float>> CudnnBackend::download(const TensorDesc &t,
                                                    const void *p,
                                                    DeviceLayout layout) {
  std::vector<char> bytes(t.sizeInBytes());
  GOODHART_CUDA_CHECK(cudaStreamSynchronize(context.stream));
  GOODHART_CUDA_CHECK(
      cudaMemcpy(bytes.data(), p, bytes.size(), cudaMemcpyDeviceToHost));
  return hostValues(t, bytes, layout);
}

Measurement CudnnBackend::timeOnDevice(const std::function<Status()> &run,
                                       const MeasureOptions &options,
                                       bool deviceOnly) {
  int salt = 0;
  TelemetryRecorder telemetry(nvml.get(), nvmlReason, kTelemetryIntervalMs);
  // Behind the blocking kernel while it keeps its promise: after
  // kBlockingGiveUp timeouts and no release in time, the samples go on
  // without it.
  BlockingKernel *hold = deviceOnly ? blocker.get() : nullptr;
  // One untimed run first: CUDA loads modules lazily, and a first launch
  // queued behind the blocking kernel would wait for it to time out. A run
  // that fails fails again as the first sample, which says how.
  if (hold && run().isOk())
    cudaStreamSynchronize(context.stream);
  int calls = 0, timeouts = 0;
  cudaError_t flushed = cudaSuccess;
  Measurement m = runMeasurement(
      [&]() -> StatusOr<double> {
        GOODHART_CUDA_CHECK(flushed);
        BlockingKernel *held = hold;
        if (held)
          GOODHART_CUDA_CHECK(held->block(context.stream));
        // Whatever fails below, the blocking kernel is released before any
        // wait on the stream.
        cudaError_t started = cudaEventRecord(start, context.stream);
        Status ran = started == cudaSuccess ? run() : Status::ok();
        cudaError_t recorded = cudaEventRecord(stop, context.stream);
        if (held)
          held->release();
        GOODHART_CUDA_CHECK(started);
        GOODHART_RETURN_IF_ERROR(ran);
        GOODHART_CUDA_CHECK(recorded);
        GOODHART_CUDA_CHECK(cudaEventSynchronize(stop));
        ++calls;
        if (held && held->timedOut() && ++timeouts == calls &&
            timeouts >= kBlockingGiveUp)
          hold = nullptr;
        float ms = 0;
        GOODHART_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
        telemetry.afterSample();
        return static_cast<double>(ms) * 1e6;
      },
      options,
      [&] {
        if (options.coldCache)
          flushed = cudaMemsetAsync(flushBuffer->data(), ++salt & 0xff,
                                    flushBuffer->size(), context.stream);
      });
  if (m.status == ResultStatus::kOk) {
    telemetry.finish();
    m.extra = telemetry.summary(m.samplesNs.size());
    if (!deviceOnly)
      m.extra["timing"] = "from the host's first launch";
    else if (!blocker)
      m.extra["timing"] = "from the host's first launch (no blocking "
                          "kernel: " +
                          blockerReason + ")";
    else if (!hold)
      m.extra["timing"] = "from the host's first launch (the blocking "
                          "kernel timed out)";
    else if (timeouts > 0)
      m.extra["timing"] = "device work only (blocking kernel), but for " +
                          std::to_string(timeouts) + " of " +
                          std::to_string(calls) +
                          " samples where it timed out and host time counts";
    else
      m.extra["timing"] = "device work only (blocking kernel)";
    if (timeouts > 0)
      m.extra["blocking_timeouts"] = timeouts;
  }
  return m;
}

void CudnnBackend::ensurePeak(const MeasureOptions &options) {
  if (!options.measurePeak || !peakGflops.is_null())
    return;
  peakGflops = nlohmann::json::object();
  MeasureOptions peak = options;
  peak.check = false;
  peak.measurePeak = false;
  for (DType dtype : peakDtypes()) {
    Plan plan = peakMatmulPlan(dtype);
    LayerResult r = measureLayer(plan, plan.layers[0], peak);
    const std::string name(dtypeName(dtype));
    if (r.measurement.status == ResultStatus::kOk &&
        r.measurement.stats.minNs > 0)
      peakGflops[name] = static_cast<double>(plan.layers[0].flops) /
                         r.measurement.stats.minNs; // FLOP/ns = GFLOP/s
    else
      peakGflops["errors"][name] = r.measurement.reason;
  }
  if (options.tf32)
    peakGflops["f32_tf32"] = true; // the f32 peak is TF32's, as the layers
  StatusOr<double> gbs = measureCopyGbs();
  if (gbs)
    peakGbs = *gbs;
  else
    peakGbsError = gbs.status().message();
}

StatusOr<double> CudnnBackend::measureCopyGbs() {
  auto src = DeviceBuffer::allocate(kPeakCopyBytes);
  if (!src)
    return src.status().withContext("peak copy");
  auto dst = DeviceBuffer::allocate(kPeakCopyBytes);
  if (!dst)
    return dst.status().withContext("peak copy");
  GOODHART_CUDA_CHECK(
      cudaMemsetAsync((*src)->data(), 1, kPeakCopyBytes, context.stream));
  float best = 0;
  for (int r = 0; r <= kPeakCopyRepetitions; ++r) {
    GOODHART_CUDA_CHECK(cudaEventRecord(start, context.stream));
    GOODHART_CUDA_CHECK(
        cudaMemcpyAsync((*dst)->data(), (*src)->data(), kPeakCopyBytes,
                        cudaMemcpyDeviceToDevice, context.stream));
    GOODHART_CUDA_CHECK(cudaEventRecord(stop, context.stream));
    GOODHART_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    GOODHART_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    if (r > 0 && ms > 0 && (best == 0 || ms < best)) // r = 0 warms up
      best = ms;
  }
  if (best <= 0)
    return Status(StatusCode::kInternal, "peak copy: no time");
  return 2.0 * double(kPeakCopyBytes) / (double(best) * 1e6); // GB/s
}

Status CudnnBackend::steadyPower(const std::function<Status()> &run,
                                 Measurement &m) {
  if (!nvml || m.status != ResultStatus::kOk || m.stats.minNs <= 0)
    return Status::ok();
  // Batches of about kEnergyBatchMs of work, each queued before waiting
  // for the one before it: the device never waits for the host, and NVML
  // is read while it works.
  const double sampleMs = m.stats.minNs / 1e6;
  const int perBatch =
      std::max(1, static_cast<int>(std::ceil(kEnergyBatchMs / sampleMs)));
  EnergyWindow window(kModelEnergyWindowMs, kModelEnergyGiveUpMs);
  cudaEvent_t batchDone[2] = {start, stop};
  const auto begin = std::chrono::steady_clock::now();
  for (int batch = 0; !window.done(); ++batch) {
    for (int i = 0; i < perBatch; ++i)
      GOODHART_RETURN_IF_ERROR(run());
    GOODHART_CUDA_CHECK(cudaEventRecord(batchDone[batch % 2], context.stream));
    if (batch > 0)
      GOODHART_CUDA_CHECK(cudaEventSynchronize(batchDone[(batch - 1) % 2]));
    window.add(std::chrono::duration<double, std::milli>(
                   std::chrono::steady_clock::now() - begin)
                   .count(),
               nvml->read().energyMj);
  }
  GOODHART_CUDA_CHECK(cudaStreamSynchronize(context.stream));
  nlohmann::json steady = window.summary();
  if (!steady.contains("power_w")) {
    m.extra["energy_window"] = steady["energy_window"];
    return Status::ok();
  }
  // The sampling window's figures stay, renamed: they include host gaps.
  for (const char *key : {"power_w", "energy_mj", "energy_wall_ms"})
    if (m.extra.contains(key)) {
      m.extra[std::string("sampling_") + key] = m.extra[key];
      m.extra.erase(key);
    }
  m.extra.erase("energy");
  m.extra.update(steady);
  m.extra["power_source"] = "energy window";
  return Status::ok();
}

LayerResult CudnnBackend::measureLayer(const Plan &plan, const Layer &layer,
                                       const MeasureOptions &options) {
  ensurePeak(options);
  LayerResult result;
  result.id = layer.id;
  result.hash = layer.hash;
  result.check.reason = "check disabled (options.check)";
  const BuildOptions build = buildOptions(options);
  if (layer.kind == LayerKind::kReshape &&
      !reshapeMovesData(plan.tensor(layer.inputs[0]).shape,
                        plan.tensor(layer.outputs[0]).shape, build.layout)) {
    result.impl = "view";
    result.measurement = skipped("view: a reshape moves no data");
    return result;
  }
  result.repro = pytorchRepro(
      plan, layer,
      {options.tf32, build.layout == DeviceLayout::kNhwc, build.fuseGraph});
  std::vector<int64_t> ids = layer.inputs;
  const int64_t output = layer.outputs[0];
  ids.push_back(output);
  // The output is the layer's to write: poisoned, not filled.
  auto buffers = allocateTensors(
      plan, ids, options.seed, build.layout,
      [&](int64_t id) { return id != output; }, /*poison=*/true);
  if (!buffers) {
    result.measurement.status = ResultStatus::kError;
    result.measurement.reason = buffers.status().message();
    return result;
  }
  std::vector<void *> pointers = devicePointers(*buffers);
  auto exec = buildExecutor(context, plan, layer, pointers, build);
  if (!exec) {
    result.measurement = skipped(exec.status().message());
    return result;
  }
  result.impl = (*exec)->impl;
  result.measurement = timeOnDevice([&] { return (*exec)->run(); }, options,
                                    /*deviceOnly=*/true);
  if (options.check && result.measurement.status == ResultStatus::kOk) {
    const TensorDesc &out = plan.tensor(layer.outputs[0]);
    auto actual = download(out, pointers[out.id], build.layout);
    if (!actual) {
      result.check.verdict = CheckVerdict::kSkipped;
      result.check.reason = actual.status().message();
      return result;
    }
    std::map<int64_t, std::vector<float>> inputs;
    result.check = checkLayerOutput(
        plan, layer,
        [&](int64_t id) -> const std::vector<float> & {
          auto it = inputs.find(id);
          if (it == inputs.end()) {
            // What the device saw: seeded values rounded to the type.
            const TensorDesc &t = plan.tensor(id);
            it = inputs
                     .emplace(id, decode(encode(seededTensorData(plan, id,
                                                                 options.seed),
                                                t.dtype),
                                         t.dtype))
                     .first;
          }
          return it->second;
        },
        *actual, options.seed);
  }
  return result;
}

ModelResult CudnnBackend::measureModel(const Plan &plan,
                                       const MeasureOptions &options) {
  ensurePeak(options);
  ModelResult result;
  std::vector<int64_t> ids;
  for (const TensorDesc &t : plan.tensors)
    ids.push_back(t.id);
  const BuildOptions build = buildOptions(options);
  // Activations are written by the model before they are read: filling
  // them on the host would cost seconds for BERT-large at batch 8.
  auto buffers = allocateTensors(
      plan, ids, options.seed, build.layout,
      [&](int64_t id) { return plan.producerOf(id) < 0; }, /*poison=*/false);
  if (!buffers) {
    result.measurement.status = ResultStatus::kError;
    result.measurement.reason = buffers.status().message();
    return result;
  }
  std::vector<void *> pointers = devicePointers(*buffers);
  std::vector<std::unique_ptr<LayerExecutor>> steps;
  for (const Layer &layer : plan.layers) {
    // A reshape is a view unless a side is stored NCHW: then a copy.
    if (layer.kind == LayerKind::kReshape &&
        !reshapeMovesData(plan.tensor(layer.inputs[0]).shape,
                          plan.tensor(layer.outputs[0]).shape, build.layout))
      continue;
    auto exec = buildExecutor(context, plan, layer, pointers, build);
    if (!exec) {
      result.measurement = skipped(exec.status().message());
      return result;
    }
    steps.push_back(std::move(*exec));
  }
  auto runModel = [&]() -> Status {
    for (auto &step : steps)
      GOODHART_RETURN_IF_ERROR(step->run());
    return Status::ok();
  };
  // A whole model keeps the host's launches in its time: thousands of them
  // would overflow the launch queue behind a blocking kernel, and eager
  // frameworks pay them too.
  result.measurement = timeOnDevice(runModel, options, /*deviceOnly=*/false);
  if (Status power = steadyPower(runModel, result.measurement); !power.isOk())
    result.measurement.extra["energy_window"] = power.message();
  return result;
}

} // namespace goodhart::cuda
