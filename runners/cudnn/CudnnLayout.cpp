//===- CudnnLayout.cpp - Where plan tensors live in device memory ---------===//

#include "runners/cudnn/CudnnLayout.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace goodhart::cuda {
namespace {

std::vector<int64_t> packedStrides(const std::vector<int64_t> &dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (int64_t i = static_cast<int64_t>(dims.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * dims[i + 1];
  return strides;
}

int64_t product(const std::vector<int64_t> &dims, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to; ++i)
    p *= dims[i];
  return p;
}

/// Prepends size-1 dimensions up to `rank`; their stride spans the tensor.
void padFront(std::vector<int64_t> &dims, std::vector<int64_t> &strides,
              size_t rank) {
  while (dims.size() < rank) {
    int64_t span = dims.empty() ? 1 : dims[0] * strides[0];
    dims.insert(dims.begin(), 1);
    strides.insert(strides.begin(), span);
  }
}

/// Calls `visit(rowMajorIndex, deviceOffset)` for every element.
template <typename Visit>
void forEachElement(const std::vector<int64_t> &shape,
                    const std::vector<int64_t> &strides, Visit visit) {
  const int64_t n = product(shape, 0, shape.size());
  std::vector<int64_t> index(shape.size(), 0);
  int64_t offset = 0;
  for (int64_t i = 0; i < n; ++i) {
    visit(i, offset);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d]) {
        offset += strides[d];
        break;
      }
      offset -= (shape[d] - 1) * strides[d];
      index[d] = 0;
    }
  }
}

} // namespace

DeviceLayout parseDeviceLayout(const std::string &name) {
  return name == "nchw" ? DeviceLayout::kNchw : DeviceLayout::kNhwc;
}

const char *deviceLayoutName(DeviceLayout layout) {
  return layout == DeviceLayout::kNchw ? "nchw" : "nhwc";
}

std::vector<int64_t> deviceStrides(const std::vector<int64_t> &shape,
                                   DeviceLayout layout) {
  if (layout != DeviceLayout::kNchw || shape.size() != 4)
    return packedStrides(shape);
  const int64_t h = shape[1], w = shape[2], c = shape[3];
  return {c * h * w, w, 1, h * w};
}

bool storedRowMajor(const std::vector<int64_t> &shape, DeviceLayout layout) {
  return layout == DeviceLayout::kNhwc || shape.size() != 4 || shape[3] == 1 ||
         shape[1] * shape[2] == 1;
}

bool reshapeMovesData(const std::vector<int64_t> &in,
                      const std::vector<int64_t> &out, DeviceLayout layout) {
  return !storedRowMajor(in, layout) || !storedRowMajor(out, layout);
}

std::vector<float> toDeviceOrder(const std::vector<float> &values,
                                 const std::vector<int64_t> &shape,
                                 const std::vector<int64_t> &strides) {
  std::vector<float> device(values.size());
  forEachElement(shape, strides,
                 [&](int64_t i, int64_t at) { device[at] = values[i]; });
  return device;
}

std::vector<float> fromDeviceOrder(const std::vector<float> &device,
                                   const std::vector<int64_t> &shape,
                                   const std::vector<int64_t> &strides) {
  std::vector<float> values(device.size());
  forEachElement(shape, strides,
                 [&](int64_t i, int64_t at) { values[i] = device[at]; });
  return values;
}

StatusOr<DimsStrides> nchwView(const std::vector<int64_t> &shape,
                               const std::vector<int64_t> &strides) {
  if (shape.size() > 4 || shape.size() != strides.size())
    return unsupported("rank-" + std::to_string(shape.size()) +
                       " tensors are not supported by the cuDNN runner");
  std::vector<int64_t> d = shape, s = strides;
  padFront(d, s, 4);
  return DimsStrides{{d[0], d[3], d[1], d[2]}, {s[0], s[3], s[1], s[2]}};
}

StatusOr<std::vector<DimsStrides>>
mergedPointwiseViews(const std::vector<std::vector<int64_t>> &shapes) {
  if (shapes.empty())
    return invalidInput("a pointwise op without operands");
  const size_t rank = shapes[0].size();
  std::vector<int64_t> out(rank, 1);
  for (const std::vector<int64_t> &s : shapes) {
    if (s.size() != rank)
      return invalidInput("pointwise operands of different ranks");
    for (size_t d = 0; d < rank; ++d) {
      if (s[d] != 1 && out[d] != 1 && s[d] != out[d])
        return invalidInput("pointwise operands that do not broadcast");
      out[d] = std::max(out[d], s[d]);
    }
  }
  // Groups of neighbouring dimensions that each operand has whole or
  // broadcasts throughout; a dimension of size 1 joins any group.
  auto pattern = [&](size_t d) {
    std::vector<bool> whole;
    for (const std::vector<int64_t> &s : shapes)
      whole.push_back(s[d] != 1);
    return whole;
  };
  std::vector<std::pair<size_t, size_t>> groups; // [begin, end)
  for (size_t d = 0; d < rank; ++d) {
    if (out[d] == 1)
      continue;
    if (!groups.empty() && pattern(groups.back().first) == pattern(d))
      groups.back().second = d + 1;
    else
      groups.push_back({d, d + 1});
  }
  if (groups.size() > 4)
    return unsupported(
        "a rank-" + std::to_string(rank) + " pointwise op whose operands " +
        "broadcast in " + std::to_string(groups.size()) +
        " alternating groups of dimensions (cuDNN's pointwise graphs take 4)");
  std::vector<DimsStrides> views;
  for (const std::vector<int64_t> &s : shapes) {
    DimsStrides v;
    for (const auto &[begin, end] : groups)
      v.dims.push_back(product(s, begin, end));
    v.strides = packedStrides(v.dims);
    padFront(v.dims, v.strides, 4);
    views.push_back(std::move(v));
  }
  return views;
}

