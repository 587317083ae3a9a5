//===- CudnnFusion.h - What a layer's bias and post-ops fuse into -*- C++
//-*-===//
//
// A conv2d, inner_product or matmul layer carries a bias and post-ops
// (runners/common/PostOps.h). In eager mode (the default, as PyTorch's
// eager mode) they run as in-place pointwise kernels after the layer's own.
// With the measurement option fusion "graph" they run as a compiling
// framework would run them, inside the layer's kernel where the library
// can:
//   - a convolution, its bias and all its post-ops are one cuDNN graph
//     (convolution, then a chain of pointwise operations on virtual f32
//     intermediates: cuDNN's runtime fusion);
//   - a GEMM takes, in post-op order, a multiplication by a one-valued
//     constant as alpha (before anything else is added), one sum as C with
//     beta 1, its bias as the bias epilogue and a ReLU or tanh-GELU as the
//     epilogue's activation; the post-ops after the first one it cannot
//     take run eagerly after it. cuBLASLt's GELU is the tanh approximation,
//     so an exact (erf) GELU stays a kernel of its own.
// This file decides what fuses (plain logic, tested on any machine); the
// executors are in CudnnLayers.cpp (buildFusedConv) and CudnnGemm.cpp
// (buildFusedGemm).
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_CUDNN_CUDNNFUSION_H
#define GOODHART_RUNNERS_CUDNN_CUDNNFUSION_H

#include "runners/cudnn/CudnnGraph.h"

#include <string>
#include <vector>

namespace goodhart::cuda {

/// dst = MODE(dst), or dst = dst MODE operand (broadcast to dst's shape).
struct InPlaceOp {
  cudnnPointwiseMode_t mode;
  const TensorDesc *operand = nullptr;
  bool clip = false;
  double lower = 0, upper = 0;
};

/// One post-op as a cuDNN pointwise operation on the layer's output.
struct PostOpStep {
  std::string name; // "sum", "relu", "mul", ...
  InPlaceOp op;
};

/// `layer`'s post-ops in order; kUnsupported names one that has no cuDNN
/// pointwise mode.
StatusOr<std::vector<PostOpStep>> postOpSteps(const Plan &plan,
                                              const Layer &layer);

/// A convolution's bias and post-ops as the steps of its fused graph.
struct ConvChain {
  std::vector<ChainStep> steps;
  std::vector<int64_t> operandIds;  // plan tensor of each operand, in order
  std::vector<int64_t> operandUids; // its uid in the graph (10, 11, ...)
  std::string names;                // "bias, sum, relu"
};

/// The fused graph's steps for conv2d `layer` stored in `layout`.
StatusOr<ConvChain> convChain(const Plan &plan, const Layer &layer,
                              DeviceLayout layout);

/// What cuBLASLt takes over of a GEMM layer's bias and post-ops.
struct GemmFusion {
  enum class Activation { kNone, kRelu, kGelu };
  const TensorDesc *bias = nullptr;     // the bias epilogue
  const TensorDesc *residual = nullptr; // C, with beta 1
  Activation activation = Activation::kNone;
  float alpha = 1;
  /// How many of the layer's post-ops it takes (a prefix); the rest run
  /// after it as in-place kernels.
  size_t postOpsFused = 0;
  /// Why the post-op after the fused prefix is not fused ("" if none is
  /// left).
  std::string stopReason;
  /// "alpha 0.125, residual as C (beta 1), bias + relu epilogue".
  std::string describe() const;
};

/// The fusion of inner_product or matmul `layer`. A bias the epilogue
/// cannot take (another element type than the output's) is left to a
/// kernel after the GEMM (`bias` null), and with it every post-op.
StatusOr<GemmFusion> gemmFusion(const Plan &plan, const Layer &layer);

} // namespace goodhart::cuda

#endif // GOODHART_RUNNERS_CUDNN_CUDNNFUSION_H
