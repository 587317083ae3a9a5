//===- CudnnRunner.cpp - goodhart-runner-cudnn ----------------------------===//
//
// Runs plans on an NVIDIA GPU through cuDNN 9 and cuBLASLt, speaking the
// runner protocol (docs/RUNNER-PROTOCOL.md). Needs only CUDA and cuDNN.
//
//===----------------------------------------------------------------------===//

#include "runners/common/Backend.h"
#include "runners/cudnn/CudnnBackend.h"

int main(int argc, char **argv) {
  return goodhart::runnerMain(argc, argv, [] {
    return std::make_unique<goodhart::cuda::CudnnBackend>();
  });
}