StatusOr<CopyView> transposeView(const std::vector<int64_t> &inShape,
                                 const std::vector<int64_t> &inStrides,
                                 const std::vector<int64_t> &outStrides,
                                 const std::vector<int64_t> &perm) {
  const size_t rank = inShape.size();
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i)
    if (sorted[i] != static_cast<int64_t>(i) || sorted.size() != rank)
      return invalidInput("transpose perm is not a permutation of the rank");
  CopyView v;
  for (size_t i = 0; i < rank; ++i) {
    v.dims.push_back(inShape[perm[i]]);
    v.xStrides.push_back(inStrides[perm[i]]);
  }
  v.yStrides = outStrides;
  return v;
}

StatusOr<CopyView> sliceView(const std::vector<int64_t> &inShape,
                             const std::vector<int64_t> &inStrides,
                             const std::vector<int64_t> &outShape,
                             const std::vector<int64_t> &outStrides,
                             const std::vector<int64_t> &start) {
  if (start.size() != inShape.size() || outShape.size() != inShape.size())
    return invalidInput("slice start, input and output ranks differ");
  CopyView v;
  v.dims = outShape;
  v.xStrides = inStrides;
  v.yStrides = outStrides;
  for (size_t i = 0; i < start.size(); ++i) {
    if (start[i] < 0 || start[i] + outShape[i] > inShape[i])
      return invalidInput("slice box leaves the input in dimension " +
                          std::to_string(i));
    v.xOffset += start[i] * inStrides[i];
  }
  return v;
}

StatusOr<CopyView> reshapeView(const std::vector<int64_t> &inShape,
                               const std::vector<int64_t> &inStrides,
                               const std::vector<int64_t> &outShape,
                               const std::vector<int64_t> &outStrides) {
  if (product(inShape, 0, inShape.size()) !=
      product(outShape, 0, outShape.size()))
    return invalidInput("reshape changes the number of elements");
  if (inStrides == packedStrides(inShape))
    return CopyView{outShape, packedStrides(outShape), outStrides};
  if (outStrides == packedStrides(outShape))
    return CopyView{inShape, inStrides, packedStrides(inShape)};
  return unsupported("a reshape between two tensors stored in another "
                     "order than row-major (NCHW) is not one strided copy");
}

StatusOr<CopyView> broadcastView(const std::vector<int64_t> &xShape,
                                 const std::vector<int64_t> &xStrides,
                                 const std::vector<int64_t> &yShape,
                                 const std::vector<int64_t> &yStrides) {
  if (xShape.size() != yShape.size())
    return invalidInput("broadcast between ranks " +
                        std::to_string(xShape.size()) + " and " +
                        std::to_string(yShape.size()));
  CopyView v{yShape, xStrides, yStrides};
  for (size_t i = 0; i < xShape.size(); ++i) {
    if (xShape[i] == yShape[i])
      continue;
    if (xShape[i] != 1)
      return invalidInput("dimension " + std::to_string(i) + " of size " +
                          std::to_string(xShape[i]) +
                          " does not broadcast to " +
                          std::to_string(yShape[i]));
    v.xStrides[i] = 0;
  }
  return v;
}

StatusOr<std::vector<CopyView>>
concatViews(const std::vector<std::vector<int64_t>> &inShapes,
            const std::vector<std::vector<int64_t>> &inStrides,
            const std::vector<int64_t> &outShape,
            const std::vector<int64_t> &outStrides, int64_t axis) {
  const int64_t rank = static_cast<int64_t>(outShape.size());
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return invalidInput("concat axis out of range");
  std::vector<CopyView> views;
  int64_t at = 0;
  for (size_t k = 0; k < inShapes.size(); ++k) {
    if (static_cast<int64_t>(inShapes[k].size()) != rank)
      return invalidInput("concat input " + std::to_string(k) +
                          " has another rank");
    CopyView v;
    v.dims = inShapes[k];
    v.xStrides = inStrides[k];
    v.yStrides = outStrides;
    v.yOffset = at * outStrides[axis];
    at += inShapes[k][axis];
    views.push_back(std::move(v));
  }
  if (at != outShape[axis])
    return invalidInput("concat inputs do not fill the output's axis");
  return views;
}

