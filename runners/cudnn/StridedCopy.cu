//===- StridedCopy.cu - goodhart's strided copy and conversion kernel -----===//
//
// The kernels behind StridedCopy.h: a grid-stride gather in output order
// and a 32 x 32 shared-memory tile transpose, instantiated for raw units
// of 1 to 16 bytes and for conversions between f32, bf16 and f16 (round to
// nearest even, as torch's .to(dtype)). The index arithmetic is in
// StridedCopyPlan.h, shared with the host tests that replay it.
//
//===----------------------------------------------------------------------===//

#include "runners/cudnn/StridedCopy.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>
#include <limits>

namespace goodhart::cuda {
namespace {

constexpr int kGatherThreads = 256;
constexpr int64_t kMaxBlocks = 65536; // grid-stride loops cover the rest

__device__ inline float toFloat(float v) { return v; }
__device__ inline float toFloat(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ inline float toFloat(__half v) { return __half2float(v); }

template <typename Y> __device__ inline Y fromFloat(float v);
template <> __device__ inline float fromFloat<float>(float v) { return v; }
template <> __device__ inline __nv_bfloat16 fromFloat<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}
template <> __device__ inline __half fromFloat<__half>(float v) {
  return __float2half_rn(v);
}

template <typename X, typename Y> struct Convert {
  __device__ Y operator()(X v) const { return fromFloat<Y>(toFloat(v)); }
};
template <typename T> struct Convert<T, T> {
  __device__ T operator()(T v) const { return v; }
};

template <typename X, typename Y, typename Index>
__global__ void gatherKernel(StridedCopyArgs a, const X *__restrict__ x,
                             Y *__restrict__ y) {
  const Index count = static_cast<Index>(a.count);
  const Index step = static_cast<Index>(gridDim.x) * blockDim.x;
  Convert<X, Y> convert;
  for (Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < count; i += step) {
    Index xo, yo;
    gatherOffsets<Index>(a, i, xo, yo);
    y[yo] = convert(x[xo]);
  }
}

template <typename X, typename Y>
__global__ void tiledKernel(StridedCopyArgs a, const X *__restrict__ x,
                            Y *__restrict__ y) {
  __shared__ X tile[kTile][kTile + 1];
  const int64_t tiles = tileCount(a);
  for (int64_t t = blockIdx.x; t < tiles; t += gridDim.x) {
    const TileOrigin o = tileOrigin(a, t);
    loadTile<X>(a, o, threadIdx.x, threadIdx.y, x, tile);
    __syncthreads();
    storeTile<X, Y>(a, o, threadIdx.x, threadIdx.y, tile, y, Convert<X, Y>());
    __syncthreads();
  }
}

/// Whether every offset the copy reaches fits 32-bit index arithmetic.
bool fits32(const StridedCopyArgs &a) {
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  int64_t xMax = 0, yMax = 0;
  for (int d = 0; d < a.rank; ++d) {
    xMax += (a.dims[d] - 1) * a.xStrides[d];
    yMax += (a.dims[d] - 1) * a.yStrides[d];
  }
  return a.count <= kMax && xMax <= kMax && yMax <= kMax;
}

template <typename X, typename Y>
cudaError_t launch(const StridedCopyPlan &p, const void *xBase, void *yBase,
                   cudaStream_t stream) {
  const X *x = reinterpret_cast<const X *>(static_cast<const char *>(xBase) +
                                           p.xOffsetBytes);
  Y *y = reinterpret_cast<Y *>(static_cast<char *>(yBase) + p.yOffsetBytes);
  const StridedCopyArgs &a = p.args;
  if (a.tiledDim >= 0) {
    const int64_t blocks = std::min(tileCount(a), kMaxBlocks);
    tiledKernel<X, Y>
        <<<static_cast<unsigned>(blocks), dim3(kTile, kTileRows), 0, stream>>>(
            a, x, y);
  } else {
    const int64_t blocks =
        std::min((a.count + kGatherThreads - 1) / kGatherThreads, kMaxBlocks);
    if (fits32(a))
      gatherKernel<X, Y, uint32_t>
          <<<static_cast<unsigned>(blocks), kGatherThreads, 0, stream>>>(a, x,
                                                                         y);
    else
      gatherKernel<X, Y, uint64_t>
          <<<static_cast<unsigned>(blocks), kGatherThreads, 0, stream>>>(a, x,
                                                                         y);
  }
  return cudaGetLastError();
}

template <typename X>
cudaError_t launchFrom(const StridedCopyPlan &p, CopyElement yType,
                       const void *x, void *y, cudaStream_t stream) {
  switch (yType) {
  case CopyElement::kF32:
    return launch<X, float>(p, x, y, stream);
  case CopyElement::kBF16:
    return launch<X, __nv_bfloat16>(p, x, y, stream);
  case CopyElement::kF16:
    return launch<X, __half>(p, x, y, stream);
  default:
    return cudaErrorInvalidValue;
  }
}

} // namespace

cudaError_t launchStridedCopy(const StridedCopyPlan &plan, CopyElement xType,
                              CopyElement yType, const void *x, void *y,
                              cudaStream_t stream) {
  if (plan.args.count == 0)
    return cudaSuccess;
  // Only this launch's error: an earlier call's is cleared (BlockingKernel).
  (void)cudaGetLastError();
  if (!plan.convert) {
    switch (plan.unitBytes) {
    case 1:
      return launch<uint8_t, uint8_t>(plan, x, y, stream);
    case 2:
      return launch<uint16_t, uint16_t>(plan, x, y, stream);
    case 4:
      return launch<uint32_t, uint32_t>(plan, x, y, stream);
    case 8:
      return launch<uint2, uint2>(plan, x, y, stream);
    case 16:
      return launch<uint4, uint4>(plan, x, y, stream);
    default:
      return cudaErrorInvalidValue;
    }
  }
  switch (xType) {
  case CopyElement::kF32:
    return launchFrom<float>(plan, yType, x, y, stream);
  case CopyElement::kBF16:
    return launchFrom<__nv_bfloat16>(plan, yType, x, y, stream);
  case CopyElement::kF16:
    return launchFrom<__half>(plan, yType, x, y, stream);
  default:
    return cudaErrorInvalidValue;
  }
}

} // namespace goodhart::cuda
