//===- CudnnLayoutTest.cpp - Device layouts and strided views -------------===//

#include "runners/cudnn/CudnnLayout.h"

#include <gtest/gtest.h>

#include <numeric>

namespace goodhart::cuda {
namespace {

using Ints = std::vector<int64_t>;

std::vector<float> iota(size_t n) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), 0.0f);
  return v;
}

TEST(CudnnLayoutTest, NhwcIsRowMajorAndNchwMovesChannelsOutward) {
  EXPECT_EQ(deviceStrides({2, 3, 4, 5}, DeviceLayout::kNhwc),
            Ints({60, 20, 5, 1}));
  // N=2 H=3 W=4 C=5 stored as NCHW: c stride H*W, h stride W, w stride 1.
  EXPECT_EQ(deviceStrides({2, 3, 4, 5}, DeviceLayout::kNchw),
            Ints({60, 4, 1, 12}));
  // Only rank-4 tensors change.
  EXPECT_EQ(deviceStrides({3, 4, 5}, DeviceLayout::kNchw), Ints({20, 5, 1}));
  EXPECT_EQ(parseDeviceLayout("nchw"), DeviceLayout::kNchw);
  EXPECT_EQ(parseDeviceLayout("nhwc"), DeviceLayout::kNhwc);
  EXPECT_STREQ(deviceLayoutName(DeviceLayout::kNchw), "nchw");
  EXPECT_TRUE(storedRowMajor({1, 7, 7, 64}, DeviceLayout::kNhwc));
  EXPECT_FALSE(storedRowMajor({1, 7, 7, 64}, DeviceLayout::kNchw));
  EXPECT_TRUE(storedRowMajor({1, 1, 1, 2048}, DeviceLayout::kNchw));
  EXPECT_TRUE(storedRowMajor({1, 49, 2048}, DeviceLayout::kNchw));
  EXPECT_TRUE(
      reshapeMovesData({1, 7, 7, 64}, {1, 49, 64}, DeviceLayout::kNchw));
  EXPECT_FALSE(
      reshapeMovesData({1, 7, 7, 64}, {1, 49, 64}, DeviceLayout::kNhwc));
  EXPECT_FALSE(
      reshapeMovesData({8, 1, 1, 2048}, {8, 2048}, DeviceLayout::kNchw));
}

TEST(CudnnLayoutTest, NchwUploadPutsEachChannelPlaneTogether) {
  // [1,2,2,3] NHWC values 0..11: element (h,w,c) is 6h + 3w + c.
  Ints shape = {1, 2, 2, 3};
  Ints strides = deviceStrides(shape, DeviceLayout::kNchw);
  std::vector<float> device = toDeviceOrder(iota(12), shape, strides);
  EXPECT_EQ(device, std::vector<float>({0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11}));
  EXPECT_EQ(fromDeviceOrder(device, shape, strides), iota(12));
  Ints packed = deviceStrides(shape, DeviceLayout::kNhwc);
  EXPECT_EQ(toDeviceOrder(iota(12), shape, packed), iota(12));
}

/// y[view] = x[view], element by element.
std::vector<float> copied(const CopyView &v, const std::vector<float> &x) {
  std::vector<float> y(x.size(), -1);
  int64_t n = 1;
  for (int64_t d : v.dims)
    n *= d;
  for (int64_t i = 0; i < n; ++i) {
    int64_t xo = v.xOffset, yo = v.yOffset, rest = i;
    for (int64_t d = static_cast<int64_t>(v.dims.size()) - 1; d >= 0; --d) {
      xo += rest % v.dims[d] * v.xStrides[d];
      yo += rest % v.dims[d] * v.yStrides[d];
      rest /= v.dims[d];
    }
    y[yo] = x[xo];
  }
  return y;
}

