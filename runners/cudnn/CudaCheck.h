//===- CudaCheck.h - Vendor status codes as goodhart Status -----*- C++ -*-===//
//
// Every CUDA, cuDNN and cuBLASLt call goes through these macros: a failure
// returns a Status carrying the call, file:line and the vendor's own status
// string. Its code is kUnsupported where the library says it does not support
// what was asked (cuDNN's NOT_SUPPORTED category, CUBLAS_STATUS_NOT_SUPPORTED):
// the caller may fall back to another path, and a layer nothing runs is a
// skip with that reason. Every other failure is kBackendError.
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
                          const std::string &what,
                          StatusCode code = StatusCode::kBackendError) {
  return Status(code, std::string(call) + " failed at " + file + ":" +
                          std::to_string(line) + ": " + what);
}

inline StatusCode cudnnStatusCode(cudnnStatus_t status) {
  return CUDNN_STATUS_CATEGORY(status) == CUDNN_STATUS_NOT_SUPPORTED
             ? StatusCode::kUnsupported
             : StatusCode::kBackendError;
}

inline StatusCode cublasStatusCode(cublasStatus_t status) {
  return status == CUBLAS_STATUS_NOT_SUPPORTED ? StatusCode::kUnsupported
                                               : StatusCode::kBackendError;
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
      return ::goodhart::cuda::vendorError(                                    \
          #call, __FILE__, __LINE__, cudnnGetErrorString(goodhartErr_),        \
          ::goodhart::cuda::cudnnStatusCode(goodhartErr_));                    \
  } while (false)

#define GOODHART_CUBLAS_CHECK(call)                                            \
  do {                                                                         \
    cublasStatus_t goodhartErr_ = (call);                                      \
    if (goodhartErr_ != CUBLAS_STATUS_SUCCESS)                                 \
      return ::goodhart::cuda::vendorError(                                    \
          #call, __FILE__, __LINE__,                                           \
          std::string(cublasLtGetStatusName(goodhartErr_)) + ": " +            \
              cublasLtGetStatusString(goodhartErr_),                           \
          ::goodhart::cuda::cublasStatusCode(goodhartErr_));                   \
  } while (false)

#endif // GOODHART_RUNNERS_CUDNN_CUDACHECK_H
