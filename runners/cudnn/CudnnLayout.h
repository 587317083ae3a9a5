//===- CudnnLayout.h - Where plan tensors live in device memory -*- C++ -*-===//
//
// Plans are NHWC and row-major. On the device a tensor is stored either the
// same way or, with the "nchw" layout option, rank-4 tensors as NCHW (conv
// weights [OC,KH,KW,IC] then become OIHW). Everything here speaks in plan
// dimension order with device strides, so every operation can describe any
// operand in either layout, and host data is reordered on upload and
// download only. No CUDA types: tested without a GPU.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_CUDNN_CUDNNLAYOUT_H
#define GOODHART_RUNNERS_CUDNN_CUDNNLAYOUT_H

#include "runners/common/Status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace goodhart::cuda {

enum class DeviceLayout { kNhwc, kNchw };

/// "nchw" is kNchw, anything else (the default "nhwc") kNhwc.
DeviceLayout parseDeviceLayout(const std::string &name);
const char *deviceLayoutName(DeviceLayout layout);

/// Element strides of `shape`'s plan dimensions as stored on the device:
/// packed row-major, except rank-4 shapes under kNchw, stored with their
/// dimensions in the order 0, 3, 1, 2 (N, C, H, W), packed.
std::vector<int64_t> deviceStrides(const std::vector<int64_t> &shape,
                                   DeviceLayout layout);

/// Whether the tensor's device order is its row-major plan order, so that
/// a reshape of it is a view (NCHW-stored rank-4 tensors are, only when
/// C == 1 or H * W == 1).
bool storedRowMajor(const std::vector<int64_t> &shape, DeviceLayout layout);

/// Whether a reshape from `in` to `out` must move data in `layout` (either
/// side is not stored row-major); otherwise its output is a view.
bool reshapeMovesData(const std::vector<int64_t> &in,
                      const std::vector<int64_t> &out, DeviceLayout layout);

/// Row-major plan-order values laid out with `strides` (a permutation of a
/// packed layout), and back.
std::vector<float> toDeviceOrder(const std::vector<float> &values,
                                 const std::vector<int64_t> &shape,
                                 const std::vector<int64_t> &strides);
std::vector<float> fromDeviceOrder(const std::vector<float> &device,
                                   const std::vector<int64_t> &shape,
                                   const std::vector<int64_t> &strides);

/// Dimensions and strides, as cuDNN descriptors take them.
struct DimsStrides {
  std::vector<int64_t> dims;
  std::vector<int64_t> strides;
};

/// A tensor of rank <= 4 as cuDNN's N, C, H, W: ranks below 4 get leading
/// 1s, and plan dims [N,H,W,C] map to [N,C,H,W] with their strides (so
/// the last plan dimension is always C: a [1,1,K] bias is [1,K,1,1], the
/// per-channel shape cuDNN broadcasts). kUnsupported above rank 4.
StatusOr<DimsStrides> nchwView(const std::vector<int64_t> &shape,
                               const std::vector<int64_t> &strides);

/// The operands of a pointwise op above rank 4 (cuDNN's pointwise graphs
/// take 4 dimensions here): `shapes` (the output's among them) share one
/// rank, are packed row-major and broadcast their size-1 dimensions.
/// Dimensions of size 1 everywhere are dropped and neighbours that every
/// operand either has whole or broadcasts merge; the result, padded to 4
/// dimensions in plan order, has one view per shape. kUnsupported where
/// the broadcast pattern leaves more than 4 dimensions.
StatusOr<std::vector<DimsStrides>>
mergedPointwiseViews(const std::vector<std::vector<int64_t>> &shapes);
/// One strided copy y[i] = x[i] over `dims`, x and y at element offsets.
struct CopyView {
  std::vector<int64_t> dims;
  std::vector<int64_t> xStrides, yStrides;
  int64_t xOffset = 0, yOffset = 0;
};

