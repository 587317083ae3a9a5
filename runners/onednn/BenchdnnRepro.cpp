//===- BenchdnnRepro.cpp - benchdnn problem lines for plan layers ---------===//
//
// benchdnn (oneDNN's own benchmark) reads problems as one line per driver,
// documented in oneDNN's tests/benchdnn/doc: e.g.
//   --conv --dir=FWD_B --cfg=f32
//   mb1ic64ih56iw56oc64oh56ow56kh3kw3sh1sw1ph1pw1dh0dw0
// for the benchdnn of the oneDNN the runner was built with: data types are
// --cfg for convolutions, inner products, matmuls and pooling before oneDNN
// 3 (--dt=SRC:WEI:DST from 3). Convolutions and pooling give dimensions in
// NCHW order; benchdnn derives the right/bottom padding from the output
// size, so asymmetric TOSA padding is reproduced. The other drivers get the
// plan's own dimensions in their default plain layout (abx): the memory the
// runner's channels-last tensors hold, without layout knobs that differ
// between benchdnn versions. Each line pins the knobs benchdnn would
// otherwise iterate over (an eltwise's alpha and beta, in-place) and says
// FWD_B for a layer with a bias (FWD_I has none). Post-ops become
// --attr-post-ops (knobs_attr.md), e.g. sum+relu or
// mul:f32:common+gelu_erf; an inner product is --ip mbMicKocN with M the
// rows of the flattened source; transposes and casts are --reorder lines
// and concats --concat (a slice, a reorder from an offset, has none). A
// layer the runner does not run as written
// (a broadcast first operand of a non-commutative op) or a type benchdnn
// does not name gets no line.
//
//===----------------------------------------------------------------------===//

#include "runners/onednn/OneDnnPostOps.h"
#include "runners/onednn/OneDnnPrimitives.h"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>

