//===- Plan.h - The execution plan shared by goodhart and runners -*- C++
//-*-===//
//
// A plan is what a model lowers to and what a runner executes: a list of
// tensors (shape, element type, role) and a list of layers in execution order
// that read and write them. Edges between layers are the tensor ids: each
// tensor has at most one producing layer and any number of consumers.
//
// This header is part of the runner protocol (docs/RUNNER-PROTOCOL.md) and is
// compiled into runners, so it must not depend on MLIR or LLVM.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_COMMON_PLAN_H
#define GOODHART_RUNNERS_COMMON_PLAN_H

#include "runners/common/Status.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace goodhart {

inline constexpr int kPlanFormatVersion = 1;
inline constexpr std::string_view kPlanFormatName = "goodhart.plan";

enum class DType { kF32, kBF16, kF16, kF64, kI64, kI32, kI16, kI8, kBool };

std::string_view dtypeName(DType type);
std::optional<DType> parseDType(std::string_view name);
/// Size of one element in bytes (kBool counts as one byte).
int64_t dtypeSize(DType type);

enum class TensorRole {
  kInput,      // a model input, filled by the runner with seeded data
  kWeight,     // a parameter, filled by the runner with seeded data
  kActivation, // produced by a layer
};

std::string_view tensorRoleName(TensorRole role);
std::optional<TensorRole> parseTensorRole(std::string_view name);

struct TensorDesc {
  int64_t id = -1;
  std::string name;
  std::vector<int64_t> shape;
  DType dtype = DType::kF32;
  TensorRole role = TensorRole::kActivation;
  /// Every element's value, for a constant the model states (a splat
  /// tosa.const: a scale, an epsilon, 1/N); runners fill it instead of
  /// seeded data. A one-element constant is not a parameter.
  std::optional<double> value;

  int64_t numElements() const;
  bool isParameter() const {
    return role == TensorRole::kWeight && !(value && numElements() == 1);
  }
  int64_t sizeInBytes() const { return numElements() * dtypeSize(dtype); }
};

/// Layer kinds of protocol version 1. docs/RUNNER-PROTOCOL.md lists the
/// attributes each kind carries.
enum class LayerKind {
  kConv2d,    // NHWC src, OHWI-shaped weights (grouped/depthwise by groups)
  kMatMul,    // batched [B,M,K] x [B,K,N]
  kPool2d,    // max or avg over NHWC
  kEltwise,   // unary elementwise: relu, clamp, sigmoid, tanh, exp, ...
  kBinary,    // binary elementwise with numpy broadcasting
  kReshape,   // a view: no data movement
  kTranspose, // a permutation of dimensions
  kConcat,    // concatenation along an axis
  kReduce,    // reduction along one axis, kept as size 1
  kSoftmax,   // softmax along one axis
  kCast,      // element type conversion
  kSlice,     // a box of the input starting at `start`, the output's shape
  kNorm,      // layer or RMS normalization over the last axis (+ scale, shift)
  kInnerProduct, // [M,K] x constant [K,N] (+ bias [N]): a Linear layer
};

std::string_view layerKindName(LayerKind kind);
std::optional<LayerKind> parseLayerKind(std::string_view name);

/// One operation a layer applies to its result before storing it (oneDNN's
/// post-ops), in the order listed in attrs "post_ops":
///   {"kind": "sum", "input": I}: adds layer input I (same shape as the
///   output) to the result;
///   {"kind": "eltwise", "op": OP, "alpha": A, "beta": B}: an eltwise
///   layer's op applied to the result (alpha and beta as eltwise layers);
///   {"kind": "binary", "op": OP, "input": I}: result OP input I (add, sub,
///   mul, div, max, min), I broadcast to the output's shape (a scale, a
///   mask). runners/common/PostOps.h parses and validates them.
struct PostOp {
  enum class Kind { kSum, kEltwise, kBinary };
  Kind kind = Kind::kEltwise;
  int64_t input = -1; // sum, binary: index into Layer::inputs
  nlohmann::json attrs = nlohmann::json::object(); // eltwise: op, alpha, beta;
                                                   // binary: op
};

/// Kinds whose layers may carry post-ops (conv2d, inner_product, matmul).
bool acceptsPostOps(LayerKind kind);