/// Output dim i is input dim perm[i].
StatusOr<CopyView> transposeView(const std::vector<int64_t> &inShape,
                                 const std::vector<int64_t> &inStrides,
                                 const std::vector<int64_t> &outStrides,
                                 const std::vector<int64_t> &perm);
/// The box of the input at `start` with the output's shape.
StatusOr<CopyView> sliceView(const std::vector<int64_t> &inShape,
                             const std::vector<int64_t> &inStrides,
                             const std::vector<int64_t> &outShape,
                             const std::vector<int64_t> &outStrides,
                             const std::vector<int64_t> &start);
/// A reshape as a copy: elements keep their row-major plan index. Where
/// the input is stored row-major the copy runs over the output's
/// dimensions, where the output is, over the input's; kUnsupported when
/// neither is (two NCHW-stored rank-4 shapes), kInvalidInput when the
/// element counts differ.
StatusOr<CopyView> reshapeView(const std::vector<int64_t> &inShape,
                               const std::vector<int64_t> &inStrides,
                               const std::vector<int64_t> &outShape,
                               const std::vector<int64_t> &outStrides);
/// `x` broadcast to `y`'s shape (numpy rules, equal ranks: a size-1
/// dimension of x repeats, read through stride 0).
StatusOr<CopyView> broadcastView(const std::vector<int64_t> &xShape,
                                 const std::vector<int64_t> &xStrides,
                                 const std::vector<int64_t> &yShape,
                                 const std::vector<int64_t> &yStrides);
/// One copy per input into its place along `axis` of the output.
StatusOr<std::vector<CopyView>>
concatViews(const std::vector<std::vector<int64_t>> &inShapes,
            const std::vector<std::vector<int64_t>> &inStrides,
            const std::vector<int64_t> &outShape,
            const std::vector<int64_t> &outStrides, int64_t axis);
/// The same copy over fewer dimensions: those of size 1 dropped, the rest
/// in decreasing order of the input's strides (`byOutput`: the output's),
/// neighbours contiguous with each other on both sides merged. No
/// dimensions for a one-element copy; the offsets are kept.
CopyView mergedView(const CopyView &view, bool byOutput);

/// A copy view as cudaMemcpy3D moves it: `depth` slabs of `height` rows of
/// `width` contiguous elements; consecutive rows are a pitch apart and
/// slabs `rows` pitches apart, on each side (elements, not bytes).
struct PitchedCopy {
  int64_t width = 1, height = 1, depth = 1;
  int64_t xPitch = 1, yPitch = 1;
  int64_t xRows = 1, yRows = 1;
};
/// `view` as a pitched copy when its innermost dimension is contiguous on
/// both sides and the others merge into at most two (slices and concats
/// of row-major tensors); nullopt otherwise (transposes).
std::optional<PitchedCopy> pitchedCopy(const CopyView &view);

/// Pads a view with leading size-1 dimensions to at least `rank` (cuDNN's
/// Nd tensor descriptors want 4 or more).
CopyView padView(CopyView view, size_t rank);

/// `shape` in plan order with `strides`, padded with leading size-1
/// dimensions to at least `rank`.
DimsStrides paddedView(const std::vector<int64_t> &shape,
                       const std::vector<int64_t> &strides, size_t rank);

/// A softmax along `axis` as cuDNN's channel-mode softmax: the axis
/// becomes C of a 4-d [N,C,H,W] view. Packed row-major tensors merge the
/// dimensions before and after the axis into N and H (W = 1); others of
/// rank <= 4 keep their dimensions, strided.
StatusOr<DimsStrides> softmaxView(const std::vector<int64_t> &shape,
                                  const std::vector<int64_t> &strides,
                                  int64_t axis);

/// Every dimension and stride fits cuDNN's legacy int descriptors.
bool fitsInt32(const DimsStrides &view);

} // namespace goodhart::cuda

#endif // GOODHART_RUNNERS_CUDNN_CUDNNLAYOUT_H
