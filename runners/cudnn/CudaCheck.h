//===- CudaCheck.h - Vendor status codes as goodhart Status -----*- C++ -*-===//
//
// Every CUDA, cuDNN and cuBLASLt call goes through these macros: a failure
// returns a kBackendError Status carrying the call, file:line and the
// vendor's own status string.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_CUDNN_CUDACHECK_H
#define GOODHART_RUNNERS_CUDNN_CUDACHECK_H

#include "runners/common/Status.h"

#include <cublasLt.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <string>

namespace goodhart::cuda {

inline Status vendorError(const char *call, const char *file, int line,
                          const std::string &what) {
  return Status(StatusCode::kBackendError,
                std::string(call) + " failed at " + file + ":" +
                    std::to_string(line) + ": " + what);
}

} // namespace goodhart::cuda

#define GOODHART_CUDA_CHECK(call)                                              \
  do {                                                                         \
    cudaError_t goodhartErr_ = (call);                                         \
    if (goodhartErr_ != cudaSuccess)                                           \
      return ::goodhart::cuda::vendorError(#call, __FILE__, __LINE__,          \
                                           cudaGetErrorString(goodhartErr_));  \
  } while (false)

#define GOODHART_CUDNN_CHECK(call)                                             \
  do {                                                                         \
    cudnnStatus_t goodhartErr_ = (call);                                       \
    if (goodhartErr_ != CUDNN_STATUS_SUCCESS)                                  \
      return ::goodhart::cuda::vendorError(#call, __FILE__, __LINE__,          \
                                           cudnnGetErrorString(goodhartErr_)); \
  } while (false)

#define GOODHART_CUBLAS_CHECK(call)                                            \
  do {                                                                         \
    cublasStatus_t goodhartErr_ = (call);                                      \
    if (goodhartErr_ != CUBLAS_STATUS_SUCCESS)                                 \
      return ::goodhart::cuda::vendorError(                                    \
          #call, __FILE__, __LINE__,                                           \
          "cublasStatus " + std::to_string(static_cast<int>(goodhartErr_)));   \
  } while (false)

#endif // GOODHART_RUNNERS_CUDNN_CUDACHECK_H
