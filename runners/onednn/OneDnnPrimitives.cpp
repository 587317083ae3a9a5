//===- OneDnnPrimitives.cpp - Plan layers as oneDNN 2.6 primitives --------===//

#include "runners/onednn/OneDnnPrimitives.h"

#include "runners/onednn/OneDnnPostOps.h"

#include <algorithm>
#include <map>
#include <numeric>

namespace goodhart::onednn {
namespace {

using dnnl::algorithm;
using dnnl::memory;
using dnnl::prop_kind;
using tag = memory::format_tag;

/// NHWC axis → oneDNN logical (NCHW) axis, for rank-4 tensors.
int64_t logicalAxis(const TensorDesc &t, int64_t axis) {
  static const int64_t kNhwcToNchw[4] = {0, 2, 3, 1};
  return t.shape.size() == 4 ? kNhwcToNchw[axis] : axis;
}

Status skip(const Layer &layer, const std::string &why) {
  return unsupported(layer.describe() + ": " + why);
}

memory::desc describe(const TensorDesc &t, Layout layout) {
  if (layout == Layout::kAny)
    return memory::desc(logicalDims(t), *toDnnlType(t.dtype), tag::any);
  return plainDesc(t);
}

template <typename PrimitiveDesc, typename Primitive>
BuiltLayer finish(const PrimitiveDesc &pd, std::vector<BuiltLayer::Arg> args) {
  BuiltLayer built;
  built.primitive = Primitive(pd);
  built.impl = pd.impl_info_str();
  built.args = std::move(args);
  return built;
}

StatusOr<BuiltLayer> buildConv(const dnnl::engine &engine, const Plan &plan,
                               const Layer &layer, Layout layout) {
  auto stride = layer.getInts("stride", 2);
  auto pad = layer.getInts("pad", 4);
  auto dilation = layer.getInts("dilation", 2);
  auto groups = layer.getInt("groups");
  for (const Status *s :
       {&stride.status(), &pad.status(), &dilation.status(), &groups.status()})
    if (!s->isOk())
      return *s;
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  const TensorDesc &wei = plan.tensor(layer.inputs[1]);
  const TensorDesc &dst = plan.tensor(layer.outputs[0]);
  if (src.shape.size() != 4 || wei.shape.size() != 4 || dst.shape.size() != 4)
    return invalidInput(layer.describe() + ": conv2d needs rank-4 tensors");
  const int64_t g = *groups;
  const int64_t oc = wei.shape[0], kh = wei.shape[1], kw = wei.shape[2],
                icg = wei.shape[3];
  if (g < 1 || oc % g)
    return invalidInput(layer.describe() + ": groups does not divide OC");
  memory::dims weiDims = g == 1 ? memory::dims{oc, icg, kh, kw}
                                : memory::dims{g, oc / g, icg, kh, kw};
  auto weiType = *toDnnlType(wei.dtype);
  memory::desc weiDesc(weiDims, weiType, tag::any);
  memory::desc srcDesc = describe(src, layout), dstDesc = describe(dst, layout);
  StatusOr<PostOpAttr> attr = postOpAttr(
      plan, layer, [](const TensorDesc &t) { return broadcastDesc(t, 4); });
  if (!attr)
    return attr.status();
  bool hasBias = layer.numPrimaryInputs() > 2;
  memory::desc biasDesc;
  if (hasBias) {
    // The plan's bias may be a broadcast [1]; oneDNN wants [OC].
    biasDesc = memory::desc(
        {oc}, *toDnnlType(plan.tensor(layer.inputs[2]).dtype), tag::a);
    if (plan.tensor(layer.inputs[2]).numElements() != oc)
      return skip(layer, "bias of size " +
                             std::to_string(
                                 plan.tensor(layer.inputs[2]).numElements()) +
                             " is not per output channel");
  }
  memory::dims strides = {(*stride)[0], (*stride)[1]};
  memory::dims dilates = {(*dilation)[0] - 1, (*dilation)[1] - 1};
  memory::dims padL = {(*pad)[0], (*pad)[2]}, padR = {(*pad)[1], (*pad)[3]};
  auto desc =
      hasBias
          ? dnnl::convolution_forward::desc(prop_kind::forward_inference,
                                            algorithm::convolution_direct,
                                            srcDesc, weiDesc, biasDesc, dstDesc,
                                            strides, dilates, padL, padR)
          : dnnl::convolution_forward::desc(
                prop_kind::forward_inference, algorithm::convolution_direct,
                srcDesc, weiDesc, dstDesc, strides, dilates, padL, padR);
  dnnl::convolution_forward::primitive_desc pd(desc, attr->attr, engine);
  std::vector<BuiltLayer::Arg> args = {
      {DNNL_ARG_SRC, layer.inputs[0], pd.src_desc()},
      {DNNL_ARG_WEIGHTS, layer.inputs[1], pd.weights_desc()}};
  if (hasBias)
    args.push_back({DNNL_ARG_BIAS, layer.inputs[2], pd.bias_desc()});
  args.insert(args.end(), attr->binaryArgs.begin(), attr->binaryArgs.end());
  args.push_back({DNNL_ARG_DST, layer.outputs[0], pd.dst_desc()});
  BuiltLayer built =
      finish<decltype(pd), dnnl::convolution_forward>(pd, std::move(args));
  built.sumInput = attr->sumInput;
  return built;
}

/// A binary post-op operand of an inner product whose output [..., N] runs
/// as {M, N}: {1|M, 1|N}, the leading dims all broadcast or all the
/// output's.
std::optional<memory::desc> innerProductOperand(const TensorDesc &t,
                                                const TensorDesc &dst,
                                                int64_t m, int64_t n) {
  if (t.shape.empty() || t.shape.size() > dst.shape.size() ||
      !toDnnlType(t.dtype))
    return std::nullopt;
  const int64_t cols = t.shape.back();
  const int64_t rows = t.numElements() / cols;
  if ((cols != 1 && cols != n) || (rows != 1 && rows != m))
    return std::nullopt;
  if (rows == m && m != 1 &&
      !std::equal(t.shape.begin(), t.shape.end() - 1,
                  dst.shape.end() - t.shape.size(), dst.shape.end() - 1))
    return std::nullopt; // some leading dims broadcast, others do not
  return memory::desc({rows, cols}, *toDnnlType(t.dtype), tag::ab);
}

/// A Linear layer: src [..., M, K] as {M, K}, weights [..., K, N] as
/// {N, K} (their row-major data is oneDNN's `ba`), bias of N elements.
StatusOr<BuiltLayer> buildInnerProduct(const dnnl::engine &engine,
                                       const Plan &plan, const Layer &layer,
                                       Layout layout) {
  StatusOr<InnerProductDims> dims = innerProductDims(plan, layer);
  if (!dims)
    return dims.status();
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  const TensorDesc &wei = plan.tensor(layer.inputs[1]);
  const TensorDesc &dst = plan.tensor(layer.outputs[0]);
  const int64_t k = dims->k, n = dims->n, m = dims->m;
  StatusOr<PostOpAttr> attr = postOpAttr(
      plan, layer, [&](const TensorDesc &t) -> std::optional<memory::desc> {
        return innerProductOperand(t, dst, m, n);
      });
  if (!attr)
    return attr.status();
  memory::desc srcPlan({m, k}, *toDnnlType(src.dtype), tag::ab);
  memory::desc weiPlan({n, k}, *toDnnlType(wei.dtype), tag::ba);
  memory::desc dstPlan({m, n}, *toDnnlType(dst.dtype), tag::ab);
  auto any = [&](const memory::desc &plain) {
    return layout == Layout::kAny
               ? memory::desc(plain.dims(), plain.data_type(), tag::any)
               : plain;
  };
  memory::desc weiDesc({n, k}, *toDnnlType(wei.dtype), tag::any);
  const bool hasBias = layer.numPrimaryInputs() > 2;
  std::optional<memory::desc> biasPlan;
  if (hasBias) {
    const TensorDesc &bias = plan.tensor(layer.inputs[2]);
    if (bias.numElements() != n)
      return skip(layer, "bias of size " + std::to_string(bias.numElements()) +
                             " is not per output channel");
    biasPlan = memory::desc({n}, *toDnnlType(bias.dtype), tag::a);
  }
  auto desc =
      hasBias ? dnnl::inner_product_forward::desc(prop_kind::forward_inference,
                                                  any(srcPlan), weiDesc,
                                                  *biasPlan, any(dstPlan))
              : dnnl::inner_product_forward::desc(prop_kind::forward_inference,
                                                  any(srcPlan), weiDesc,
                                                  any(dstPlan));
  dnnl::inner_product_forward::primitive_desc pd(desc, attr->attr, engine);
  std::vector<BuiltLayer::Arg> args = {
      {DNNL_ARG_SRC, src.id, pd.src_desc(), std::nullopt, srcPlan},
      {DNNL_ARG_WEIGHTS, wei.id, pd.weights_desc(), std::nullopt, weiPlan}};
  if (hasBias)
    args.push_back({DNNL_ARG_BIAS, layer.inputs[2], pd.bias_desc(),
                    std::nullopt, biasPlan});
  args.insert(args.end(), attr->binaryArgs.begin(), attr->binaryArgs.end());
  args.push_back({DNNL_ARG_DST, dst.id, pd.dst_desc(), std::nullopt, dstPlan});
  BuiltLayer built =
      finish<decltype(pd), dnnl::inner_product_forward>(pd, std::move(args));
  built.sumInput = attr->sumInput;
  return built;
}

StatusOr<BuiltLayer> buildMatMul(const dnnl::engine &engine, const Plan &plan,
                                 const Layer &layer, Layout layout) {
  const TensorDesc &a = plan.tensor(layer.inputs[0]);
  const TensorDesc &b = plan.tensor(layer.inputs[1]);
  const TensorDesc &c = plan.tensor(layer.outputs[0]);
  StatusOr<PostOpAttr> attr = postOpAttr(plan, layer, [&](const TensorDesc &t) {
    return broadcastDesc(t, c.shape.size());
  });
  if (!attr)
    return attr.status();
  memory::desc bDesc(logicalDims(b), *toDnnlType(b.dtype), tag::any);
  dnnl::matmul::desc desc(plainDesc(a), bDesc, plainDesc(c));
  dnnl::matmul::primitive_desc pd(desc, attr->attr, engine);
  std::vector<BuiltLayer::Arg> args = {
      {DNNL_ARG_SRC, layer.inputs[0], pd.src_desc()},
      {DNNL_ARG_WEIGHTS, layer.inputs[1], pd.weights_desc()}};
  args.insert(args.end(), attr->binaryArgs.begin(), attr->binaryArgs.end());
  args.push_back({DNNL_ARG_DST, layer.outputs[0], pd.dst_desc()});
  BuiltLayer built = finish<decltype(pd), dnnl::matmul>(pd, std::move(args));
  built.sumInput = attr->sumInput;
  return built;
}

StatusOr<BuiltLayer> buildPool(const dnnl::engine &engine, const Plan &plan,
                               const Layer &layer, Layout layout) {
  auto alg = layer.getString("algorithm");
  auto kernel = layer.getInts("kernel", 2);
  auto stride = layer.getInts("stride", 2);
  auto pad = layer.getInts("pad", 4);
  for (const Status *s :
       {&alg.status(), &kernel.status(), &stride.status(), &pad.status()})
    if (!s->isOk())
      return *s;
  if (*alg != "max" && *alg != "avg")
    return invalidInput(layer.describe() + ": unknown pooling algorithm '" +
                        *alg + "'");
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  const TensorDesc &dst = plan.tensor(layer.outputs[0]);
  dnnl::pooling_forward::desc desc(
      prop_kind::forward_inference,
      *alg == "max" ? algorithm::pooling_max
                    : algorithm::pooling_avg_exclude_padding,
      plainDesc(src), describe(dst, layout), // oneDNN needs a known src
      {(*stride)[0], (*stride)[1]}, {(*kernel)[0], (*kernel)[1]},
      {(*pad)[0], (*pad)[2]}, {(*pad)[1], (*pad)[3]});
  dnnl::pooling_forward::primitive_desc pd(desc, engine);
  return finish<decltype(pd), dnnl::pooling_forward>(
      pd, {{DNNL_ARG_SRC, layer.inputs[0], pd.src_desc()},
           {DNNL_ARG_DST, layer.outputs[0], pd.dst_desc()}});
}

StatusOr<BuiltLayer> buildEltwise(const dnnl::engine &engine, const Plan &plan,
                                  const Layer &layer, Layout layout) {
  std::optional<EltwiseAlg> alg = eltwiseAlg(layer.attrs);
  if (!alg)
    return skip(layer, "oneDNN 2.6 has no eltwise algorithm for '" +
                           layer.attrs.value("op", "") + "'");
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  dnnl::eltwise_forward::desc desc(prop_kind::forward_inference, alg->alg,
                                   plainDesc(src), alg->alpha, alg->beta);
  dnnl::eltwise_forward::primitive_desc pd(desc, engine);
  return finish<decltype(pd), dnnl::eltwise_forward>(
      pd, {{DNNL_ARG_SRC, layer.inputs[0], pd.src_desc()},
           {DNNL_ARG_DST, layer.outputs[0], pd.dst_desc()}});
}

StatusOr<BuiltLayer> buildBinary(const dnnl::engine &engine, const Plan &plan,
                                 const Layer &layer, Layout layout) {
  static const std::map<std::string, algorithm> kAlgs = {
      {"add", algorithm::binary_add}, {"sub", algorithm::binary_sub},
      {"mul", algorithm::binary_mul}, {"div", algorithm::binary_div},
      {"max", algorithm::binary_max}, {"min", algorithm::binary_min}};
  std::string op = layer.attrs.value("op", "");
  auto it = kAlgs.find(op);
  if (it == kAlgs.end())
    return skip(layer, "oneDNN 2.6 has no binary algorithm for '" + op + "'");
  int64_t first = layer.inputs[0], second = layer.inputs[1];
  const TensorDesc &c = plan.tensor(layer.outputs[0]);
  // oneDNN broadcasts only its second source; a commutative op whose first
  // operand is the broadcast one (weight * x) runs with them swapped.
  if (plan.tensor(first).shape != c.shape && op != "sub" && op != "div")
    std::swap(first, second);
  const TensorDesc &a = plan.tensor(first);
  const TensorDesc &b = plan.tensor(second);
  if (a.shape != c.shape)
    return skip(layer, "oneDNN broadcasts only the second operand");
  dnnl::binary::desc desc(it->second, plainDesc(a), plainDesc(b), plainDesc(c));
  dnnl::binary::primitive_desc pd(desc, engine);
  return finish<decltype(pd), dnnl::binary>(
      pd, {{DNNL_ARG_SRC_0, first, pd.src_desc(0)},
           {DNNL_ARG_SRC_1, second, pd.src_desc(1)},
           {DNNL_ARG_DST, layer.outputs[0], pd.dst_desc()}});
}

StatusOr<BuiltLayer> buildReduce(const dnnl::engine &engine, const Plan &plan,
                                 const Layer &layer) {
  static const std::map<std::string, algorithm> kAlgs = {
      {"sum", algorithm::reduction_sum},
      {"max", algorithm::reduction_max},
      {"min", algorithm::reduction_min},
      {"prod", algorithm::reduction_mul},
      {"mean", algorithm::reduction_mean}};
  auto it = kAlgs.find(layer.attrs.value("op", ""));
  if (it == kAlgs.end())
    return skip(layer, "unknown reduction");
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  const TensorDesc &dst = plan.tensor(layer.outputs[0]);
  dnnl::reduction::desc desc(it->second, plainDesc(src), plainDesc(dst), 0.f,
                             0.f);
  dnnl::reduction::primitive_desc pd(desc, engine);
  return finish<decltype(pd), dnnl::reduction>(
      pd, {{DNNL_ARG_SRC, layer.inputs[0], pd.src_desc()},
           {DNNL_ARG_DST, layer.outputs[0], pd.dst_desc()}});
}

StatusOr<BuiltLayer> buildSoftmax(const dnnl::engine &engine, const Plan &plan,
                                  const Layer &layer) {
  auto axis = layer.getInt("axis");
  if (!axis)
    return axis.status();
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  dnnl::softmax_forward::desc desc(prop_kind::forward_inference, plainDesc(src),
                                   static_cast<int>(logicalAxis(src, *axis)));
  dnnl::softmax_forward::primitive_desc pd(desc, engine);
  return finish<decltype(pd), dnnl::softmax_forward>(
      pd, {{DNNL_ARG_SRC, layer.inputs[0], pd.src_desc()},
           {DNNL_ARG_DST, layer.outputs[0], pd.dst_desc()}});
}

/// Layer normalization over the last axis, with the plan's optional scale
/// and shift. oneDNN 2.6 has no RMS normalization (it came in v3.x): a
/// fused rms_norm is a skip, and the default lowering leaves it unfused.
StatusOr<BuiltLayer> buildNorm(const dnnl::engine &engine, const Plan &plan,
                               const Layer &layer) {
  auto eps = layer.getFloat("epsilon");
  auto op = layer.getString("op");
  if (!eps || !op)
    return !eps ? eps.status() : op.status();
  if (*op != "layer_norm")
    return skip(layer, "oneDNN 2.6 has no primitive for norm op '" + *op +
                           "' (RMS normalization arrived in oneDNN 3)");
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  // Row-major in the plan's own dims: the last dim is the normalized one.
  memory::dims dims(src.shape.begin(), src.shape.end());
  memory::dims strides(dims.size(), 1);
  for (int64_t i = static_cast<int64_t>(dims.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * dims[i + 1];
  memory::desc data(dims, *toDnnlType(src.dtype), strides);
  auto flags = dnnl::normalization_flags::none;
  if (layer.inputs.size() > 1)
    flags |= dnnl::normalization_flags::use_scale;
  if (layer.inputs.size() > 2)
    flags |= dnnl::normalization_flags::use_shift;
  dnnl::layer_normalization_forward::desc desc(
      prop_kind::forward_inference, data, static_cast<float>(*eps), flags);
  dnnl::layer_normalization_forward::primitive_desc pd(desc, engine);
  // Scale and shift are f32 vectors of the normalized dim in oneDNN 2.6.
  memory::desc channel({dims.back()}, memory::data_type::f32, tag::a);
  std::vector<BuiltLayer::Arg> args = {{DNNL_ARG_SRC, layer.inputs[0], data}};
  if (layer.inputs.size() > 1)
    args.push_back({DNNL_ARG_SCALE, layer.inputs[1], channel});
  if (layer.inputs.size() > 2)
    args.push_back({DNNL_ARG_SHIFT, layer.inputs[2], channel});
  args.push_back({DNNL_ARG_DST, layer.outputs[0], data});
  return finish<decltype(pd), dnnl::layer_normalization_forward>(
      pd, std::move(args));
}

/// Transpose and cast are reorders: a transpose writes the source's logical
/// dims through strides that put them in the output's row-major order.
StatusOr<BuiltLayer> buildReorder(const dnnl::engine &engine, const Plan &plan,
                                  const Layer &layer) {
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  const TensorDesc &dst = plan.tensor(layer.outputs[0]);
  memory::desc srcDesc = plainDesc(src);
  memory::desc dstDesc = plainDesc(dst);
  if (layer.kind == LayerKind::kTranspose) {
    auto perm = layer.getInts("perm", src.shape.size());
    if (!perm)
      return perm.status();
    // Work in plan (row-major) dims for both sides.
    const size_t rank = src.shape.size();
    memory::dims outStrides(rank, 1);
    for (int64_t i = static_cast<int64_t>(rank) - 2; i >= 0; --i)
      outStrides[i] = outStrides[i + 1] * dst.shape[i + 1];
    memory::dims srcStrides(rank);
    for (size_t i = 0; i < rank; ++i)
      srcStrides[(*perm)[i]] = outStrides[i];
    memory::dims srcDims(src.shape.begin(), src.shape.end());
    memory::dims rowMajor(rank, 1);
    for (int64_t i = static_cast<int64_t>(rank) - 2; i >= 0; --i)
      rowMajor[i] = rowMajor[i + 1] * src.shape[i + 1];
    srcDesc = memory::desc(srcDims, *toDnnlType(src.dtype), rowMajor);
    dstDesc = memory::desc(srcDims, *toDnnlType(dst.dtype), srcStrides);
  }
  dnnl::reorder::primitive_desc pd(engine, srcDesc, engine, dstDesc);
  return finish<decltype(pd), dnnl::reorder>(
      pd, {{DNNL_ARG_SRC, layer.inputs[0], srcDesc},
           {DNNL_ARG_DST, layer.outputs[0], dstDesc}});
}

/// A slice reorders the box out of a view of its source.
StatusOr<BuiltLayer> buildSlice(const dnnl::engine &engine, const Plan &plan,
                                const Layer &layer) {
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  const TensorDesc &dst = plan.tensor(layer.outputs[0]);
  auto start = layer.getInts("start", src.shape.size());
  if (!start)
    return start.status();
  TensorDesc offsets = src;
  offsets.shape = *start;
  memory::desc whole = plainDesc(src);
  memory::desc box =
      whole.submemory_desc(logicalDims(dst), logicalDims(offsets));
  memory::desc dstDesc = plainDesc(dst);
  dnnl::reorder::primitive_desc pd(engine, box, engine, dstDesc);
  BuiltLayer built = finish<decltype(pd), dnnl::reorder>(
      pd, {{DNNL_ARG_SRC, layer.inputs[0], box, whole},
           {DNNL_ARG_DST, layer.outputs[0], dstDesc}});
  return built;
}

StatusOr<BuiltLayer> buildConcat(const dnnl::engine &engine, const Plan &plan,
                                 const Layer &layer) {
  auto axis = layer.getInt("axis");
  if (!axis)
    return axis.status();
  std::vector<memory::desc> srcs;
  std::vector<BuiltLayer::Arg> args;
  for (size_t i = 0; i < layer.inputs.size(); ++i) {
    srcs.push_back(plainDesc(plan.tensor(layer.inputs[i])));
    args.push_back({DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i),
                    layer.inputs[i], srcs.back()});
  }
  const TensorDesc &dst = plan.tensor(layer.outputs[0]);
  dnnl::concat::primitive_desc pd(
      plainDesc(dst), static_cast<int>(logicalAxis(dst, *axis)), srcs, engine);
  args.push_back({DNNL_ARG_DST, layer.outputs[0], pd.dst_desc()});
  return finish<decltype(pd), dnnl::concat>(pd, std::move(args));
}

} // namespace

std::optional<memory::data_type> toDnnlType(DType type) {
  switch (type) {
  case DType::kF32:
    return memory::data_type::f32;
  case DType::kBF16:
    return memory::data_type::bf16;
  case DType::kF16:
    return memory::data_type::f16;
  case DType::kI32:
    return memory::data_type::s32;
  case DType::kI8:
    return memory::data_type::s8;
  default:
    return std::nullopt;
  }
}

memory::dims logicalDims(const TensorDesc &t) {
  if (t.shape.size() == 4)
    return {t.shape[0], t.shape[3], t.shape[1], t.shape[2]};
  return memory::dims(t.shape.begin(), t.shape.end());
}

memory::desc plainDesc(const TensorDesc &t) {
  static const tag kPlain[] = {tag::undef, tag::a,     tag::ab,    tag::abc,
                               tag::acdb,  tag::abcde, tag::abcdef};
  tag layout = t.shape.size() < 7 ? kPlain[t.shape.size()] : tag::undef;
  return memory::desc(logicalDims(t), *toDnnlType(t.dtype), layout);
}

memory::desc retyped(const memory::desc &plain, memory::data_type type) {
  const dnnl_memory_desc_t &c = plain.data;
  memory::dims strides(c.format_desc.blocking.strides,
                       c.format_desc.blocking.strides + c.ndims);
  return memory::desc(plain.dims(), type, strides);
}

StatusOr<BuiltLayer> buildLayer(const dnnl::engine &engine, const Plan &plan,
                                const Layer &layer, Layout layout) {
  for (int64_t id : layer.inputs)
    if (!toDnnlType(plan.tensor(id).dtype))
      return skip(layer, "element type " +
                             std::string(dtypeName(plan.tensor(id).dtype)) +
                             " is not supported by this runner");
  for (int64_t id : layer.outputs) {
    if (!toDnnlType(plan.tensor(id).dtype))
      return skip(layer, "element type " +
                             std::string(dtypeName(plan.tensor(id).dtype)) +
                             " is not supported by this runner");
    if (plan.tensor(id).shape.size() > 6 || plan.tensor(id).shape.empty())
      return skip(layer, "rank " +
                             std::to_string(plan.tensor(id).shape.size()) +
                             " tensors are not supported");
  }
  try {
    switch (layer.kind) {
    case LayerKind::kConv2d:
      return buildConv(engine, plan, layer, layout);
    case LayerKind::kMatMul:
      return buildMatMul(engine, plan, layer, layout);
    case LayerKind::kInnerProduct:
      return buildInnerProduct(engine, plan, layer, layout);
    case LayerKind::kPool2d:
      return buildPool(engine, plan, layer, layout);
    case LayerKind::kEltwise:
      return buildEltwise(engine, plan, layer, layout);
    case LayerKind::kBinary:
      return buildBinary(engine, plan, layer, layout);
    case LayerKind::kReduce:
      return buildReduce(engine, plan, layer);
    case LayerKind::kSoftmax:
      return buildSoftmax(engine, plan, layer);
    case LayerKind::kNorm:
      return buildNorm(engine, plan, layer);
    case LayerKind::kTranspose:
    case LayerKind::kCast:
      return buildReorder(engine, plan, layer);
    case LayerKind::kConcat:
      return buildConcat(engine, plan, layer);
    case LayerKind::kSlice:
      return buildSlice(engine, plan, layer);
    case LayerKind::kReshape: {
      BuiltLayer view;
      view.isView = true;
      view.impl = "view";
      return view;
    }
    }
  } catch (const dnnl::error &e) {
    return skip(layer, std::string("oneDNN cannot create the primitive: ") +
                           e.what() + " (status " +
                           std::to_string(static_cast<int>(e.status)) + ")");
  }
  return skip(layer, "unknown layer kind");
}

} // namespace goodhart::onednn
