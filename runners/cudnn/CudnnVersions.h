//===- CudnnVersions.h - Which NVIDIA libraries a run used ------*- C++ -*-===//
//
// Every cuDNN run records the versions of the libraries it loaded (not
// only the ones it was compiled against): cuDNN, cuBLASLt, the CUDA
// runtime and the driver. None of these calls needs a GPU.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_CUDNN_CUDNNVERSIONS_H
#define GOODHART_RUNNERS_CUDNN_CUDNNVERSIONS_H

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

namespace goodhart::cuda {

/// "9.19.0" from cuDNN's and cuBLAS's major * 10000 + minor * 100 + patch.
std::string dottedVersion(size_t version);
/// "13.0" from CUDA's 1000 * major + 10 * minor; "none" for 0.
std::string cudaVersion(int version);

/// cudnn_version and cudnn_header_version, cublaslt_version and
/// cublaslt_header_version, cublaslt_cudart_version, cuda_runtime_version
/// and cuda_driver_version ("none" without a driver), as strings.
nlohmann::json libraryVersions();

} // namespace goodhart::cuda

#endif // GOODHART_RUNNERS_CUDNN_CUDNNVERSIONS_H
