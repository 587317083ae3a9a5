//===- PostOps.h - Parsing and validation of layer post-ops -----*- C++ -*-===//
//
// The post-ops of a layer (attrs "post_ops", docs/RUNNER-PROTOCOL.md 1.2):
// what a conv2d, inner_product or matmul layer applies to its result before
// storing it, in order, as oneDNN's post-ops. Layer::postOps() parses them
// (runners/common/Plan.h declares PostOp); validatePostOps checks them
// against the plan's tensors.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_COMMON_POSTOPS_H
#define GOODHART_RUNNERS_COMMON_POSTOPS_H

#include "runners/common/Plan.h"

#include <string_view>

namespace goodhart {

/// "sum", "eltwise" or "binary".
std::string_view postOpKindName(PostOp::Kind kind);

/// Whether `op` is a binary post-op's operation (add, sub, mul, div, max,
/// min: the binary layer kind's ops without pow).
bool isBinaryPostOpName(std::string_view op);

/// Whether a post-op of `kind` reads a layer input (sum and binary do).
inline bool postOpHasOperand(PostOp::Kind kind) {
  return kind == PostOp::Kind::kSum || kind == PostOp::Kind::kBinary;
}

/// Checks `layer`'s post-ops against the plan: allowed on its kind, operand
/// positions after the kind's own inputs in post-op order, a sum operand of
/// the output's shape, a binary operand that broadcasts to it (numpy rules,
/// size-1 dims, no higher rank). Messages name the layer and the entry.
Status validatePostOps(const Plan &plan, const Layer &layer);

} // namespace goodhart

#endif // GOODHART_RUNNERS_COMMON_POSTOPS_H
