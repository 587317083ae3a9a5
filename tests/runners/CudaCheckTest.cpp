//===- CudaCheckTest.cpp - Vendor status codes as goodhart Status ---------===//
//
// What a failed CUDA, cuDNN or cuBLASLt call becomes: the call, file:line and
// the vendor's status string, and kUnsupported only where the library says it
// does not support what was asked (the runner then falls back or skips).
// No GPU needed: the status strings are the libraries' own tables.
//
//===----------------------------------------------------------------------===//

#include "runners/cudnn/CudaCheck.h"

#include <gtest/gtest.h>

namespace goodhart::cuda {
namespace {

Status cudnnCall(cudnnStatus_t s) {
  GOODHART_CUDNN_CHECK(s);
  return Status::ok();
}

Status cublasCall(cublasStatus_t s) {
  GOODHART_CUBLAS_CHECK(s);
  return Status::ok();
}

Status cudaCall(cudaError_t e) {
  GOODHART_CUDA_CHECK(e);
  return Status::ok();
}

bool mentions(const Status &s, const std::string &what) {
  return s.message().find(what) != std::string::npos;
}

TEST(CudaCheckTest, CudnnNotSupportedCategoryIsUnsupported) {
  EXPECT_TRUE(cudnnCall(CUDNN_STATUS_SUCCESS).isOk());
  for (cudnnStatus_t s :
       {CUDNN_STATUS_NOT_SUPPORTED, CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN,
        CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE,
        CUDNN_STATUS_NOT_SUPPORTED_INVALID_DYNAMIC_SHAPE}) {
    Status st = cudnnCall(s);
    EXPECT_EQ(st.code(), StatusCode::kUnsupported) << st.message();
    EXPECT_TRUE(mentions(st, "CudaCheckTest.cpp:")) << st.message();
    EXPECT_TRUE(mentions(st, cudnnGetErrorString(s))) << st.message();
  }
  for (cudnnStatus_t s :
       {CUDNN_STATUS_BAD_PARAM, CUDNN_STATUS_NOT_INITIALIZED,
        CUDNN_STATUS_INTERNAL_ERROR, CUDNN_STATUS_EXECUTION_FAILED})
    EXPECT_EQ(cudnnCall(s).code(), StatusCode::kBackendError);
}

TEST(CudaCheckTest, CublasSaysWhichStatusByName) {
  EXPECT_TRUE(cublasCall(CUBLAS_STATUS_SUCCESS).isOk());
  Status unsupported = cublasCall(CUBLAS_STATUS_NOT_SUPPORTED);
  EXPECT_EQ(unsupported.code(), StatusCode::kUnsupported);
  EXPECT_TRUE(mentions(unsupported, "CUBLAS_STATUS_NOT_SUPPORTED"))
      << unsupported.message();
  Status bad = cublasCall(CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(bad.code(), StatusCode::kBackendError);
  EXPECT_TRUE(mentions(bad, "CUBLAS_STATUS_INVALID_VALUE")) << bad.message();
}

TEST(CudaCheckTest, CudaErrorsAreBackendErrors) {
  EXPECT_TRUE(cudaCall(cudaSuccess).isOk());
  Status st = cudaCall(cudaErrorMemoryAllocation);
  EXPECT_EQ(st.code(), StatusCode::kBackendError);
  EXPECT_TRUE(mentions(st, cudaGetErrorString(cudaErrorMemoryAllocation)))
      << st.message();
}

} // namespace
} // namespace goodhart::cuda