TEST(CudnnLayoutTest, ReshapeOfAnNchwTensorIsACopyInPlanOrder) {
  const Ints nhwc = {1, 2, 2, 3}, flat = {1, 12};
  const Ints nchw = deviceStrides(nhwc, DeviceLayout::kNchw);
  const std::vector<float> stored = toDeviceOrder(iota(12), nhwc, nchw);
  // Flattening an NCHW-stored tensor gathers it back into plan order.
  auto v = reshapeView(nhwc, nchw, flat, {12, 1});
  ASSERT_TRUE(v.isOk());
  EXPECT_EQ(v->dims, nhwc);
  EXPECT_EQ(copied(*v, stored), iota(12));
  // Unflattening into an NCHW-stored tensor scatters it into device order.
  v = reshapeView(flat, {12, 1}, nhwc, nchw);
  ASSERT_TRUE(v.isOk());
  EXPECT_EQ(v->dims, nhwc);
  EXPECT_EQ(copied(*v, iota(12)), stored);
  // Between two NCHW-stored shapes there is no single strided copy.
  const Ints other = {1, 3, 2, 2};
  EXPECT_EQ(
      reshapeView(nhwc, nchw, other, deviceStrides(other, DeviceLayout::kNchw))
          .status()
          .code(),
      StatusCode::kUnsupported);
  EXPECT_EQ(reshapeView(nhwc, nchw, {1, 11}, {11, 1}).status().code(),
            StatusCode::kInvalidInput);
}

TEST(CudnnLayoutTest, BroadcastReadsSizeOneDimensionsThroughStrideZero) {
  // [2,1,3] -> [2,4,3]: each row of 3 repeats 4 times.
  auto v = broadcastView({2, 1, 3}, {3, 3, 1}, {2, 4, 3}, {12, 3, 1});
  ASSERT_TRUE(v.isOk());
  EXPECT_EQ(v->xStrides, Ints({3, 0, 1}));
  std::vector<float> y = copied(*v, iota(24)); // x is the first 6 values
  EXPECT_EQ(std::vector<float>(y.begin(), y.begin() + 12),
            std::vector<float>({0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(y[12], 3);
  EXPECT_EQ(broadcastView({2, 2, 3}, {6, 3, 1}, {2, 4, 3}, {12, 3, 1})
                .status()
                .code(),
            StatusCode::kInvalidInput);
  EXPECT_EQ(broadcastView({3}, {1}, {2, 3}, {3, 1}).status().code(),
            StatusCode::kInvalidInput);
}

TEST(CudnnLayoutTest, NchwViewMakesTheLastPlanDimensionC) {
  auto v = nchwView({2, 7, 5, 3}, {105, 15, 3, 1});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->dims, Ints({2, 3, 7, 5}));
  EXPECT_EQ(v->strides, Ints({105, 1, 15, 3}));
  // The same tensor stored NCHW: packed NCHW strides.
  v = nchwView({2, 7, 5, 3}, deviceStrides({2, 7, 5, 3}, DeviceLayout::kNchw));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->strides, Ints({105, 35, 5, 1}));
  // A [1,1,1024] bias is per-channel, like a convolution's.
  v = nchwView({1, 1, 1024}, {1024, 1024, 1});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->dims, Ints({1, 1024, 1, 1}));
  EXPECT_EQ(v->strides[1], 1);
  v = nchwView({1, 384, 1024}, {393216, 1024, 1});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->dims, Ints({1, 1024, 1, 384}));
  EXPECT_EQ(v->strides, Ints({393216, 1, 393216, 1024}));
  EXPECT_FALSE(nchwView({1, 2, 3, 4, 5}, {120, 60, 20, 5, 1}));
}

