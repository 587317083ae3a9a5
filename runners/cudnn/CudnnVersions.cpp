//===- CudnnVersions.cpp - Which NVIDIA libraries a run used --------------===//

#include "runners/cudnn/CudnnVersions.h"

#include <cublasLt.h>
#include <cuda_runtime.h>
#include <cudnn.h>

namespace goodhart::cuda {

std::string dottedVersion(size_t version) {
  return std::to_string(version / 10000) + "." +
         std::to_string(version % 10000 / 100) + "." +
         std::to_string(version % 100);
}

std::string cudaVersion(int version) {
  if (version <= 0)
    return "none";
  return std::to_string(version / 1000) + "." +
         std::to_string(version % 1000 / 10);
}

nlohmann::json libraryVersions() {
  nlohmann::json v;
  v["cudnn_version"] = dottedVersion(cudnnGetVersion());
  v["cudnn_header_version"] = dottedVersion(CUDNN_VERSION);
  v["cublaslt_version"] = dottedVersion(cublasLtGetVersion());
  v["cublaslt_header_version"] = dottedVersion(CUBLAS_VERSION);
  v["cublaslt_cudart_version"] =
      cudaVersion(static_cast<int>(cublasLtGetCudartVersion()));
  int runtime = 0, driver = 0;
  v["cuda_runtime_version"] = cudaRuntimeGetVersion(&runtime) == cudaSuccess
                                  ? cudaVersion(runtime)
                                  : "none";
  v["cuda_driver_version"] = cudaDriverGetVersion(&driver) == cudaSuccess
                                 ? cudaVersion(driver)
                                 : "none";
  return v;
}

} // namespace goodhart::cuda
