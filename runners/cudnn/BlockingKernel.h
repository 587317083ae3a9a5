//===- BlockingKernel.h - Hold a stream until its launches are queued -*- C++
//-*-===//
//
// A layer's sample is a start event, the library's launches and a stop
// event. On an idle GPU the start event runs at once, and the kernels only
// when the library's host code has issued them: the sample then times
// cuDNN's host overhead (about 10 us per execute) more than a 3 us ReLU,
// and its jitter. nvbench's answer, used here for layers: a kernel that
// spins until the host releases it is queued first; the events and the
// library's launches queue behind it, and the release lets them run back
// to back, so the sample times the device's work.
//
// The spin gives up after a timeout (a host that blocks while enqueueing,
// for instance on a call that synchronizes the stream, would otherwise
// wait on it for ever) and says so; such a sample includes host time, and
// after repeated timeouts the measurement goes on without the kernel.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_CUDNN_BLOCKINGKERNEL_H
#define GOODHART_RUNNERS_CUDNN_BLOCKINGKERNEL_H

#include "runners/common/Status.h"

#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>

namespace goodhart::cuda {

/// How long the blocking kernel waits for its release, and after how many
/// timeouts in a row from a measurement's first sample it is given up.
inline constexpr uint64_t kBlockingTimeoutNs = 20'000'000;
inline constexpr int kBlockingGiveUp = 3;

class BlockingKernel {
public:
  /// Two flags in mapped pinned host memory; an error (no device) says why.
  static StatusOr<std::unique_ptr<BlockingKernel>> create();
  ~BlockingKernel();
  BlockingKernel(const BlockingKernel &) = delete;
  BlockingKernel &operator=(const BlockingKernel &) = delete;

  /// Queues the spinning kernel on `stream`. The previous block must be
  /// over (its stream synchronized).
  cudaError_t block(cudaStream_t stream,
                    uint64_t timeoutNs = kBlockingTimeoutNs);
  /// Lets the stream go on.
  void release();
  /// After the stream passed the kernel: whether it gave up waiting.
  bool timedOut() const;

private:
  BlockingKernel() = default;
  volatile int32_t *host = nullptr; // [0] released, [1] timed out
  int32_t *device = nullptr;        // the same memory, as the GPU sees it
};

} // namespace goodhart::cuda

#endif // GOODHART_RUNNERS_CUDNN_BLOCKINGKERNEL_H
