//===- ReferenceReductions.cpp - float64 reduce, softmax, norm, concat ----===//
//
// Layers whose output element depends on a whole row of the input: each
// value is recomputed from the row in double precision. Magnitudes are the
// sums of absolute terms, so tolerances scale with cancellation.
//
//===----------------------------------------------------------------------===//

#include "runners/reference/ReferenceDetail.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace goodhart::reference {
namespace {

/// The values along `axis` of the input row through output index `o`.
std::vector<double> row(const TensorDesc &src, const std::vector<float> &data,
                        std::vector<int64_t> idx, int64_t axis) {
  std::vector<double> values(static_cast<size_t>(src.shape[axis]));
  for (int64_t i = 0; i < src.shape[axis]; ++i) {
    idx[axis] = i;
    values[i] = data[ravel(idx, src.shape)];
  }
  return values;
}

StatusOr<int64_t> axisOf(const Layer &layer, size_t rank) {
  auto axis = layer.getInt("axis");
  if (!axis)
    return axis.status();
  int64_t a = *axis < 0 ? *axis + static_cast<int64_t>(rank) : *axis;
  if (a < 0 || a >= static_cast<int64_t>(rank))
    return invalidInput(layer.describe() + ": axis " + std::to_string(*axis) +
                        " is out of range for rank " + std::to_string(rank));
  return a;
}

/// The row along the layer's `axis` attribute through output index `o` of
/// its first input, and that axis.
StatusOr<std::pair<std::vector<double>, int64_t>>
axisRow(const Plan &plan, const Layer &layer, const TensorValues &inputs,
        const std::vector<int64_t> &o) {
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  auto axis = axisOf(layer, src.shape.size());
  if (!axis)
    return axis.status();
  return std::make_pair(row(src, inputs(src.id), o, *axis), *axis);
}

} // namespace

StatusOr<ReferenceValue> reduceAt(const Plan &plan, const Layer &layer,
                                  const TensorValues &inputs,
                                  const std::vector<int64_t> &o) {
  auto r = axisRow(plan, layer, inputs, o);
  if (!r)
    return r.status();
  const std::vector<double> &v = r->first;
  std::string op = layer.attrs.value("op", "");
  double magnitude = 0;
  for (double x : v)
    magnitude += std::abs(x);
  if (op == "sum" || op == "mean") {
    double sum = 0;
    for (double x : v)
      sum += x;
    double n = op == "mean" ? static_cast<double>(v.size()) : 1.0;
    return ReferenceValue{sum / n, magnitude / n};
  }
  if (op == "max" || op == "min") {
    double r = op == "max" ? *std::max_element(v.begin(), v.end())
                           : *std::min_element(v.begin(), v.end());
    return ReferenceValue{r, std::abs(r)};
  }
  if (op == "prod") {
    double r = 1;
    for (double x : v)
      r *= x;
    return ReferenceValue{r, std::abs(r) * static_cast<double>(v.size())};
  }
  return unsupported("no reference for reduce op '" + op + "'");
}

StatusOr<ReferenceValue> softmaxAt(const Plan &plan, const Layer &layer,
                                   const TensorValues &inputs,
                                   const std::vector<int64_t> &o) {
  auto r = axisRow(plan, layer, inputs, o);
  if (!r)
    return r.status();
  const auto &[v, axis] = *r;
  double max = *std::max_element(v.begin(), v.end());
  double sum = 0;
  for (double x : v)
    sum += std::exp(x - max);
  double value = std::exp(v[o[axis]] - max) / sum;
  // Each exponential carries a rounding error relative to its size; the
  // normalization spreads them over the row's share.
  return ReferenceValue{value, 4 * value};
}

StatusOr<ReferenceValue> normAt(const Plan &plan, const Layer &layer,
                                const TensorValues &inputs,
                                const std::vector<int64_t> &o) {
  const TensorDesc &src = plan.tensor(layer.inputs[0]);
  auto eps = layer.getFloat("epsilon");
  if (!eps)
    return eps.status();
  std::string op = layer.attrs.value("op", "");
  if (op != "layer_norm" && op != "rms_norm")
    return unsupported("no reference for norm op '" + op + "'");
  int64_t axis = static_cast<int64_t>(src.shape.size()) - 1;
  std::vector<double> v = row(src, inputs(src.id), o, axis);
  double n = static_cast<double>(v.size());
  double mean = 0;
  if (op == "layer_norm") {
    for (double x : v)
      mean += x;
    mean /= n;
  }
  double var = 0;
  for (double x : v)
    var += (x - mean) * (x - mean);
  var /= n;
  double inv = 1 / std::sqrt(var + *eps);
  double x = v[o[axis]];
  double normed = (x - mean) * inv;
  double scale = 1, shift = 0;
  if (layer.inputs.size() > 1)
    scale = inputs(layer.inputs[1])[o[axis]];
  if (layer.inputs.size() > 2)
    shift = inputs(layer.inputs[2])[o[axis]];
  double value = normed * scale + shift;
  // The mean and variance are sums over the row: their rounding scales
  // with the row's magnitude relative to its spread.
  double rowMagnitude = 0;
  for (double y : v)
    rowMagnitude += std::abs(y);
  double relative = (std::abs(x) + rowMagnitude / n) * inv;
  return ReferenceValue{value, (relative + std::abs(normed)) * std::abs(scale) +
                                   std::abs(shift) + std::abs(value)};
}

StatusOr<ReferenceValue> concatAt(const Plan &plan, const Layer &layer,
                                  const TensorValues &inputs,
                                  const std::vector<int64_t> &o) {
  const TensorDesc &out = plan.tensor(layer.outputs[0]);
  auto axis = axisOf(layer, out.shape.size());
  if (!axis)
    return axis.status();
  std::vector<int64_t> idx = o;
  for (int64_t id : layer.inputs) {
    const TensorDesc &src = plan.tensor(id);
    if (idx[*axis] < src.shape[*axis]) {
      double v = inputs(id)[ravel(idx, src.shape)];
      return ReferenceValue{v, std::abs(v)};
    }
    idx[*axis] -= src.shape[*axis];
  }
  return invalidInput(layer.describe() +
                      ": output index beyond the concatenated inputs");
}

} // namespace goodhart::reference