struct Layer {
  int64_t id = -1;
  std::string name; // human name: the op's name location or kind_index
  LayerKind kind = LayerKind::kEltwise;
  std::vector<int64_t> inputs;  // tensor ids; order defined per kind
  std::vector<int64_t> outputs; // tensor ids
  nlohmann::json attrs = nlohmann::json::object();
  int64_t flops = 0;    // floating point operations (a MAC counts 2)
  int64_t bytes = 0;    // bytes read and written, each tensor once
  int64_t params = 0;   // weight elements read by this layer
  std::string hash;     // 16 hex digits: see computeLayerHash
  std::string location; // source location in the model, for messages
  /// The composite a model wrote as several ops that this layer belongs to
  /// when it was not fused into one layer ("attention", "rms_norm"), or "".
  /// Not part of the hash: it names where the layer sits, not its problem.
  std::string pattern;

  /// Typed attribute access; errors name the layer and the attribute.
  StatusOr<int64_t> getInt(const std::string &key) const;
  StatusOr<double> getFloat(const std::string &key) const;
  StatusOr<std::string> getString(const std::string &key) const;
  StatusOr<std::vector<int64_t>> getInts(const std::string &key,
                                         size_t expectedSize = 0) const;
  /// "layer 3 'block1.conv1' (conv2d)", for messages.
  std::string describe() const;
  /// The post-ops of attrs "post_ops" (empty when absent); errors name the
  /// layer and the entry.
  StatusOr<std::vector<PostOp>> postOps() const;
  /// Inputs of the kind itself (src, weights, bias), without the operands
  /// of sum and binary post-ops, which come after them.
  size_t numPrimaryInputs() const;
};

struct Plan {
  std::string model;               // reference model name, e.g. "smallcnn"
  std::string variant;             // "reference" or the variant id
  std::string source;              // file the plan was lowered from
  std::vector<TensorDesc> tensors; // indexed by id: tensors[i].id == i
  std::vector<Layer> layers;       // in execution order: layers[i].id == i
  std::vector<int64_t> inputs;     // model input tensor ids
  std::vector<int64_t> outputs;    // model output tensor ids
  nlohmann::json metadata = nlohmann::json::object(); // free-form provenance

  const TensorDesc &tensor(int64_t id) const { return tensors.at(id); }
  /// The layer producing `tensorId`, or -1 for inputs and weights.
  int64_t producerOf(int64_t tensorId) const;
  /// The layers reading `tensorId`, in execution order.
  std::vector<int64_t> consumersOf(int64_t tensorId) const;

  int64_t totalFlops() const;
  int64_t totalBytes() const;
  /// Elements of all weight tensors (each counted once).
  int64_t totalParams() const;
};

/// The canonical signature of a layer: its kind, attributes and the shapes
/// and element types of its operands and results. Names, ids, roles and
/// locations are excluded, so the same problem in two models (or twice in
/// one) has the same signature.
std::string layerSignature(const Plan &plan, const Layer &layer);
/// FNV-1a 64 of layerSignature, as 16 lowercase hex digits.
std::string computeLayerHash(const Plan &plan, const Layer &layer);
std::string fnv1a64Hex(std::string_view bytes);

/// An inner_product layer as a GEMM: src [..., M, K] (M the product of its
/// leading dimensions) by weights [..., K, N] (K x N elements) into an
/// output of M x N elements whose last dimension is N.
struct InnerProductDims {
  int64_t m = 0, k = 0, n = 0;
};
/// Invalid input naming the layer when the shapes do not agree.
StatusOr<InnerProductDims> innerProductDims(const Plan &plan,
                                            const Layer &layer);

/// Checks the invariants a runner relies on: ids dense and in order, every
/// tensor id in range, each activation produced exactly once before use,
/// attribute presence per kind. Messages name the layer and field.
Status validatePlan(const Plan &plan);

nlohmann::json planToJson(const Plan &plan);
/// Parses and validates. `origin` (a file name) prefixes error messages.
StatusOr<Plan> planFromJson(const nlohmann::json &json,
                            const std::string &origin = "plan");
StatusOr<Plan> readPlanFile(const std::string &path);
Status writePlanFile(const Plan &plan, const std::string &path);

} // namespace goodhart

#endif // GOODHART_RUNNERS_COMMON_PLAN_H
