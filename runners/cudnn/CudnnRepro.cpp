//===- CudnnRepro.cpp - PyTorch lines that reproduce a layer --------------===//
//
// Convolutions and pooling take PyTorch's logical NCHW shapes, made
// channels_last when the runner stored them NHWC; other kinds keep the
// plan's shapes, which are row-major as the runner stored them. TOSA's
// asymmetric convolution padding becomes an explicit F.pad. A layer's
// post-ops follow its call in order, as the runner runs them (y=conv...;
// y=y+p0; y=torch.relu(y)).
//
//===----------------------------------------------------------------------===//

#include "runners/cudnn/CudnnRepro.h"

#include <cstdio>
#include <map>
#include <sstream>

namespace goodhart::cuda {
namespace {

std::string torchType(DType type) {
  switch (type) {
  case DType::kF32:
    return "torch.float32";
  case DType::kBF16:
    return "torch.bfloat16";
  case DType::kF16:
    return "torch.float16";
  default:
    return "";
  }
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

std::string joined(const std::vector<int64_t> &v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

std::string pair(int64_t a, int64_t b) {
  return "(" + std::to_string(a) + "," + std::to_string(b) + ")";
}

/// "x=torch.randn(1,64,56,56,device='cuda',dtype=torch.float32)".
std::string randn(const std::string &name, const std::vector<int64_t> &shape,
                  DType type, bool channelsLast = false) {
  std::string s = name + "=torch.randn(" + joined(shape) +
                  ",device='cuda',dtype=" + torchType(type) + ")";
  if (channelsLast)
    s += ".to(memory_format=torch.channels_last)";
  return s;
}

/// NHWC plan shape [N,H,W,C] (or weights [OC,KH,KW,IC]) as NCHW.
std::vector<int64_t> nchw(const std::vector<int64_t> &s) {
  return {s[0], s[3], s[1], s[2]};
}

std::string convLine(const Plan &plan, const Layer &layer,
                     const ReproOptions &o) {
  auto stride = layer.getInts("stride", 2), pad = layer.getInts("pad", 4),
       dilation = layer.getInts("dilation", 2);
  auto groups = layer.getInt("groups");
  if (!stride || !pad || !dilation || !groups)
    return "";
  const TensorDesc &x = plan.tensor(layer.inputs[0]);
  const TensorDesc &w = plan.tensor(layer.inputs[1]);
  std::ostringstream os;
  if (x.dtype == DType::kF32)
    os << "torch.backends.cudnn.allow_tf32=" << (o.tf32 ? "True" : "False")
       << "; ";
  os << randn("x", nchw(x.shape), x.dtype, o.channelsLast) << "; "
     << randn("w", nchw(w.shape), w.dtype, o.channelsLast) << "; ";
  const bool bias = layer.numPrimaryInputs() > 2;
  if (bias) {
    const TensorDesc &b = plan.tensor(layer.inputs[2]);
    os << randn("b", {b.numElements()}, b.dtype) << "; ";
  }
  const std::vector<int64_t> &p = *pad; // top, bottom, left, right
  const bool symmetric = p[0] == p[1] && p[2] == p[3];
  std::string input = "x";
  if (!symmetric)
    input = "torch.nn.functional.pad(x,(" + std::to_string(p[2]) + "," +
            std::to_string(p[3]) + "," + std::to_string(p[0]) + "," +
            std::to_string(p[1]) + "))";
  os << "torch.nn.functional.conv2d(" << input << ",w" << (bias ? ",b" : "")
     << ",stride=" << pair((*stride)[0], (*stride)[1])
     << ",padding=" << (symmetric ? pair(p[0], p[2]) : pair(0, 0))
     << ",dilation=" << pair((*dilation)[0], (*dilation)[1])
     << ",groups=" << *groups << ")";
  return os.str();
}

std::string poolLine(const Plan &plan, const Layer &layer,
                     const ReproOptions &o) {
  auto k = layer.getInts("kernel", 2), s = layer.getInts("stride", 2),
       pad = layer.getInts("pad", 4);
  if (!k || !s || !pad)
    return "";
  const TensorDesc &x = plan.tensor(layer.inputs[0]);
  const bool isMax = layer.attrs.value("algorithm", "") == "max";
  // What cuDNN ran: symmetric padding of top and left (the runner skips
  // layers where that gives another output size).
  std::ostringstream os;
  os << randn("x", nchw(x.shape), x.dtype, o.channelsLast) << "; "
     << "torch.nn.functional." << (isMax ? "max_pool2d" : "avg_pool2d")
     << "(x,kernel_size=" << pair((*k)[0], (*k)[1])
     << ",stride=" << pair((*s)[0], (*s)[1])
     << ",padding=" << pair((*pad)[0], (*pad)[2])
     << (isMax ? "" : ",count_include_pad=False") << ")";
  return os.str();
}

/// `op` applied to `x` ("torch.relu(y)"); alpha and beta from `attrs`.
std::string unaryCall(const std::string &op, const nlohmann::json &attrs,
                      const std::string &x) {
  static const std::map<std::string, std::string> kCalls = {
      {"relu", "torch.relu"},
      {"sigmoid", "torch.sigmoid"},
      {"tanh", "torch.tanh"},
      {"exp", "torch.exp"},
      {"log", "torch.log"},
      {"erf", "torch.erf"},
      {"abs", "torch.abs"},
      {"neg", "torch.neg"},
      {"rsqrt", "torch.rsqrt"},
      {"reciprocal", "torch.reciprocal"},
      {"gelu_erf", "torch.nn.functional.gelu"},
      {"gelu_tanh", "torch.nn.functional.gelu"},
      {"silu", "torch.nn.functional.silu"}};
  if (op == "clamp")
    return "torch.clamp(" + x + ",min=" + number(attrs.value("alpha", 0.0)) +
           ",max=" + number(attrs.value("beta", 0.0)) + ")";
  auto it = kCalls.find(op);
  if (it == kCalls.end())
    return "";
  return it->second + "(" + x +
         (op == "gelu_tanh" ? ",approximate='tanh')" : ")");
}

/// `op` applied to `a` and `b` ("torch.add(a,b)").
std::string binaryCall(const std::string &op, const std::string &a,
                       const std::string &b) {
  static const std::map<std::string, std::string> kCalls = {
      {"add", "torch.add"}, {"sub", "torch.sub"},     {"mul", "torch.mul"},
      {"div", "torch.div"}, {"max", "torch.maximum"}, {"min", "torch.minimum"},
      {"pow", "torch.pow"}};
  auto it = kCalls.find(op);
  return it == kCalls.end() ? "" : it->second + "(" + a + "," + b + ")";
}

/// A Linear layer: x [..., K], w [K, N] as the runner stores it, so
/// F.linear gets its transpose (the same GEMM as x @ w), bias [N].
std::string innerProductLine(const Plan &plan, const Layer &layer,
                             const ReproOptions &o) {
  const TensorDesc &x = plan.tensor(layer.inputs[0]);
  const TensorDesc &w = plan.tensor(layer.inputs[1]);
  const TensorDesc &y = plan.tensor(layer.outputs[0]);
  if (x.shape.empty() || y.shape.empty())
    return "";
  std::ostringstream os;
  if (x.dtype == DType::kF32)
    os << "torch.backends.cuda.matmul.allow_tf32="
       << (o.tf32 ? "True" : "False") << "; ";
  os << randn("x", x.shape, x.dtype) << "; "
     << randn("w", {x.shape.back(), y.shape.back()}, w.dtype) << "; ";
  const bool bias = layer.numPrimaryInputs() > 2;
  if (bias)
    os << randn("b", {y.shape.back()}, plan.tensor(layer.inputs[2]).dtype)
       << "; ";
  os << "torch.nn.functional.linear(x,w.t()" << (bias ? ",b" : "") << ")";
  return os.str();
}

/// `line` ("setup; expression") followed by `layer`'s post-ops: the
/// expression becomes y, then each post-op updates y in order; operands are
/// p0, p1, ... in the plan's shapes (NCHW, channels_last when `conv`).
std::string withPostOps(const std::string &line, const Plan &plan,
                        const Layer &layer, bool conv, const ReproOptions &o) {
  auto postOps = layer.postOps();
  if (line.empty() || !postOps || postOps->empty())
    return postOps ? line : "";
  size_t cut = line.rfind("; ");
  std::ostringstream os;
  if (cut != std::string::npos)
    os << line.substr(0, cut + 2);
  os << "y=" << line.substr(cut == std::string::npos ? 0 : cut + 2);
  int operand = 0;
  for (const PostOp &p : *postOps) {
    std::string call;
    if (p.kind == PostOp::Kind::kEltwise) {
      call = unaryCall(p.attrs.value("op", std::string()), p.attrs, "y");
    } else {
      const TensorDesc &t = plan.tensor(layer.inputs[p.input]);
      std::string name = "p" + std::to_string(operand++);
      bool nchwShape = conv && t.shape.size() == 4;
      os << "; "
         << randn(name, nchwShape ? nchw(t.shape) : t.shape, t.dtype,
                  nchwShape && o.channelsLast);
      call = p.kind == PostOp::Kind::kSum
                 ? "y+" + name
                 : binaryCall(p.attrs.value("op", std::string()), "y", name);
    }
    if (call.empty())
      return "";
    os << "; y=" << call;
  }
  return os.str();
}

/// A Python comment after `line` where the measurement fused `layer`'s
/// bias and post-ops into its kernel: eager PyTorch runs them apart.
std::string fusedNote(const std::string &line, const Layer &layer,
                      const ReproOptions &o) {
  auto postOps = layer.postOps();
  const bool bias =
      layer.kind != LayerKind::kMatMul && layer.numPrimaryInputs() >= 3;
  if (line.empty() || !o.fused || !postOps || (postOps->empty() && !bias))
    return line;
  return line + "  # goodhart fused the bias and post-ops into the "
                "layer's kernel where cuDNN/cuBLASLt could (fusion=graph), "
                "as torch.compile would";
}

std::string reduceCall(const std::string &op, int64_t axis) {
  static const std::map<std::string, std::string> kCalls = {
      {"sum", "torch.sum"},
      {"mean", "torch.mean"},
      {"max", "torch.amax"},
      {"min", "torch.amin"},
      {"prod", "torch.prod"}};
  auto it = kCalls.find(op);
  if (it == kCalls.end())
    return "";
  return it->second + "(x," + std::string(op == "prod" ? "" : "dim=") +
         std::to_string(axis) + ",keepdim=True)";
}

} // namespace

std::string pytorchRepro(const Plan &plan, const Layer &layer,
                         const ReproOptions &options) {
  for (int64_t id : layer.inputs)
    if (torchType(plan.tensor(id).dtype).empty())
      return "";
  auto in = [&](size_t i) -> const TensorDesc & {
    return plan.tensor(layer.inputs[i]);
  };
  const TensorDesc &out = plan.tensor(layer.outputs[0]);
  std::string call;
  std::ostringstream os;
  switch (layer.kind) {
  case LayerKind::kConv2d:
    return fusedNote(
        withPostOps(convLine(plan, layer, options), plan, layer, true, options),
        layer, options);
  case LayerKind::kInnerProduct:
    return fusedNote(withPostOps(innerProductLine(plan, layer, options), plan,
                                 layer, false, options),
                     layer, options);
  case LayerKind::kPool2d:
    return poolLine(plan, layer, options);
  case LayerKind::kMatMul:
    if (in(0).dtype == DType::kF32)
      os << "torch.backends.cuda.matmul.allow_tf32="
         << (options.tf32 ? "True" : "False") << "; ";
    os << randn("a", in(0).shape, in(0).dtype) << "; "
       << randn("b", in(1).shape, in(1).dtype) << "; torch.matmul(a,b)";
    return fusedNote(withPostOps(os.str(), plan, layer, false, options), layer,
                     options);
  case LayerKind::kEltwise:
    call = unaryCall(layer.attrs.value("op", ""), layer.attrs, "x");
    if (call.empty())
      return "";
    return randn("x", in(0).shape, in(0).dtype) + "; " + call;
  case LayerKind::kBinary:
    call = binaryCall(layer.attrs.value("op", ""), "a", "b");
    if (call.empty())
      return "";
    return randn("a", in(0).shape, in(0).dtype) + "; " +
           randn("b", in(1).shape, in(1).dtype) + "; " + call;
  case LayerKind::kSoftmax:
    return randn("x", in(0).shape, in(0).dtype) + "; torch.softmax(x,dim=" +
           std::to_string(layer.attrs.value("axis", int64_t(-1))) + ")";
  case LayerKind::kReduce:
    call = reduceCall(layer.attrs.value("op", ""),
                      layer.attrs.value("axis", int64_t(0)));
    if (call.empty())
      return "";
    return randn("x", in(0).shape, in(0).dtype) + "; " + call;
  case LayerKind::kTranspose: {
    auto perm = layer.getInts("perm");
    if (!perm)
      return "";
    return randn("x", in(0).shape, in(0).dtype) + "; x.permute(" +
           joined(*perm) + ").contiguous()";
  }
  case LayerKind::kSlice: {
    auto start = layer.getInts("start", in(0).shape.size());
    if (!start)
      return "";
    os << randn("x", in(0).shape, in(0).dtype) << "; x[";
    for (size_t i = 0; i < start->size(); ++i)
      os << (i ? "," : "") << (*start)[i] << ":" << (*start)[i] + out.shape[i];
    os << "].contiguous()";
    return os.str();
  }
  case LayerKind::kConcat: {
    std::string names;
    for (size_t i = 0; i < layer.inputs.size(); ++i) {
      std::string name = "x" + std::to_string(i);
      os << randn(name, in(i).shape, in(i).dtype) << "; ";
      names += (i ? "," : "") + name;
    }
    os << "torch.cat([" << names
       << "],dim=" << layer.attrs.value("axis", int64_t(0)) << ")";
    return os.str();
  }
  case LayerKind::kCast:
    if (torchType(out.dtype).empty())
      return "";
    return randn("x", in(0).shape, in(0).dtype) + "; x.to(" +
           torchType(out.dtype) + ")";
  case LayerKind::kNorm: {
    const std::string op = layer.attrs.value("op", "");
    if (op != "layer_norm" && op != "rms_norm")
      return "";
    const int64_t n = in(0).shape.back();
    os << randn("x", in(0).shape, in(0).dtype);
    if (layer.inputs.size() > 1)
      os << "; " << randn("w", {n}, in(1).dtype);
    if (layer.inputs.size() > 2)
      os << "; " << randn("b", {n}, in(2).dtype);
    os << "; torch.nn.functional." << op << "(x,(" << n << ",)"
       << (layer.inputs.size() > 1 ? ",weight=w" : "")
       << (layer.inputs.size() > 2 && op == "layer_norm" ? ",bias=b" : "")
       << ",eps=" << number(layer.attrs.value("epsilon", 0.0)) << ")";
    if (layer.inputs.size() > 2 && op == "rms_norm")
      os << "+b"; // torch's rms_norm has no shift
    return os.str();
  }
  default:
    return "";
  }
}

} // namespace goodhart::cuda
