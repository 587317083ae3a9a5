//===- BlockingKernel.cu - Hold a stream until its launches are queued ----===//

#include "runners/cudnn/BlockingKernel.h"

#include <string>
#include <utility>

namespace goodhart::cuda {
namespace {

__device__ inline uint64_t globalTimerNs() {
  uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

/// One thread spins on flags[0] (the host's release) and sets flags[1] when
/// it gives up after `timeoutNs`.
__global__ void spinUntilReleased(volatile int32_t *flags, uint64_t timeoutNs) {
  const uint64_t start = globalTimerNs();
  while (flags[0] == 0) {
    if (globalTimerNs() - start > timeoutNs) {
      flags[1] = 1;
      break;
    }
  }
  __threadfence_system();
}

} // namespace

StatusOr<std::unique_ptr<BlockingKernel>> BlockingKernel::create() {
  std::unique_ptr<BlockingKernel> k(new BlockingKernel());
  void *host = nullptr;
  cudaError_t e = cudaHostAlloc(&host, 2 * sizeof(int32_t),
                                cudaHostAllocMapped | cudaHostAllocPortable);
  if (e != cudaSuccess)
    return Status(StatusCode::kUnsupported,
                  std::string("blocking kernel: cudaHostAlloc: ") +
                      cudaGetErrorString(e));
  k->host = static_cast<volatile int32_t *>(host);
  k->host[0] = k->host[1] = 0;
  void *device = nullptr;
  e = cudaHostGetDevicePointer(&device, host, 0);
  if (e != cudaSuccess)
    return Status(StatusCode::kUnsupported,
                  std::string("blocking kernel: cudaHostGetDevicePointer: ") +
                      cudaGetErrorString(e));
  k->device = static_cast<int32_t *>(device);
  return StatusOr<std::unique_ptr<BlockingKernel>>(std::move(k));
}

BlockingKernel::~BlockingKernel() {
  if (host)
    cudaFreeHost(const_cast<int32_t *>(host));
}

cudaError_t BlockingKernel::block(cudaStream_t stream, uint64_t timeoutNs) {
  host[0] = 0;
  host[1] = 0;
  // cudaGetLastError returns any earlier call's error (an allocation that
  // failed, a query that found work pending): cleared, so only the
  // launch's own is returned.
  (void)cudaGetLastError();
  spinUntilReleased<<<1, 1, 0, stream>>>(device, timeoutNs);
  return cudaGetLastError();
}

void BlockingKernel::release() { host[0] = 1; }

bool BlockingKernel::timedOut() const { return host[1] != 0; }

} // namespace goodhart::cuda
