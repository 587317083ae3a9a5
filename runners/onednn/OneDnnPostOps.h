//===- OneDnnPostOps.h - Plan post-ops as oneDNN 2.6 attributes -*- C++ -*-===//
//
// A conv2d, inner_product or matmul layer's post-ops (runners/common/PostOps.h)
// as a oneDNN primitive_attr: append_sum, append_eltwise and append_binary.
// A binary operand is one more execution argument of the primitive,
// DNNL_ARG_ATTR_MULTIPLE_POST_OP(i) | DNNL_ARG_SRC_1, described in the
// primitive's destination dims with size-1 dims where it broadcasts.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_ONEDNN_ONEDNNPOSTOPS_H
#define GOODHART_RUNNERS_ONEDNN_ONEDNNPOSTOPS_H

#include "runners/onednn/OneDnnPrimitives.h"

#include <functional>

namespace goodhart::onednn {

/// An eltwise op (an eltwise layer's or post-op's attributes) as oneDNN's
/// algorithm with its alpha and beta.
struct EltwiseAlg {
  dnnl::algorithm alg;
  float alpha = 0, beta = 0;
};
std::optional<EltwiseAlg> eltwiseAlg(const nlohmann::json &attrs);

/// A binary op name (add, sub, mul, div, max, min) as oneDNN's algorithm.
std::optional<dnnl::algorithm> binaryAlg(const std::string &op);

/// The memory descriptor of a binary post-op operand in the primitive's
/// destination dims (plain, row-major over the operand's own elements), or
/// nullopt when the primitive cannot express its broadcast.
using OperandDesc =
    std::function<std::optional<dnnl::memory::desc>(const TensorDesc &)>;

/// The layer's post-ops: the attribute, the operand of its sum (-1: none;
/// oneDNN takes at most one) and the execution arguments of its binary
/// operands. kUnsupported (a skip) when oneDNN 2.6 cannot apply one.
struct PostOpAttr {
  dnnl::primitive_attr attr;
  int64_t sumInput = -1;
  std::vector<BuiltLayer::Arg> binaryArgs;
};
StatusOr<PostOpAttr> postOpAttr(const Plan &plan, const Layer &layer,
                                const OperandDesc &operandDesc);

/// `t` described with the rank of a `rank`-dimensional destination (leading
/// size-1 dims added), as plainDesc describes plan tensors (rank 4: NHWC
/// data in NCHW logical dims).
std::optional<dnnl::memory::desc> broadcastDesc(const TensorDesc &t,
                                                size_t rank);

} // namespace goodhart::onednn

#endif // GOODHART_RUNNERS_ONEDNN_ONEDNNPOSTOPS_H
