//===- Reference.cpp - float64 reference values of plan layers ------------===//

#include "runners/reference/Reference.h"
#include "runners/reference/ReferenceDetail.h"

#include "runners/common/DataFill.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace goodhart {
namespace {

using reference::ravel;
using reference::unravel;

/// Element of `t` at `idx` of the output, numpy-broadcast (size-1 dims).
double broadcastAt(const TensorDesc &t, const std::vector<float> &values,
                   const std::vector<int64_t> &outIdx) {
  std::vector<int64_t> idx(t.shape.size());
  size_t offset = outIdx.size() - t.shape.size();
  for (size_t d = 0; d < t.shape.size(); ++d)
    idx[d] = t.shape[d] == 1 ? 0 : outIdx[offset + d];
  return values[ravel(idx, t.shape)];
}

StatusOr<ReferenceValue> conv(const Plan &plan, const Layer &layer,
                              const TensorValues &in,
                              const std::vector<int64_t> &o) {
  auto stride = layer.getInts("stride", 2), pad = layer.getInts("pad", 4),
       dil = layer.getInts("dilation", 2);
  auto groups = layer.getInt("groups");
  if (!stride || !pad || !dil || !groups)
    return invalidInput(layer.describe() + ": bad convolution attributes");
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  const TensorDesc &wei = plan.tensor(layer.inputs[1]);
  const std::vector<float> &x = in(src.id), &w = in(wei.id);
  const int64_t oc = o[3], icg = wei.shape[3], kh = wei.shape[1],
                kw = wei.shape[2], ocPerGroup = wei.shape[0] / *groups;
  const int64_t g = oc / ocPerGroup;
  ReferenceValue r;
  if (layer.numPrimaryInputs() > 2) {
    const TensorDesc &bias = plan.tensor(layer.inputs[2]);
    double b = in(bias.id)[bias.numElements() == 1 ? 0 : oc];
    r.value = b;
    r.magnitude = std::abs(b);
  }
  for (int64_t i = 0; i < kh; ++i) {
    int64_t ih = o[1] * (*stride)[0] - (*pad)[0] + i * (*dil)[0];
    if (ih < 0 || ih >= src.shape[1])
      continue;
    for (int64_t j = 0; j < kw; ++j) {
      int64_t iw = o[2] * (*stride)[1] - (*pad)[2] + j * (*dil)[1];
      if (iw < 0 || iw >= src.shape[2])
        continue;
      for (int64_t c = 0; c < icg; ++c) {
        double xv = x[ravel({o[0], ih, iw, g * icg + c}, src.shape)];
        double wv = w[ravel({oc, i, j, c}, wei.shape)];
        r.value += xv * wv;
        r.magnitude += std::abs(xv * wv);
      }
    }
  }
  return r;
}

ReferenceValue matmul(const Plan &plan, const Layer &layer,
                      const TensorValues &in, const std::vector<int64_t> &o) {
  const TensorDesc &a = plan.tensor(layer.inputs[0]);
  const TensorDesc &b = plan.tensor(layer.inputs[1]);
  const std::vector<float> &av = in(a.id), &bv = in(b.id);
  ReferenceValue r;
  for (int64_t k = 0; k < a.shape[2]; ++k) {
    double p = static_cast<double>(
                   av[ravel({a.shape[0] == 1 ? 0 : o[0], o[1], k}, a.shape)]) *
               static_cast<double>(
                   bv[ravel({b.shape[0] == 1 ? 0 : o[0], k, o[2]}, b.shape)]);
    r.value += p;
    r.magnitude += std::abs(p);
  }
  return r;
}

/// Inner product: the output row-major as [M,N] (leading dims of size 1
/// folded into M), src as [M,K], weights as [K,N], bias of N elements.
StatusOr<ReferenceValue> innerProduct(const Plan &plan, const Layer &layer,
                                      const TensorValues &in, int64_t index) {
  StatusOr<InnerProductDims> dims = innerProductDims(plan, layer);
  if (!dims)
    return dims.status();
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  const TensorDesc &wei = plan.tensor(layer.inputs[1]);
  const int64_t k = dims->k, n = dims->n;
  const int64_t m = index / n, col = index % n;
  const std::vector<float> &x = in(src.id), &w = in(wei.id);
  ReferenceValue r;
  if (layer.numPrimaryInputs() > 2) {
    const TensorDesc &bias = plan.tensor(layer.inputs[2]);
    if (bias.numElements() != n)
      return invalidInput(layer.describe() + ": bias must have N elements");
    r.value = in(bias.id)[col];
    r.magnitude = std::abs(r.value);
  }
  for (int64_t i = 0; i < k; ++i) {
    double p =
        static_cast<double>(x[m * k + i]) * static_cast<double>(w[i * n + col]);
    r.value += p;
    r.magnitude += std::abs(p);
  }
  return r;
}

StatusOr<ReferenceValue> pool(const Plan &plan, const Layer &layer,
                              const TensorValues &in,
                              const std::vector<int64_t> &o) {
  auto k = layer.getInts("kernel", 2), stride = layer.getInts("stride", 2),
       pad = layer.getInts("pad", 4);
  auto alg = layer.getString("algorithm");
  if (!k || !stride || !pad || !alg)
    return invalidInput(layer.describe() + ": bad pooling attributes");
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  const std::vector<float> &x = in(src.id);
  bool isMax = *alg == "max";
  double acc = isMax ? -std::numeric_limits<double>::infinity() : 0;
  double magnitude = 0;
  int64_t count = 0;
  for (int64_t i = 0; i < (*k)[0]; ++i)
    for (int64_t j = 0; j < (*k)[1]; ++j) {
      int64_t ih = o[1] * (*stride)[0] - (*pad)[0] + i;
      int64_t iw = o[2] * (*stride)[1] - (*pad)[2] + j;
      if (ih < 0 || ih >= src.shape[1] || iw < 0 || iw >= src.shape[2])
        continue;
      double v = x[ravel({o[0], ih, iw, o[3]}, src.shape)];
      acc = isMax ? std::max(acc, v) : acc + v;
      magnitude += std::abs(v);
      ++count;
    }
  if (!isMax && count)
    return ReferenceValue{acc / count, magnitude / count};
  return ReferenceValue{acc, std::abs(acc)};
}

/// `attrs` (an eltwise layer's, or an eltwise post-op's) applied to x.
StatusOr<double> eltwiseValue(const nlohmann::json &attrs, double x) {
  std::string op = attrs.value("op", "");
  double a = attrs.value("alpha", 0.0), b = attrs.value("beta", 0.0);
  if (op == "relu")
    return std::max(x, 0.0);
  if (op == "clamp")
    return std::min(std::max(x, a), b);
  if (op == "sigmoid")
    return 1 / (1 + std::exp(-x));
  if (op == "tanh")
    return std::tanh(x);
  if (op == "exp")
    return std::exp(x);
  if (op == "log")
    return std::log(x);
  if (op == "erf")
    return std::erf(x);
  if (op == "abs")
    return std::abs(x);
  if (op == "neg")
    return -x;
  if (op == "rsqrt")
    return 1 / std::sqrt(x);
  if (op == "reciprocal")
    return 1 / x;
  if (op == "gelu_erf")
    return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
  if (op == "gelu_tanh")
    return 0.5 * x *
           (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
  if (op == "silu")
    return x / (1 + std::exp(-x));
  return unsupported("no reference for eltwise op '" + op + "'");
}

StatusOr<double> binaryValue(const std::string &op, double a, double b) {
  if (op == "add")
    return a + b;
  if (op == "sub")
    return a - b;
  if (op == "mul")
    return a * b;
  if (op == "div")
    return a / b;
  if (op == "max")
    return std::max(a, b);
  if (op == "min")
    return std::min(a, b);
  if (op == "pow")
    return std::pow(a, b);
  return unsupported("no reference for binary op '" + op + "'");
}

/// The layer's post-ops applied to its main result `r` at output `index`.
/// A sum adds its operand's magnitude, a binary applies its op to both; an
/// eltwise scales the magnitude by its slope at the value when that is above 1
/// (rounding error travels through f as f'), and never shrinks it: near a kink
/// (relu at 0) the computed value may sit on the other side.
StatusOr<ReferenceValue> applyPostOps(const Plan &plan, const Layer &layer,
                                      const TensorValues &in, int64_t index,
                                      ReferenceValue r) {
  auto postOps = layer.postOps();
  if (!postOps)
    return postOps.status();
  for (const PostOp &op : *postOps) {
    if (op.kind == PostOp::Kind::kSum) {
      double v = in(layer.inputs[op.input])[index];
      r.value += v;
      r.magnitude += std::abs(v);
      continue;
    }
    if (op.kind == PostOp::Kind::kBinary) {
      const TensorDesc &operand = plan.tensor(layer.inputs[op.input]);
      double b =
          broadcastAt(operand, in(operand.id),
                      unravel(index, plan.tensor(layer.outputs[0]).shape));
      std::string name = op.attrs.value("op", "");
      auto v = binaryValue(name, r.value, b);
      if (!v)
        return v.status();
      // The magnitude goes through a product as the value does; a sum,
      // max or min adds the operand's.
      if (name == "mul")
        r.magnitude *= std::abs(b);
      else if (name == "div")
        r.magnitude /= std::abs(b);
      else
        r.magnitude += std::abs(b);
      r.magnitude = std::max(r.magnitude, std::abs(*v));
      r.value = *v;
      continue;
    }
    auto y = eltwiseValue(op.attrs, r.value);
    if (!y)
      return y.status();
    double h = 1e-6 * std::max(1.0, std::abs(r.value));
    auto up = eltwiseValue(op.attrs, r.value + h);
    auto down = eltwiseValue(op.attrs, r.value - h);
    double slope = up && down ? std::abs(*up - *down) / (2 * h) : 1.0;
    if (!std::isfinite(slope))
      slope = 1.0;
    r.magnitude = r.magnitude * std::max(slope, 1.0) + std::abs(*y);
    r.value = *y;
  }
  return r;
}

double epsilon(DType type) {
  switch (type) {
  case DType::kBF16:
    return std::ldexp(1.0, -8);
  case DType::kF16:
    return std::ldexp(1.0, -11);
  case DType::kF64:
    return std::ldexp(1.0, -52);
  default:
    return std::ldexp(1.0, -23);
  }
}

} // namespace

StatusOr<ReferenceValue> referenceAt(const Plan &plan, const Layer &layer,
                                     const TensorValues &inputs,
                                     int64_t index) {
  const TensorDesc &out = plan.tensor(layer.outputs[0]);
  std::vector<int64_t> o = unravel(index, out.shape);
  switch (layer.kind) {
  case LayerKind::kConv2d: {
    auto r = conv(plan, layer, inputs, o);
    if (!r)
      return r;
    return applyPostOps(plan, layer, inputs, index, *r);
  }
  case LayerKind::kInnerProduct: {
    auto r = innerProduct(plan, layer, inputs, index);
    if (!r)
      return r;
    return applyPostOps(plan, layer, inputs, index, *r);
  }
  case LayerKind::kMatMul:
    return applyPostOps(plan, layer, inputs, index,
                        matmul(plan, layer, inputs, o));
  case LayerKind::kPool2d:
    return pool(plan, layer, inputs, o);
  case LayerKind::kEltwise: {
    const TensorDesc &src = plan.tensor(layer.inputs[0]);
    auto v = eltwiseValue(layer.attrs, inputs(src.id)[index]);
    if (!v)
      return v.status();
    return ReferenceValue{*v, std::abs(*v)};
  }
  case LayerKind::kBinary: {
    const TensorDesc &a = plan.tensor(layer.inputs[0]);
    const TensorDesc &b = plan.tensor(layer.inputs[1]);
    double av = broadcastAt(a, inputs(a.id), o);
    double bv = broadcastAt(b, inputs(b.id), o);
    auto v = binaryValue(layer.attrs.value("op", ""), av, bv);
    if (!v)
      return v.status();
    return ReferenceValue{*v, std::abs(av) + std::abs(bv) + std::abs(*v)};
  }
  case LayerKind::kReshape:
  case LayerKind::kCast: {
    double v = inputs(layer.inputs[0])[index];
    return ReferenceValue{v, std::abs(v)};
  }
  case LayerKind::kSlice: {
    auto start = layer.getInts("start", out.shape.size());
    if (!start)
      return start.status();
    const TensorDesc &src = plan.tensor(layer.inputs[0]);
    std::vector<int64_t> i(o.size());
    for (size_t d = 0; d < o.size(); ++d)
      i[d] = o[d] + (*start)[d];
    double v = inputs(src.id)[ravel(i, src.shape)];
    return ReferenceValue{v, std::abs(v)};
  }
  case LayerKind::kTranspose: {
    auto perm = layer.getInts("perm", out.shape.size());
    if (!perm)
      return perm.status();
    const TensorDesc &src = plan.tensor(layer.inputs[0]);
    std::vector<int64_t> i(o.size());
    for (size_t d = 0; d < o.size(); ++d)
      i[(*perm)[d]] = o[d];
    double v = inputs(src.id)[ravel(i, src.shape)];
    return ReferenceValue{v, std::abs(v)};
  }
  case LayerKind::kReduce:
    return reference::reduceAt(plan, layer, inputs, o);
  case LayerKind::kSoftmax:
    return reference::softmaxAt(plan, layer, inputs, o);
  case LayerKind::kNorm:
    return reference::normAt(plan, layer, inputs, o);
  case LayerKind::kConcat:
    return reference::concatAt(plan, layer, inputs, o);
  default:
    return unsupported("no float64 reference for " +
                       std::string(layerKindName(layer.kind)) + " layers yet");
  }
}

double tolerance(DType type, const ReferenceValue &r) {
  // Inputs rounded to `type` (one epsilon each factor) and the accumulation
  // (a few epsilons of the summed magnitude), with a floor for values that
  // cancel to about zero.
  double eps = epsilon(type);
  return 8 * eps * r.magnitude + 1e-6;
}

CheckResult checkLayerOutput(const Plan &plan, const Layer &layer,
                             const TensorValues &inputs,
                             const std::vector<float> &actual, uint64_t seed,
                             int points) {
  CheckResult check;
  const TensorDesc &out = plan.tensor(layer.outputs[0]);
  // The coarsest type among operands and result bounds the rounding.
  DType type = out.dtype;
  for (int64_t id : layer.inputs)
    if (epsilon(plan.tensor(id).dtype) > epsilon(type))
      type = plan.tensor(id).dtype;
  bool allZero = true;
  for (float v : actual) {
    if (!std::isfinite(v)) {
      check.verdict = CheckVerdict::kMistrusted;
      check.reason = "the output holds a NaN or infinity";
      return check;
    }
    allZero &= v == 0.0f;
  }
  const int64_t n = static_cast<int64_t>(actual.size());
  bool referenceAllZero = true;
  for (int p = 0; p < points && p < n; ++p) {
    int64_t index =
        p == 0
            ? 0
            : static_cast<int64_t>((seededUniform(seed, -1 - layer.id, p) + 1) /
                                   2 * static_cast<double>(n)) %
                  n;
    StatusOr<ReferenceValue> ref = referenceAt(plan, layer, inputs, index);
    if (!ref) {
      check.verdict = CheckVerdict::kSkipped;
      check.reason = ref.status().message();
      return check;
    }
    referenceAllZero &= ref->value == 0;
    double err = std::abs(static_cast<double>(actual[index]) - ref->value);
    check.maxAbsErr = std::max(check.maxAbsErr, err);
    check.maxRelErr =
        std::max(check.maxRelErr, err / std::max(std::abs(ref->value), 1e-30));
    ++check.points;
    const double bound = tolerance(type, *ref);
    check.toleranceUsed = std::max(check.toleranceUsed, err / bound);
    if (err > bound && check.verdict != CheckVerdict::kMismatch) {
      check.verdict = CheckVerdict::kMismatch;
      check.reason = "element " + std::to_string(index) + ": got " +
                     std::to_string(actual[index]) + ", expected " +
                     std::to_string(ref->value) + " (tolerance " +
                     std::to_string(bound) + ")";
    }
  }
  if (check.verdict == CheckVerdict::kMismatch)
    return check;
  if (allZero && !referenceAllZero) {
    check.verdict = CheckVerdict::kMistrusted;
    check.reason = "the output is all zeros";
    return check;
  }
  check.verdict = CheckVerdict::kPassed;
  return check;
}

} // namespace goodhart