CopyView mergedView(const CopyView &view, bool byOutput) {
  const std::vector<int64_t> &key = byOutput ? view.yStrides : view.xStrides;
  std::vector<size_t> order;
  for (size_t i = 0; i < view.dims.size(); ++i)
    if (view.dims[i] != 1)
      order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return key[a] > key[b]; });
  // Innermost first, then reversed.
  CopyView m;
  m.xOffset = view.xOffset;
  m.yOffset = view.yOffset;
  for (size_t k = order.size(); k-- > 0;) {
    const size_t i = order[k];
    if (!m.dims.empty() &&
        view.xStrides[i] == m.xStrides.back() * m.dims.back() &&
        view.yStrides[i] == m.yStrides.back() * m.dims.back()) {
      m.dims.back() *= view.dims[i];
      continue;
    }
    m.dims.push_back(view.dims[i]);
    m.xStrides.push_back(view.xStrides[i]);
    m.yStrides.push_back(view.yStrides[i]);
  }
  std::reverse(m.dims.begin(), m.dims.end());
  std::reverse(m.xStrides.begin(), m.xStrides.end());
  std::reverse(m.yStrides.begin(), m.yStrides.end());
  return m;
}

std::optional<PitchedCopy> pitchedCopy(const CopyView &view) {
  // In the source's memory order (an NCHW-stored tensor's plan order is
  // NHWC), innermost first.
  const CopyView m = mergedView(view, /*byOutput=*/false);
  const std::vector<int64_t> dims(m.dims.rbegin(), m.dims.rend()),
      xs(m.xStrides.rbegin(), m.xStrides.rend()),
      ys(m.yStrides.rbegin(), m.yStrides.rend());
  PitchedCopy copy;
  if (dims.empty())
    return copy; // one element
  if (dims.size() > 3 || xs[0] != 1 || ys[0] != 1)
    return std::nullopt;
  copy.width = copy.xPitch = copy.yPitch = dims[0];
  if (dims.size() >= 2) {
    copy.height = dims[1];
    copy.xPitch = xs[1];
    copy.yPitch = ys[1];
    if (copy.xPitch < copy.width || copy.yPitch < copy.width)
      return std::nullopt;
  }
  copy.xRows = copy.height;
  copy.yRows = copy.height;
  if (dims.size() == 3) {
    copy.depth = dims[2];
    if (xs[2] % copy.xPitch != 0 || ys[2] % copy.yPitch != 0)
      return std::nullopt;
    copy.xRows = xs[2] / copy.xPitch;
    copy.yRows = ys[2] / copy.yPitch;
    if (copy.xRows < copy.height || copy.yRows < copy.height)
      return std::nullopt;
  }
  return copy;
}

CopyView padView(CopyView view, size_t rank) {
  std::vector<int64_t> dims = view.dims;
  padFront(view.dims, view.xStrides, rank);
  padFront(dims, view.yStrides, rank);
  return view;
}

DimsStrides paddedView(const std::vector<int64_t> &shape,
                       const std::vector<int64_t> &strides, size_t rank) {
  DimsStrides v{shape, strides};
  padFront(v.dims, v.strides, rank);
  return v;
}

StatusOr<DimsStrides> softmaxView(const std::vector<int64_t> &shape,
                                  const std::vector<int64_t> &strides,
                                  int64_t axis) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return invalidInput("softmax axis out of range");
  if (strides == packedStrides(shape)) {
    const int64_t before = product(shape, 0, axis), c = shape[axis],
                  after = product(shape, axis + 1, shape.size());
    return DimsStrides{{before, c, after, 1}, {c * after, after, 1, 1}};
  }
  if (rank > 4)
    return unsupported("softmax over a strided rank-" + std::to_string(rank) +
                       " tensor");
  std::vector<int64_t> d = shape, s = strides;
  padFront(d, s, 4);
  axis += 4 - rank;
  DimsStrides v{{0, d[axis]}, {0, s[axis]}};
  std::vector<int64_t> rest;
  for (int64_t i = 0; i < 4; ++i)
    if (i != axis)
      rest.push_back(i);
  v.dims[0] = d[rest[0]];
  v.strides[0] = s[rest[0]];
  for (size_t i = 1; i < rest.size(); ++i) {
    v.dims.push_back(d[rest[i]]);
    v.strides.push_back(s[rest[i]]);
  }
  return v;
}

bool fitsInt32(const DimsStrides &view) {
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  for (const std::vector<int64_t> *v : {&view.dims, &view.strides})
    for (int64_t x : *v)
      if (x > kMax || x < 0)
        return false;
  return true;
}

} // namespace goodhart::cuda