TEST(CudnnLayoutTest, PointwiseOperandsAboveRankFourMergeTheirDimensions) {
  // Equal shapes are one run of elements.
  auto v = mergedPointwiseViews({{2, 3, 4, 5, 6}, {2, 3, 4, 5, 6}});
  ASSERT_TRUE(v) << v.status().toString();
  ASSERT_EQ(v->size(), 2u);
  EXPECT_EQ((*v)[0].dims, Ints({1, 1, 1, 720}));
  EXPECT_EQ((*v)[0].strides, Ints({720, 720, 720, 1}));
  // A bias over the last three dimensions: two groups, the first
  // broadcast in b.
  v = mergedPointwiseViews({{2, 3, 4, 5, 6}, {1, 1, 4, 5, 6}});
  ASSERT_TRUE(v);
  EXPECT_EQ((*v)[0].dims, Ints({1, 1, 6, 120}));
  EXPECT_EQ((*v)[0].strides, Ints({720, 720, 120, 1}));
  EXPECT_EQ((*v)[1].dims, Ints({1, 1, 1, 120}));
  // Size-1 dimensions everywhere are dropped; three groups remain.
  v = mergedPointwiseViews({{2, 1, 3, 1, 4, 5}, {2, 1, 1, 1, 4, 5}});
  ASSERT_TRUE(v);
  EXPECT_EQ((*v)[0].dims, Ints({1, 2, 3, 20}));
  EXPECT_EQ((*v)[1].dims, Ints({1, 2, 1, 20}));
  EXPECT_EQ((*v)[1].strides, Ints({40, 20, 20, 1}));
  // Five alternating groups do not fit cuDNN's four dimensions.
  auto alternating = mergedPointwiseViews({{2, 3, 4, 5, 6}, {1, 3, 1, 5, 1}});
  ASSERT_FALSE(alternating);
  EXPECT_EQ(alternating.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(alternating.status().message().find("5 alternating groups"),
            std::string::npos);
  EXPECT_EQ(
      mergedPointwiseViews({{2, 3, 4, 5, 6}, {2, 3, 4, 5, 7}}).status().code(),
      StatusCode::kInvalidInput);
}

TEST(CudnnLayoutTest, TransposeReadsTheInputThroughPermutedStrides) {
  // [1,384,16,64] -> perm [0,2,1,3] -> [1,16,384,64].
  auto v = transposeView({1, 384, 16, 64}, {393216, 1024, 64, 1},
                         {393216, 24576, 64, 1}, {0, 2, 1, 3});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->dims, Ints({1, 16, 384, 64}));
  EXPECT_EQ(v->xStrides, Ints({393216, 64, 1024, 1}));
  EXPECT_EQ(v->yStrides, Ints({393216, 24576, 64, 1}));
  EXPECT_FALSE(transposeView({2, 3}, {3, 1}, {2, 1}, {0, 0}));
}

TEST(CudnnLayoutTest, SliceOffsetsTheInputAndKeepsItsStrides) {
  auto v = sliceView({1, 56, 56, 256}, {802816, 14336, 256, 1},
                     {1, 55, 55, 256}, {774400, 14080, 256, 1}, {0, 1, 0, 0});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->dims, Ints({1, 55, 55, 256}));
  EXPECT_EQ(v->xOffset, 14336);
  EXPECT_EQ(v->yOffset, 0);
  EXPECT_FALSE(sliceView({4}, {1}, {3}, {1}, {2}));
}

TEST(CudnnLayoutTest, ConcatPlacesEachInputAtItsOffsetAlongTheAxis) {
  auto views =
      concatViews({{2, 3}, {2, 5}}, {{3, 1}, {5, 1}}, {2, 8}, {8, 1}, -1);
  ASSERT_TRUE(views);
  ASSERT_EQ(views->size(), 2u);
  EXPECT_EQ((*views)[0].yOffset, 0);
  EXPECT_EQ((*views)[1].yOffset, 3);
  EXPECT_EQ((*views)[1].dims, Ints({2, 5}));
  EXPECT_EQ((*views)[1].xStrides, Ints({5, 1}));
  EXPECT_EQ((*views)[1].yStrides, Ints({8, 1}));
  EXPECT_FALSE(concatViews({{2, 3}}, {{3, 1}}, {2, 8}, {8, 1}, 1));
  CopyView padded = padView((*views)[1], 4);
  EXPECT_EQ(padded.dims, Ints({1, 1, 2, 5}));
  EXPECT_EQ(padded.xStrides, Ints({10, 10, 5, 1}));
  EXPECT_EQ(padded.yStrides, Ints({16, 16, 8, 1}));
  DimsStrides reduced = paddedView({384, 1}, {1, 1}, 4);
  EXPECT_EQ(reduced.dims, Ints({1, 1, 384, 1}));
  EXPECT_EQ(reduced.strides, Ints({384, 384, 1, 1}));
}

