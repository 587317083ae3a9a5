//===- StridedCopyPlan.h - A strided copy as goodhart's kernel moves it -*-===//
//
// Transposes, the slices and concats cudaMemcpy3D cannot express, casts and
// layout changes all run as one kernel (StridedCopy.cu), the way a
// framework's permute().contiguous() or .to(dtype) does: cuDNN's
// cudnnTransformTensor moved BERT-large's head transposes at 70 GB/s on an
// H200 (17.5 of the model's 24 ms). This header plans the copy on the host
// (no CUDA types: unit-tested without a GPU) and holds the index
// arithmetic the kernel runs, as host-and-device functions, so tests can
// replay the kernel's threads on the CPU.
//
// Two shapes of kernel:
// - gather: one thread per output element, output order; the reads are
//   contiguous where the copy keeps the innermost dimension (BERT's
//   [B,S,H,D] -> [B,H,S,D]) and are widened to up to 16 bytes there;
// - tiled: where the input's contiguous dimension is not the output's
//   innermost one (K transposed for Q x K^T, NHWC <-> NCHW), 32 x 32 tiles
//   pass through shared memory so both reads and writes are contiguous.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_CUDNN_STRIDEDCOPYPLAN_H
#define GOODHART_RUNNERS_CUDNN_STRIDEDCOPYPLAN_H

#include "runners/cudnn/CudnnLayout.h"

#include <cstdint>
#include <string>

#if defined(__CUDACC__)
#define GOODHART_HOST_DEVICE __host__ __device__
#else
#define GOODHART_HOST_DEVICE
#endif