namespace goodhart::onednn {
namespace {

std::string dt(const TensorDesc &t) {
  switch (t.dtype) {
  case DType::kF32:
    return "f32";
  case DType::kBF16:
    return "bf16";
  case DType::kF16:
    return "f16";
  case DType::kI32:
    return "s32";
  case DType::kI8:
    return "s8";
  default:
    return "";
  }
}

/// A float as benchdnn reads it: the fewest digits that give it back.
std::string num(float v) {
  char text[32];
  for (int digits = 6; digits <= 9; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, static_cast<double>(v));
    if (std::strtof(text, nullptr) == v)
      break;
  }
  return text;
}

/// The data types of a convolution, inner product or matmul (src, weights,
/// dst), or of pooling (one), as this oneDNN's benchdnn names them: before
/// oneDNN 3 a --cfg (f32, f16, bf16bf16bf16, bf16bf16f32, ...), from 3 on
/// --dt=SRC:WEI:DST. "" when a type has no benchdnn name.
std::string typesKnob(std::initializer_list<const TensorDesc *> tensors) {
  std::vector<std::string> names;
  for (const TensorDesc *t : tensors) {
    names.push_back(dt(*t));
    if (names.back().empty())
      return "";
  }
#if DNNL_VERSION_MAJOR < 3
  bool same = true;
  for (const std::string &n : names)
    same = same && n == names.front();
  std::string cfg;
  if (same &&
      (names.size() == 1 || names.front() == "f32" || names.front() == "f16"))
    cfg = names.front();
  else
    for (const std::string &n : names)
      cfg += n;
  return " --cfg=" + cfg;
#else
  std::string knob = " --dt=";
  for (size_t i = 0; i < names.size(); ++i)
    knob += (i ? ":" : "") + names[i];
  return knob;
#endif
}

/// The plain tag of a rank: abcd for 4 (benchdnn's letters, outermost
/// first).
std::string plainTag(size_t rank) {
  std::string tag;
  for (size_t i = 0; i < rank; ++i)
    tag += static_cast<char>('a' + i);
  return tag;
}

/// The plan's own dimensions, e.g. 1x8x8x16 (benchdnn's default abx layout
/// over them is the plan's row-major memory).
std::string planDimsX(const TensorDesc &t) {
  std::string s;
  for (size_t i = 0; i < t.shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(t.shape[i]);
  return s;
}

/// The eltwise algorithm the runner runs for a plan op (eltwiseAlg: neg is
/// linear, rsqrt a power), with benchdnn's name for it; nullopt for one
/// benchdnn does not name.
struct BenchdnnEltwise {
  const char *name;
  float alpha, beta;
};
std::optional<BenchdnnEltwise> benchdnnEltwise(const nlohmann::json &attrs) {
  using dnnl::algorithm;
  static const std::pair<algorithm, const char *> kNames[] = {
      {algorithm::eltwise_relu, "relu"},
      {algorithm::eltwise_clip, "clip"},
      {algorithm::eltwise_logistic, "logistic"},
      {algorithm::eltwise_tanh, "tanh"},
      {algorithm::eltwise_exp, "exp"},
      {algorithm::eltwise_log, "log"},
      {algorithm::eltwise_abs, "abs"},
      {algorithm::eltwise_gelu_erf, "gelu_erf"},
      {algorithm::eltwise_gelu_tanh, "gelu_tanh"},
      {algorithm::eltwise_swish, "swish"},
      {algorithm::eltwise_linear, "linear"},
      {algorithm::eltwise_pow, "pow"}};
  std::optional<EltwiseAlg> alg = eltwiseAlg(attrs);
  if (!alg)
    return std::nullopt;
  for (auto [a, name] : kNames)
    if (a == alg->alg)
      return BenchdnnEltwise{name, alg->alpha, alg->beta};
  return std::nullopt;
}

std::string tagOf(const TensorDesc &t) {
  static const char *kTags[] = {"", "a", "ab", "abc", "acdb", "abcde"};
  return t.shape.size() < 6 ? kTags[t.shape.size()] : "abx";
}

/// A binary post-op as BINARY:DT:POLICY[:TAG] (knobs_attr.md): `common` for
/// a one-element operand, `per_tensor` with its plain tag for one of the
/// output's shape, `per_oc` for one per output channel of a convolution or
/// an inner product; nullopt for broadcasts benchdnn does not name.
std::optional<std::string> binaryKnob(const Plan &plan, const Layer &layer,
                                      const PostOp &op) {
  const TensorDesc &operand = plan.tensor(layer.inputs[op.input]);
  const TensorDesc &out = plan.tensor(layer.outputs[0]);
  if (dt(operand).empty())
    return std::nullopt;
  std::string head = op.attrs.value("op", "") + ":" + dt(operand) + ":";
  if (operand.numElements() == 1)
    return head + "common";
  // An inner product's destination is benchdnn's 2-d [mb, oc].
  if (operand.shape == out.shape)
    return head + "per_tensor:" +
           (layer.kind == LayerKind::kInnerProduct ? "ab" : tagOf(operand));
  const bool perChannel = !out.shape.empty() &&
                          operand.numElements() == out.shape.back() &&
                          operand.shape.back() == out.shape.back();
  if (perChannel && (layer.kind == LayerKind::kConv2d ||
                     layer.kind == LayerKind::kInnerProduct))
    return head + "per_oc";
  return std::nullopt;
}

/// " --attr-post-ops=sum+relu" for the layer's post-ops (knobs_attr.md:
/// SUM[:SCALE], ELTWISE[:ALPHA[:BETA]] and BINARY:DT:POLICY joined by '+'),
/// "" when it has none, nullopt when benchdnn cannot express one.
std::optional<std::string> postOpsKnob(const Plan &plan, const Layer &layer) {
  auto postOps = layer.postOps();
  if (!postOps)
    return std::nullopt;
  std::ostringstream os;
  for (const PostOp &op : *postOps) {
    os << (os.tellp() > 0 ? "+" : "");
    if (op.kind == PostOp::Kind::kSum) {
      os << "sum";
      continue;
    }
    if (op.kind == PostOp::Kind::kBinary) {
      std::optional<std::string> binary = binaryKnob(plan, layer, op);
      if (!binary)
        return std::nullopt;
      os << *binary;
      continue;
    }
    // ELTWISE[:ALPHA[:BETA]], as the runner's post-op has them.
    std::optional<BenchdnnEltwise> alg = benchdnnEltwise(op.attrs);
    if (!alg)
      return std::nullopt;
    os << alg->name;
    if (alg->alpha != 0 || alg->beta != 0)
      os << ":" << num(alg->alpha);
    if (alg->beta != 0 || std::string(alg->name) == "clip")
      os << ":" << num(alg->beta);
  }
  std::string knob = os.str();
  return knob.empty() ? knob : " --attr-post-ops=" + knob;
}

} // namespace

std::string benchdnnLine(const Plan &plan, const Layer &layer) {
  std::ostringstream os;
  auto tensor = [&](size_t i) -> const TensorDesc & {
    return plan.tensor(layer.inputs[i]);
  };
  const TensorDesc &out = plan.tensor(layer.outputs[0]);
  const bool hasBias = layer.numPrimaryInputs() >= 3;
  switch (layer.kind) {
  case LayerKind::kConv2d: {
    auto s = layer.getInts("stride", 2), p = layer.getInts("pad", 4),
         d = layer.getInts("dilation", 2);
    auto g = layer.getInt("groups");
    if (!s || !p || !d || !g)
      return "";
    std::optional<std::string> postOps = postOpsKnob(plan, layer);
    if (!postOps)
      return "";
    const TensorDesc &src = tensor(0), &wei = tensor(1);
    const std::string types = typesKnob({&src, &wei, &out});
    if (types.empty())
      return "";
    // benchdnn writes g only for a grouped convolution: with it the
    // weights are 5-d, another problem to oneDNN.
    os << "--conv --dir=" << (hasBias ? "FWD_B" : "FWD_I") << types
       << " --stag=any --wtag=any --dtag=any" << *postOps << " "
       << (*g > 1 ? "g" + std::to_string(*g) : "") << "mb" << src.shape[0]
       << "ic" << src.shape[3] << "ih" << src.shape[1] << "iw" << src.shape[2]
       << "oc" << out.shape[3] << "oh" << out.shape[1] << "ow" << out.shape[2]
       << "kh" << wei.shape[1] << "kw" << wei.shape[2] << "sh" << (*s)[0]
       << "sw" << (*s)[1] << "ph" << (*p)[0] << "pw" << (*p)[2] << "dh"
       << (*d)[0] - 1 << "dw" << (*d)[1] - 1 << "n\"" << layer.name << "\"";
    return os.str();
  }
  case LayerKind::kInnerProduct: {
    std::optional<std::string> postOps = postOpsKnob(plan, layer);
    const TensorDesc &src = tensor(0), &wei = tensor(1);
    const std::string types = typesKnob({&src, &wei, &out});
    if (!postOps || types.empty() || src.shape.empty() || out.shape.empty())
      return "";
    const int64_t ic = src.shape.back(), oc = out.shape.back();
    os << "--ip --dir=" << (hasBias ? "FWD_B" : "FWD_I") << types
       << " --stag=any --wtag=any --dtag=any" << *postOps << " mb"
       << src.numElements() / ic << "ic" << ic << "oc" << oc << "n\""
       << layer.name << "\"";
    return os.str();
  }
  case LayerKind::kPool2d: {
    auto k = layer.getInts("kernel", 2), s = layer.getInts("stride", 2),
         p = layer.getInts("pad", 4);
    const TensorDesc &src = tensor(0);
    const std::string types = typesKnob({&src});
    if (!k || !s || !p || types.empty())
      return "";
    os << "--pool --dir=FWD_I" << types << " --tag=acdb --alg="
       << (layer.attrs.value("algorithm", "") == "max" ? "max" : "avg_np")
       << " mb" << src.shape[0] << "ic" << src.shape[3] << "ih" << src.shape[1]
       << "iw" << src.shape[2] << "oh" << out.shape[1] << "ow" << out.shape[2]
       << "kh" << (*k)[0] << "kw" << (*k)[1] << "sh" << (*s)[0] << "sw"
       << (*s)[1] << "ph" << (*p)[0] << "pw" << (*p)[2] << "n\"" << layer.name
       << "\"";
    return os.str();
  }
  case LayerKind::kMatMul: {
    std::optional<std::string> postOps = postOpsKnob(plan, layer);
    const std::string types = typesKnob({&tensor(0), &tensor(1), &out});
    if (!postOps || types.empty())
      return "";
    os << "--matmul" << types << " --wtag=any" << *postOps << " "
       << planDimsX(tensor(0)) << ":" << planDimsX(tensor(1)) << "n\""
       << layer.name << "\"";
    return os.str();
  }
  case LayerKind::kEltwise: {
    std::optional<BenchdnnEltwise> alg = benchdnnEltwise(layer.attrs);
    if (!alg || dt(tensor(0)).empty())
      return "";
    // Without --alpha and --beta benchdnn runs each of {0, 0.25, -0.25}.
    os << "--eltwise --dir=FWD_I --dt=" << dt(tensor(0))
       << " --inplace=false --alg=" << alg->name
       << " --alpha=" << num(alg->alpha) << " --beta=" << num(alg->beta) << " "
       << planDimsX(tensor(0));
    return os.str();
  }
  case LayerKind::kBinary: {
    std::string op = layer.attrs.value("op", "");
    if (op == "pow")
      return "";
    // As the runner runs it: oneDNN broadcasts only the second source, so a
    // commutative op whose first operand broadcasts has them swapped, and a
    // non-commutative one does not run.
    const TensorDesc *a = &tensor(0), *b = &tensor(1);
    if (a->shape != out.shape && op != "sub" && op != "div")
      std::swap(a, b);
    if (a->shape != out.shape || dt(*a).empty() || dt(*b).empty() ||
        dt(out).empty())
      return "";
    os << "--binary --sdt=" << dt(*a) << ":" << dt(*b) << " --ddt=" << dt(out)
       << " --inplace=false --alg=" << op << " " << planDimsX(*a) << ":"
       << planDimsX(*b);
    return os.str();
  }
  case LayerKind::kReduce: {
    static const std::pair<const char *, const char *> kAlgs[] = {
        {"sum", "sum"},
        {"mean", "mean"},
        {"max", "max"},
        {"min", "min"},
        {"prod", "mul"}};
    std::string op = layer.attrs.value("op", ""), alg;
    for (auto [name, benchdnn] : kAlgs)
      if (op == name)
        alg = benchdnn;
    if (alg.empty() || dt(tensor(0)).empty() || dt(out).empty())
      return "";
    os << "--reduction --sdt=" << dt(tensor(0)) << " --ddt=" << dt(out)
       << " --dtag=abx --alg=" << alg << " " << planDimsX(tensor(0)) << ":"
       << planDimsX(out);
    return os.str();
  }
  case LayerKind::kSoftmax:
    if (dt(tensor(0)).empty() || dt(out).empty())
      return "";
    os << "--softmax --dir=FWD_I --sdt=" << dt(tensor(0))
       << " --ddt=" << dt(out) << " --inplace=false --alg=SOFTMAX --axis="
       << layer.attrs.value("axis", 0) << " " << planDimsX(tensor(0));
    return os.str();
  case LayerKind::kNorm: {
    if (layer.attrs.value("op", "") != "layer_norm" || dt(tensor(0)).empty())
      return "";
    std::string flags = std::string(layer.inputs.size() > 1 ? "C" : "") +
                        (layer.inputs.size() > 2 ? "H" : "");
    // Normalized over the plan's last dimension, as the runner does; 2-d
    // and 3-d data default to benchdnn's tnc-like tags, others say abx.
    const size_t rank = tensor(0).shape.size();
    os << "--lnorm --dir=FWD_I --dt=" << dt(tensor(0))
       << (rank == 2 || rank == 3 ? "" : " --tag=abx") << " --inplace=false"
       << (flags.empty() ? "" : " --flags=" + flags) << " "
       << planDimsX(tensor(0));
    return os.str();
  }
  case LayerKind::kTranspose:
  case LayerKind::kCast: {
    // A reorder over the source's plan dims: a transpose writes them
    // through the tag that lists them in the output's order (perm [0,2,1,3]
    // is acbd), a cast keeps the plain tag.
    const TensorDesc &src = tensor(0);
    const size_t rank = src.shape.size();
    std::string dtag = plainTag(rank);
    if (layer.kind == LayerKind::kTranspose) {
      auto perm = layer.getInts("perm", rank);
      if (!perm || rank > 26)
        return "";
      for (size_t i = 0; i < rank; ++i)
        dtag[i] = static_cast<char>('a' + (*perm)[i]);
    }
    if (dt(src).empty() || dt(out).empty() || rank == 0)
      return "";
    os << "--reorder --sdt=" << dt(src) << " --ddt=" << dt(out)
       << " --stag=" << plainTag(rank) << " --dtag=" << dtag << " "
       << planDimsX(src);
    return os.str();
  }
  case LayerKind::kConcat: {
    auto axis = layer.getInt("axis");
    if (!axis || dt(out).empty())
      return "";
    std::string stags, dims;
    for (size_t i = 0; i < layer.inputs.size(); ++i) {
      if (dt(tensor(i)) != dt(out))
        return "";
      stags += (i ? ":" : "") + plainTag(tensor(i).shape.size());
      dims += (i ? ":" : "") + planDimsX(tensor(i));
    }
    os << "--concat --sdt=" << dt(out) << " --ddt=" << dt(out)
       << " --stag=" << stags << " --dtag=" << plainTag(out.shape.size())
       << " --axis=" << *axis << " " << dims;
    return os.str();
  }
  default:
    return "";
  }
}

} // namespace goodhart::onednn
