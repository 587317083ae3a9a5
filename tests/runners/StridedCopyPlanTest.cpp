//===- StridedCopyPlanTest.cpp - Planning goodhart's strided copy kernel --===//
//
// The kernel's index arithmetic lives in StridedCopyPlan.h as host-and-
// device functions; these tests replay every thread of both kernels on the
// CPU over random transposes, slices and layout changes, and compare with
// the copy done element by element. The GPU itself runs them in
// CudnnBackendTest (transposes and casts pass the float64 check).
//
//===----------------------------------------------------------------------===//

#include "runners/cudnn/StridedCopyPlan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <numeric>
#include <random>

namespace goodhart::cuda {
namespace {

std::vector<int64_t> packed(const std::vector<int64_t> &dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (int64_t i = static_cast<int64_t>(dims.size()) - 2; i >= 0; --i)
    s[i] = s[i + 1] * dims[i + 1];
  return s;
}

int64_t elements(const std::vector<int64_t> &dims) {
  return std::accumulate(dims.begin(), dims.end(), int64_t(1),
                         std::multiplies<>());
}

template <int N> struct Unit { std::array<uint8_t, N> b; };

/// Runs `p` as the kernels would, every block and thread, over bytes.
template <int N>
void replayAs(const StridedCopyPlan &p, const std::vector<uint8_t> &x,
              std::vector<uint8_t> &y) {
  const auto *xs = reinterpret_cast<const Unit<N> *>(x.data() + p.xOffsetBytes);
  auto *ys = reinterpret_cast<Unit<N> *>(y.data() + p.yOffsetBytes);
  const StridedCopyArgs &a = p.args;
  if (a.tiledDim < 0) {
    for (int64_t i = 0; i < a.count; ++i) {
      int64_t xo, yo;
      gatherOffsets<int64_t>(a, i, xo, yo);
      ys[yo] = xs[xo];
    }
    return;
  }
  Unit<N> tile[kTile][kTile + 1];
  for (int64_t t = 0; t < tileCount(a); ++t) {
    const TileOrigin o = tileOrigin(a, t);
    for (int ty = 0; ty < kTileRows; ++ty)
      for (int tx = 0; tx < kTile; ++tx)
        loadTile(a, o, tx, ty, xs, tile);
    for (int ty = 0; ty < kTileRows; ++ty)
      for (int tx = 0; tx < kTile; ++tx)
        storeTile(a, o, tx, ty, tile, ys, [](Unit<N> u) { return u; });
  }
}

void replay(const StridedCopyPlan &p, const std::vector<uint8_t> &x,
            std::vector<uint8_t> &y) {
  switch (p.unitBytes) {
  case 1:
    return replayAs<1>(p, x, y);
  case 2:
    return replayAs<2>(p, x, y);
  case 4:
    return replayAs<4>(p, x, y);
  case 8:
    return replayAs<8>(p, x, y);
  case 16:
    return replayAs<16>(p, x, y);
  default:
    FAIL() << "unit of " << p.unitBytes << " bytes";
  }
}

/// The copy done one element at a time over the view's own dimensions.
void naiveCopy(const CopyView &v, int bytes, const std::vector<uint8_t> &x,
               std::vector<uint8_t> &y) {
  std::vector<int64_t> idx(v.dims.size(), 0);
  for (int64_t n = 0; n < elements(v.dims); ++n) {
    int64_t xo = v.xOffset, yo = v.yOffset, rest = n;
    for (int64_t d = static_cast<int64_t>(v.dims.size()) - 1; d >= 0; --d) {
      const int64_t c = rest % v.dims[d];
      rest /= v.dims[d];
      xo += c * v.xStrides[d];
      yo += c * v.yStrides[d];
    }
    std::memcpy(&y[yo * bytes], &x[xo * bytes], bytes);
  }
}

/// Plans `v`, replays it and compares with the naive copy over buffers of
/// `xElems` and `yElems` elements; the plan, for further checks.
StridedCopyPlan expectReplayMatches(const CopyView &v, int bytes,
                                    int64_t xElems, int64_t yElems) {
  auto p = planStridedCopy(v, bytes, bytes, /*convert=*/false);
  EXPECT_TRUE(p.isOk()) << p.status().message();
  if (!p)
    return {};
  std::vector<uint8_t> x(xElems * bytes);
  std::mt19937 rng(11);
  for (uint8_t &b : x)
    b = static_cast<uint8_t>(rng());
  // 0xAB marks bytes nobody wrote: both copies must leave the same ones.
  std::vector<uint8_t> expected(yElems * bytes, 0xAB), actual = expected;
  naiveCopy(v, bytes, x, expected);
  replay(*p, x, actual);
  EXPECT_EQ(actual, expected) << describeStridedCopy(*p);
  return *p;
}

/// A transpose of a packed tensor into a packed one.
CopyView transposed(const std::vector<int64_t> &in,
                    const std::vector<int64_t> &perm) {
  std::vector<int64_t> out;
  for (int64_t p : perm)
    out.push_back(in[p]);
  auto v = transposeView(in, packed(in), packed(out), perm);
  EXPECT_TRUE(v.isOk());
  return *v;
}

TEST(StridedCopyPlanTest, HeadTransposeKeepsRowsAndMovesWideUnits) {
  // BERT's [B,S,H,D] -> [B,H,S,D], bf16, D = 64: 128-byte rows, 16B units.
  CopyView v = transposed({2, 6, 4, 64}, {0, 2, 1, 3});
  StridedCopyPlan p = expectReplayMatches(v, 2, 2 * 6 * 4 * 64, 2 * 6 * 4 * 64);
  EXPECT_EQ(p.args.tiledDim, -1);
  EXPECT_EQ(p.unitBytes, 16);
  EXPECT_EQ(p.args.rank, 4);
  EXPECT_EQ(p.args.dims[3], 8); // 64 bf16 = 8 units of 16 bytes
  EXPECT_EQ(p.args.count, 2 * 6 * 4 * 8);
  EXPECT_EQ(describeStridedCopy(p), "gather, 16B units");
}

TEST(StridedCopyPlanTest, KeyTransposeGoesThroughTiles) {
  // K^T for Q x K^T: [B,S,H,D] -> [B,H,D,S], with partial tiles.
  CopyView v = transposed({2, 37, 3, 40}, {0, 2, 3, 1});
  StridedCopyPlan p =
      expectReplayMatches(v, 2, 2 * 37 * 3 * 40, 2 * 37 * 3 * 40);
  ASSERT_GE(p.args.tiledDim, 0);
  EXPECT_EQ(p.args.xStrides[p.args.tiledDim], 1);
  EXPECT_EQ(p.args.yStrides[p.args.rank - 1], 1);
  EXPECT_EQ(p.unitBytes, 2); // tiles move elements
  EXPECT_EQ(describeStridedCopy(p), "tiled, 2B units");
  // H and D merge (both contiguous on both sides): [B, H*D, S] =
  // [2, 120, 37], 2 * 4 * 2 tiles.
  EXPECT_EQ(p.args.rank, 3);
  EXPECT_EQ(p.args.dims[1], 120);
  EXPECT_EQ(tileCount(p.args), 2 * 4 * 2);
}

TEST(StridedCopyPlanTest, NhwcToNchwIsOneTiledTranspose) {
  const std::vector<int64_t> shape = {3, 7, 9, 33};
  auto v =
      transposeView(shape, deviceStrides(shape, DeviceLayout::kNhwc),
                    deviceStrides(shape, DeviceLayout::kNchw), {0, 1, 2, 3});
  ASSERT_TRUE(v.isOk());
  StridedCopyPlan p =
      expectReplayMatches(*v, 4, elements(shape), elements(shape));
  // H and W merge: [N, C, H*W] in the output's order.
  EXPECT_EQ(p.args.rank, 3);
  EXPECT_EQ(p.args.dims[1], 33);
  EXPECT_EQ(p.args.dims[2], 63);
  EXPECT_EQ(p.args.tiledDim, 1);
}

TEST(StridedCopyPlanTest, RandomTransposesAndSlicesMatchTheNaiveCopy) {
  std::mt19937 rng(20261127);
  int tiled = 0, widened = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const int rank = 1 + static_cast<int>(rng() % 5);
    std::vector<int64_t> in(rank);
    for (int64_t &d : in)
      d = 1 + rng() % 9;
    std::vector<int64_t> perm(rank);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    const int bytes = 1 << (rng() % 3);
    SCOPED_TRACE("trial " + std::to_string(trial));
    if (trial % 2 == 0) {
      StridedCopyPlan p = expectReplayMatches(transposed(in, perm), bytes,
                                              elements(in), elements(in));
      tiled += p.args.tiledDim >= 0;
      widened += p.unitBytes > bytes;
      continue;
    }
    // A box of `in` at a random start, then transposed on the way out.
    std::vector<int64_t> box(rank), start(rank), out;
    for (int i = 0; i < rank; ++i) {
      box[i] = 1 + rng() % in[i];
      start[i] = rng() % (in[i] - box[i] + 1);
    }
    for (int64_t p : perm)
      out.push_back(box[p]);
    auto s = sliceView(in, packed(in), box, packed(box), start);
    ASSERT_TRUE(s.isOk());
    CopyView v;
    const std::vector<int64_t> outStrides = packed(out);
    v.dims = out;
    v.yStrides = outStrides;
    for (int64_t p : perm)
      v.xStrides.push_back(s->xStrides[p]);
    v.xOffset = s->xOffset;
    StridedCopyPlan p =
        expectReplayMatches(v, bytes, elements(in), elements(out));
    tiled += p.args.tiledDim >= 0;
    widened += p.unitBytes > bytes;
  }
  // Both kernels and the widening were exercised.
  EXPECT_GT(tiled, 50);
  EXPECT_GT(widened, 20);
}

TEST(StridedCopyPlanTest, BroadcastsRepeatThroughStrideZero) {
  // [1,S,1] -> [B,S,H] (a mask), [B,1,H] -> [B,S,H] (a bias per head),
  // [1,1,H] with H contiguous: gather, tiled and widened kernels.
  const std::vector<int64_t> y = {3, 40, 48};
  for (const std::vector<int64_t> &x :
       {std::vector<int64_t>{1, 40, 1}, std::vector<int64_t>{3, 1, 48},
        std::vector<int64_t>{1, 1, 48}, std::vector<int64_t>{1, 1, 1}}) {
    auto v = broadcastView(x, packed(x), y, packed(y));
    ASSERT_TRUE(v.isOk());
    StridedCopyPlan p = expectReplayMatches(*v, 2, elements(x), elements(y));
    EXPECT_EQ(p.args.count * p.unitBytes, elements(y) * 2);
  }
}

TEST(StridedCopyPlanTest, OffsetsAndAlignmentLimitTheUnitWidth) {
  // A slice one element in: the unit cannot be wider than the offset.
  auto v = sliceView({4, 66}, {66, 1}, {4, 64}, {64, 1}, {0, 1});
  ASSERT_TRUE(v.isOk());
  auto p = planStridedCopy(*v, 2, 2, false);
  ASSERT_TRUE(p.isOk());
  EXPECT_EQ(p->unitBytes, 2);
  EXPECT_EQ(p->xOffsetBytes, 2);
  // Aligned offsets, but addresses only 4-byte aligned.
  v = sliceView({4, 72}, {72, 1}, {4, 64}, {64, 1}, {0, 8});
  ASSERT_TRUE(v.isOk());
  p = planStridedCopy(*v, 2, 2, false, /*alignBytes=*/4);
  ASSERT_TRUE(p.isOk());
  EXPECT_EQ(p->unitBytes, 4);
  p = planStridedCopy(*v, 2, 2, false);
  ASSERT_TRUE(p.isOk());
  EXPECT_EQ(p->unitBytes, 16);
  EXPECT_EQ(p->args.rank, 2); // rows of 72 and 64 do not merge
}

TEST(StridedCopyPlanTest, ConversionsMoveSingleElements) {
  CopyView v{{8, 64}, {64, 1}, {64, 1}};
  auto p = planStridedCopy(v, 4, 2, /*convert=*/true);
  ASSERT_TRUE(p.isOk());
  EXPECT_EQ(p->unitBytes, 4);
  EXPECT_TRUE(p->convert);
  EXPECT_EQ(p->args.rank, 1); // packed on both sides: one run
  EXPECT_EQ(p->args.count, 512);
  EXPECT_EQ(describeStridedCopy(*p), "gather, converting");
  // Without conversion the element sizes must agree.
  EXPECT_EQ(planStridedCopy(v, 4, 2, false).status().code(),
            StatusCode::kInvalidInput);
}

TEST(StridedCopyPlanTest, EdgeCasesSayWhatTheyAre) {
  // Nothing to move.
  auto p = planStridedCopy(CopyView{{4, 0}, {1, 1}, {1, 1}}, 4, 4, false);
  ASSERT_TRUE(p.isOk());
  EXPECT_EQ(p->args.count, 0);
  // One element.
  p = planStridedCopy(CopyView{{1, 1}, {1, 1}, {1, 1}, 3, 5}, 4, 4, false);
  ASSERT_TRUE(p.isOk());
  EXPECT_EQ(p->args.count, 1);
  EXPECT_EQ(p->xOffsetBytes, 12);
  EXPECT_EQ(p->yOffsetBytes, 20);
  // Nine dimensions reversed: none merge, more than the kernel takes.
  std::vector<int64_t> in(9, 2), perm(9);
  std::iota(perm.rbegin(), perm.rend(), 0);
  p = planStridedCopy(transposed(in, perm), 4, 4, false);
  EXPECT_EQ(p.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(p.status().message().find("9 dimensions"), std::string::npos);
  // Ranks that disagree are bad input.
  p = planStridedCopy(CopyView{{2, 2}, {1}, {2, 1}}, 4, 4, false);
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidInput);
}

} // namespace
} // namespace goodhart::cuda
