//===- BenchdnnRepro.cpp - benchdnn problem lines for plan layers ---------===//
//
// benchdnn (oneDNN's own benchmark) reads problems as one line per driver,
// documented in oneDNN's tests/benchdnn/doc: e.g.
//   --conv --dir=FWD_I --dt=f32:f32:f32
//   g1mb1ic64ih56iw56oc64oh56ow56kh3kw3sh1sw1ph1pw1dh0dw0
// Dimensions are given in NCHW order; benchdnn derives the right/bottom
// padding from the output size, so asymmetric TOSA padding is reproduced.
// Post-ops become --attr-post-ops (knobs_attr.md), e.g. sum+relu or
// mul:f32:common+gelu_erf; an inner
// product is --ip mbMicKocN with M the rows of the flattened source.
//
//===----------------------------------------------------------------------===//

#include "runners/onednn/OneDnnPrimitives.h"

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
    return "undef";
  }
}

std::string dimsX(const TensorDesc &t) {
  dnnl::memory::dims dims = logicalDims(t);
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? "x" : "") + std::to_string(dims[i]);
  return s;
}

/// benchdnn's name of an eltwise op, or nullptr.
const char *eltwiseAlgName(const std::string &op) {
  static const std::pair<const char *, const char *> kAlgs[] = {
      {"relu", "relu"}, {"clamp", "clip"},        {"sigmoid", "logistic"},
      {"tanh", "tanh"}, {"exp", "exp"},           {"log", "log"},
      {"abs", "abs"},   {"gelu_erf", "gelu_erf"}, {"gelu_tanh", "gelu_tanh"},
      {"silu", "swish"}};
  for (auto [name, alg] : kAlgs)
    if (op == name)
      return alg;
  return nullptr;
}

std::string tagOf(const TensorDesc &t) {
  static const char *kTags[] = {"", "a", "ab", "abc", "acdb", "abcde"};
  return t.shape.size() < 6 ? kTags[t.shape.size()] : "any";
}

/// A binary post-op as BINARY:DT:POLICY[:TAG] (knobs_attr.md): `common` for
/// a one-element operand, `per_tensor` with its plain tag for one of the
/// output's shape, `per_oc` for one per output channel of a convolution or
/// an inner product; nullopt for broadcasts benchdnn does not name.
std::optional<std::string> binaryKnob(const Plan &plan, const Layer &layer,
                                      const PostOp &op) {
  const TensorDesc &operand = plan.tensor(layer.inputs[op.input]);
  const TensorDesc &out = plan.tensor(layer.outputs[0]);
  std::string head = op.attrs.value("op", "") + ":" + dt(operand) + ":";
  if (operand.numElements() == 1)
    return head + "common";
  if (operand.shape == out.shape)
    return head + "per_tensor:" + tagOf(operand);
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
    std::string name = op.attrs.value("op", "");
    const char *alg = eltwiseAlgName(name);
    if (!alg)
      return std::nullopt;
    os << alg;
    if (name == "clamp")
      os << ":" << op.attrs.value("alpha", 0.0) << ":"
         << op.attrs.value("beta", 0.0);
    if (name == "silu")
      os << ":1";
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
    os << "--conv --dir=FWD_I --dt=" << dt(src) << ":" << dt(wei) << ":"
       << dt(out) << " --stag=any --wtag=any --dtag=any" << *postOps << " g"
       << *g << "mb" << src.shape[0] << "ic" << src.shape[3] << "ih"
       << src.shape[1] << "iw" << src.shape[2] << "oc" << out.shape[3] << "oh"
       << out.shape[1] << "ow" << out.shape[2] << "kh" << wei.shape[1] << "kw"
       << wei.shape[2] << "sh" << (*s)[0] << "sw" << (*s)[1] << "ph" << (*p)[0]
       << "pw" << (*p)[2] << "dh" << (*d)[0] - 1 << "dw" << (*d)[1] - 1 << "n\""
       << layer.name << "\"";
    return os.str();
  }
  case LayerKind::kInnerProduct: {
    std::optional<std::string> postOps = postOpsKnob(plan, layer);
    const TensorDesc &src = tensor(0), &wei = tensor(1);
    if (!postOps || src.shape.empty() || out.shape.empty())
      return "";
    const int64_t ic = src.shape.back(), oc = out.shape.back();
    os << "--ip --dir=FWD_I --dt=" << dt(src) << ":" << dt(wei) << ":"
       << dt(out) << " --stag=any --wtag=any --dtag=any" << *postOps << " mb"
       << src.numElements() / ic << "ic" << ic << "oc" << oc << "n\""
       << layer.name << "\"";
    return os.str();
  }
  case LayerKind::kPool2d: {
    auto k = layer.getInts("kernel", 2), s = layer.getInts("stride", 2),
         p = layer.getInts("pad", 4);
    if (!k || !s || !p)
      return "";
    const TensorDesc &src = tensor(0);
    os << "--pool --dir=FWD_I --dt=" << dt(src) << " --tag=acdb --alg="
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
    if (!postOps)
      return "";
    os << "--matmul --dt=" << dt(tensor(0)) << ":" << dt(tensor(1)) << ":"
       << dt(out) << " --wtag=any" << *postOps << " " << dimsX(tensor(0)) << ":"
       << dimsX(tensor(1)) << "n\"" << layer.name << "\"";
    return os.str();
  }
  case LayerKind::kEltwise: {
    std::string op = layer.attrs.value("op", "");
    const char *alg = eltwiseAlgName(op);
    if (!alg)
      return "";
    os << "--eltwise --dir=FWD_I --dt=" << dt(tensor(0))
       << " --tag=" << tagOf(tensor(0)) << " --alg=" << alg;
    if (op == "clamp")
      os << " --alpha=" << layer.attrs.value("alpha", 0.0)
         << " --beta=" << layer.attrs.value("beta", 0.0);
    if (op == "silu")
      os << " --alpha=1";
    os << " " << dimsX(tensor(0));
    return os.str();
  }
  case LayerKind::kBinary: {
    std::string op = layer.attrs.value("op", "");
    if (op == "pow")
      return "";
    os << "--binary --sdt=" << dt(tensor(0)) << ":" << dt(tensor(1))
       << " --ddt=" << dt(out) << " --stag=" << tagOf(tensor(0)) << ":"
       << tagOf(tensor(1)) << " --alg=" << op << " " << dimsX(tensor(0)) << ":"
       << dimsX(tensor(1));
    return os.str();
  }
  case LayerKind::kReduce: {
    std::string op = layer.attrs.value("op", "");
    os << "--reduction --sdt=" << dt(tensor(0)) << " --ddt=" << dt(out)
       << " --alg=" << (op == "prod" ? "mul" : op) << " " << dimsX(tensor(0))
       << ":" << dimsX(out);
    return os.str();
  }
  case LayerKind::kSoftmax:
    os << "--softmax --dir=FWD_I --sdt=" << dt(tensor(0))
       << " --ddt=" << dt(out)
       << " --alg=SOFTMAX --axis=" << layer.attrs.value("axis", 0) << " "
       << dimsX(tensor(0));
    return os.str();
  case LayerKind::kNorm: {
    if (layer.attrs.value("op", "") != "layer_norm")
      return "";
    std::string flags = std::string(layer.inputs.size() > 1 ? "C" : "") +
                        (layer.inputs.size() > 2 ? "H" : "");
    os << "--lnorm --dir=FWD_I --dt=" << dt(tensor(0))
       << (flags.empty() ? "" : " --flags=" + flags) << " " << dimsX(tensor(0));
    return os.str();
  }
  default:
    return "";
  }
}

} // namespace goodhart::onednn
