//===- CudnnRepro.h - PyTorch lines that reproduce a layer ------*- C++ -*-===//
//
// A vendor reproduces a cuDNN or cuBLASLt layer most easily from PyTorch,
// which calls the same libraries: one line to paste into python, with the
// tensors created on the GPU in the layer's shapes, types and memory format
// and the TF32 switches set as the measurement had them. No CUDA types.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_CUDNN_CUDNNREPRO_H
#define GOODHART_RUNNERS_CUDNN_CUDNNREPRO_H

#include "runners/common/Plan.h"

#include <string>

namespace goodhart::cuda {

struct ReproOptions {
  bool tf32 = false;        // f32 layers may use TF32 tensor cores
  bool channelsLast = true; // conv and pooling tensors NHWC in memory
  bool fused = false;       // bias and post-ops fused (fusion "graph"): a note
};

/// e.g. "import torch; torch.backends.cudnn.allow_tf32=False;
/// x=torch.randn(1,64,56,56,device='cuda',dtype=torch.float32)
/// .to(memory_format=torch.channels_last); ...;
/// torch.nn.functional.conv2d(x,w,stride=(1,1),padding=(1,1),...)";
/// "" for layers without one (reshape, cast, unknown ops).
std::string pytorchRepro(const Plan &plan, const Layer &layer,
                         const ReproOptions &options);

} // namespace goodhart::cuda

#endif // GOODHART_RUNNERS_CUDNN_CUDNNREPRO_H