TEST(CudnnLayoutTest, SlicesAndConcatsArePitchedCopiesTransposesAreNot) {
  // ResNet-50's stride trim: [32,56,56,256] -> [32,55,55,256], NHWC. W and
  // C merge into rows of 55*256; 55 rows per image, 32 images.
  const std::vector<int64_t> in = {32, 56, 56, 256}, out = {32, 55, 55, 256};
  auto trim = sliceView(in, deviceStrides(in, DeviceLayout::kNhwc), out,
                        deviceStrides(out, DeviceLayout::kNhwc), {0, 0, 0, 0});
  ASSERT_TRUE(trim);
  auto p = pitchedCopy(*trim);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->width, 55 * 256);
  EXPECT_EQ(p->height, 55);
  EXPECT_EQ(p->depth, 32);
  EXPECT_EQ(p->xPitch, 56 * 256);
  EXPECT_EQ(p->yPitch, 55 * 256);
  EXPECT_EQ(p->xRows, 56);
  EXPECT_EQ(p->yRows, 55);
  // The same slice stored NCHW: N and C merge into the slabs.
  auto nchw = sliceView(in, deviceStrides(in, DeviceLayout::kNchw), out,
                        deviceStrides(out, DeviceLayout::kNchw), {0, 0, 0, 0});
  ASSERT_TRUE(nchw);
  p = pitchedCopy(*nchw);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->width, 55);
  EXPECT_EQ(p->depth, 32 * 256);
  EXPECT_EQ(p->xRows, 56);
  // A concat along the channels: each input's rows land a pitch apart.
  auto parts = concatViews({{1, 4, 4, 3}, {1, 4, 4, 5}},
                           {{48, 12, 3, 1}, {80, 20, 5, 1}}, {1, 4, 4, 8},
                           {128, 32, 8, 1}, 3);
  ASSERT_TRUE(parts);
  p = pitchedCopy((*parts)[1]);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->width, 5);
  EXPECT_EQ(p->height, 16);
  EXPECT_EQ(p->xPitch, 5);
  EXPECT_EQ(p->yPitch, 8);
  EXPECT_EQ((*parts)[1].yOffset, 3);
  // A contiguous whole is one row; a transpose is no pitched copy.
  CopyView whole{{2, 3, 4}, {12, 4, 1}, {12, 4, 1}};
  p = pitchedCopy(whole);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->width, 24);
  EXPECT_EQ(p->height, 1);
  auto t = transposeView({2, 3}, {3, 1}, {2, 1}, {1, 0});
  ASSERT_TRUE(t);
  EXPECT_FALSE(pitchedCopy(*t));
}

TEST(CudnnLayoutTest, SoftmaxPutsTheAxisInC) {
  // bert_large's attention softmax: [16,384,384] over axis 2.
  auto v = softmaxView({16, 384, 384}, {147456, 384, 1}, 2);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->dims, Ints({6144, 384, 1, 1}));
  EXPECT_EQ(v->strides, Ints({384, 1, 1, 1}));
  v = softmaxView({2, 3, 4}, {12, 4, 1}, 1);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->dims, Ints({2, 3, 4, 1}));
  EXPECT_EQ(v->strides, Ints({12, 4, 1, 1}));
  // An NCHW-stored [N,H,W,C] softmax over C keeps its dims, strided.
  Ints nchw = deviceStrides({2, 3, 4, 5}, DeviceLayout::kNchw);
  v = softmaxView({2, 3, 4, 5}, nchw, 3);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->dims, Ints({2, 5, 3, 4}));
  EXPECT_EQ(v->strides, Ints({60, 12, 4, 1}));
  EXPECT_FALSE(softmaxView({2, 3}, {3, 1}, 2));
  EXPECT_TRUE(fitsInt32(*v));
  EXPECT_FALSE(fitsInt32({{int64_t(1) << 32}, {1}}));
}

} // namespace
} // namespace goodhart::cuda