namespace goodhart::cuda {

constexpr int kMaxCopyRank = 8;
/// The tiled kernel's tile edge and its thread block (kTile x kTileRows).
constexpr int kTile = 32;
constexpr int kTileRows = 8;

/// The copy after planning, passed by value to the kernel: dimensions in
/// the output's memory order (outermost first), strides in units of
/// `StridedCopyPlan::unitBytes`-wide elements.
struct StridedCopyArgs {
  int rank = 1;
  int64_t dims[kMaxCopyRank] = {1};
  int64_t xStrides[kMaxCopyRank] = {1};
  int64_t yStrides[kMaxCopyRank] = {1};
  int64_t count = 1; // elements moved
  /// Tiled kernel: the dimension the input is contiguous along (a tile's
  /// rows); the last dimension is the tile's columns. -1: gather kernel.
  int tiledDim = -1;
};

/// Gather kernel: the input and output offsets of output element `i`
/// (counted in output order).
template <typename Index>
GOODHART_HOST_DEVICE inline void gatherOffsets(const StridedCopyArgs &a,
                                               Index i, Index &x, Index &y) {
  x = 0;
  y = 0;
  for (int d = a.rank - 1; d >= 0; --d) {
    const Index dim = static_cast<Index>(a.dims[d]);
    const Index c = i % dim;
    i /= dim;
    x += c * static_cast<Index>(a.xStrides[d]);
    y += c * static_cast<Index>(a.yStrides[d]);
  }
}

/// Tiled kernel: how many tiles, and where tile `t` starts. A tile covers
/// kTile columns (the last dimension, contiguous in the output) and kTile
/// rows (tiledDim, contiguous in the input) at one index of the other
/// dimensions.
struct TileOrigin {
  int64_t x = 0, y = 0;       // offsets of the tile's (row 0, column 0)
  int64_t row0 = 0, col0 = 0; // its first row and column
};

GOODHART_HOST_DEVICE inline int64_t tileCount(const StridedCopyArgs &a) {
  const int64_t rows = a.dims[a.tiledDim], cols = a.dims[a.rank - 1];
  return a.count / (rows * cols) * ((rows + kTile - 1) / kTile) *
         ((cols + kTile - 1) / kTile);
}

GOODHART_HOST_DEVICE inline TileOrigin tileOrigin(const StridedCopyArgs &a,
                                                  int64_t t) {
  const int last = a.rank - 1;
  const int64_t colTiles = (a.dims[last] + kTile - 1) / kTile;
  const int64_t rowTiles = (a.dims[a.tiledDim] + kTile - 1) / kTile;
  TileOrigin o;
  o.col0 = t % colTiles * kTile;
  t /= colTiles;
  o.row0 = t % rowTiles * kTile;
  t /= rowTiles;
  o.x = o.col0 * a.xStrides[last] + o.row0 * a.xStrides[a.tiledDim];
  o.y = o.col0 * a.yStrides[last] + o.row0 * a.yStrides[a.tiledDim];
  for (int d = last - 1; d >= 0; --d) {
    if (d == a.tiledDim)
      continue;
    const int64_t c = t % a.dims[d];
    t /= a.dims[d];
    o.x += c * a.xStrides[d];
    o.y += c * a.yStrides[d];
  }
  return o;
}

/// The tiled kernel, phase 1, for thread (tx, ty) of the block: the
/// tile's rows (contiguous in the input) go to shared memory, one row of
/// `tile` per column of the copy.
template <typename X>
GOODHART_HOST_DEVICE inline void loadTile(const StridedCopyArgs &a,
                                          const TileOrigin &o, int tx, int ty,
                                          const X *x, X (*tile)[kTile + 1]) {
  const int last = a.rank - 1;
  const int64_t rows = a.dims[a.tiledDim], cols = a.dims[last];
  if (o.row0 + tx >= rows)
    return;
  for (int c = ty; c < kTile && o.col0 + c < cols; c += kTileRows)
    tile[c][tx] = x[o.x + c * a.xStrides[last] + tx * a.xStrides[a.tiledDim]];
}

/// Phase 2, after the block synchronized: the tile's columns (contiguous
/// in the output) from shared memory to the output, converted.
template <typename X, typename Y, typename Convert>
GOODHART_HOST_DEVICE inline void
storeTile(const StridedCopyArgs &a, const TileOrigin &o, int tx, int ty,
          const X (*tile)[kTile + 1], Y *y, Convert convert) {
  const int last = a.rank - 1;
  const int64_t rows = a.dims[a.tiledDim], cols = a.dims[last];
  if (o.col0 + tx >= cols)
    return;
  for (int r = ty; r < kTile && o.row0 + r < rows; r += kTileRows)
    y[o.y + r * a.yStrides[a.tiledDim] + tx * a.yStrides[last]] =
        convert(tile[tx][r]);
}

/// A planned copy: the kernel's arguments, the byte offsets of its first
/// element on each side, and the width of the units it moves.
struct StridedCopyPlan {
  StridedCopyArgs args;
  int64_t xOffsetBytes = 0, yOffsetBytes = 0;
  int unitBytes = 0; // same-type copies: 1 to 16 bytes per unit
  bool convert = false;
};

/// Plans `view` for the kernel: size-1 dimensions dropped, the rest in the
/// output's memory order, neighbours contiguous on both sides merged; a
/// same-type copy whose innermost dimension is contiguous on both sides
/// moves up to 16-byte units; the tiled kernel where the input is
/// contiguous along another dimension than the output. `xBytes` and
/// `yBytes` are the element sizes; `convert` means the element types
/// differ (units stay single elements). kUnsupported above kMaxCopyRank
/// dimensions that do not merge.
/// `alignBytes` is the largest power of two (at most 16) both device
/// addresses are multiples of.
StatusOr<StridedCopyPlan> planStridedCopy(const CopyView &view, int xBytes,
                                          int yBytes, bool convert,
                                          int alignBytes = 16);

/// "gather, 16B units", "tiled, converting", ...: for implementation
/// strings.
std::string describeStridedCopy(const StridedCopyPlan &plan);

} // namespace goodhart::cuda

#endif // GOODHART_RUNNERS_CUDNN_STRIDEDCOPYPLAN_H
