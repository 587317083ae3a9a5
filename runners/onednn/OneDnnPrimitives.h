//===- OneDnnPrimitives.h - Plan layers as oneDNN 2.6 primitives -*- C++
//-*-===//
//
// Builds the oneDNN primitive of one plan layer with the v2 API (operation
// descriptors). Rank-4 plan tensors are NHWC: they map to oneDNN's logical
// NCHW dims with the nhwc tag, so every plain tensor is laid out exactly as
// the plan's row-major shape and a reshape is a view.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_ONEDNN_ONEDNNPRIMITIVES_H
#define GOODHART_RUNNERS_ONEDNN_ONEDNNPRIMITIVES_H

#include "runners/common/Plan.h"
#include "runners/common/Status.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <optional>
#include <string>
#include <vector>

namespace goodhart::onednn {

/// Layouts asked of the primitive: benchdnn-like per-layer measurement lets
/// the library choose (any); whole-model execution keeps activations plain
/// so data flows between layers without hidden reorders.
enum class Layout { kAny, kPlain };

/// One executable layer: the primitive and, per execution argument, the
/// plan tensor it reads or writes and the memory descriptor it expects.
struct BuiltLayer {
  dnnl::primitive primitive;
  std::string impl;
  struct Arg {
    int dnnlArg;
    int64_t tensorId;
    dnnl::memory::desc desc;
    /// Set when `desc` views part of a larger tensor (a slice's source): the
    /// whole tensor's plain layout, which owns the memory.
    std::optional<dnnl::memory::desc> storage = std::nullopt;
    /// Set when the primitive's dims are not the plan tensor's (an inner
    /// product reads [1,M,K] as {M,K} and weights [K,N] as {N,K}): the
    /// plan's row-major data described in the primitive's dims.
    std::optional<dnnl::memory::desc> planLayout = std::nullopt;
  };
  std::vector<Arg> args; // inputs first, then the output
  bool isView = false;   // reshape: no primitive, output aliases input
  /// The operand of a sum post-op, or -1: oneDNN accumulates into the
  /// destination, so it must hold this tensor's values before an execution
  /// whose result counts.
  int64_t sumInput = -1;
};

std::optional<dnnl::memory::data_type> toDnnlType(DType type);

/// Logical oneDNN dims of a plan tensor (NHWC → NCHW order for rank 4).
dnnl::memory::dims logicalDims(const TensorDesc &tensor);

/// The plain memory descriptor of a plan tensor: its row-major layout.
dnnl::memory::desc plainDesc(const TensorDesc &tensor);

/// `plain` (a plain layout) with another element type.
dnnl::memory::desc retyped(const dnnl::memory::desc &plain,
                           dnnl::memory::data_type type);

/// Builds the layer; kUnsupported (a skip, with oneDNN's or our reason)
/// when the library, the ISA or this runner cannot run it.
StatusOr<BuiltLayer> buildLayer(const dnnl::engine &engine, const Plan &plan,
                                const Layer &layer, Layout layout);

/// A benchdnn problem line that reproduces the layer with oneDNN's own tool,
/// or "" for kinds benchdnn has no driver for here.
std::string benchdnnLine(const Plan &plan, const Layer &layer);

} // namespace goodhart::onednn

#endif // GOODHART_RUNNERS_ONEDNN_ONEDNNPRIMITIVES_H
