//===- CudnnGraphTest.cpp - How plan tensors are described to cuDNN graphs ===//
//
// The parts of CudnnGraph that need no GPU: the dims and strides each
// pointwise operand gets. The graphs themselves run in CudnnBackendTest on a
// GPU.
//
//===----------------------------------------------------------------------===//

#include "runners/cudnn/CudnnGraph.h"

#include "TestPlans.h"

#include <gtest/gtest.h>

namespace goodhart::cuda {
namespace {

using Ints = std::vector<int64_t>;

TEST(CudnnGraphTest, RankFourPointwiseOperandsFollowTheDeviceLayout) {
  TensorDesc x = testing::tensor(0, {2, 3, 4, 5}, TensorRole::kInput);
  TensorDesc y = testing::tensor(1, {2, 3, 4, 5}, TensorRole::kActivation);
  auto nhwc = pointwiseTensors({&x, &y}, {1, 2}, DeviceLayout::kNhwc);
  ASSERT_TRUE(nhwc) << nhwc.status().toString();
  ASSERT_EQ(nhwc->size(), 2u);
  EXPECT_EQ((*nhwc)[0].uid, 1);
  EXPECT_EQ((*nhwc)[1].uid, 2);
  EXPECT_EQ((*nhwc)[0].dims, Ints({2, 5, 3, 4}));
  EXPECT_EQ((*nhwc)[0].strides, Ints({60, 1, 20, 5}));
  auto nchw = pointwiseTensors({&x, &y}, {1, 2}, DeviceLayout::kNchw);
  ASSERT_TRUE(nchw);
  EXPECT_EQ((*nchw)[0].dims, Ints({2, 5, 3, 4}));
  EXPECT_EQ((*nchw)[0].strides, Ints({60, 12, 4, 1}));
}

TEST(CudnnGraphTest, AboveRankFourTheInnermostGroupIsTheChannel) {
  // Three groups (2 | 3 | 20): the innermost, with stride 1, must be C, as
  // in the channels-last tensors cuDNN 9 has pointwise engines for; the
  // H200 found none for NCHW-packed strides.
  TensorDesc x = testing::tensor(0, {2, 1, 3, 1, 4, 5}, TensorRole::kInput);
  TensorDesc b = testing::tensor(1, {2, 1, 1, 1, 4, 5}, TensorRole::kWeight);
  TensorDesc y =
      testing::tensor(2, {2, 1, 3, 1, 4, 5}, TensorRole::kActivation);
  for (DeviceLayout layout : {DeviceLayout::kNhwc, DeviceLayout::kNchw}) {
    auto t = pointwiseTensors({&x, &b, &y}, {1, 3, 2}, layout);
    ASSERT_TRUE(t) << t.status().toString();
    ASSERT_EQ(t->size(), 3u);
    EXPECT_EQ((*t)[0].dims, Ints({1, 20, 2, 3}));
    EXPECT_EQ((*t)[0].strides, Ints({120, 1, 60, 20}));
    // The bias broadcasts in H (3): its own packed strides.
    EXPECT_EQ((*t)[1].dims, Ints({1, 20, 2, 1}));
    EXPECT_EQ((*t)[1].strides, Ints({40, 1, 20, 20}));
    EXPECT_EQ((*t)[2].uid, 2);
    EXPECT_EQ((*t)[2].dims, (*t)[0].dims);
    EXPECT_EQ((*t)[2].strides, (*t)[0].strides);
  }
}

TEST(CudnnGraphTest, AboveRankFourOneRunOfElementsIsAllChannels) {
  TensorDesc x = testing::tensor(0, {2, 3, 4, 5, 6}, TensorRole::kInput);
  TensorDesc y = testing::tensor(1, {2, 3, 4, 5, 6}, TensorRole::kActivation);
  auto t = pointwiseTensors({&x, &y}, {1, 2}, DeviceLayout::kNhwc);
  ASSERT_TRUE(t);
  EXPECT_EQ((*t)[0].dims, Ints({1, 720, 1, 1}));
  EXPECT_EQ((*t)[0].strides, Ints({720, 1, 720, 720}));
}

TEST(CudnnGraphTest, AlternatingBroadcastsAboveRankFourAreUnsupported) {
  TensorDesc x = testing::tensor(0, {2, 3, 4, 5, 6}, TensorRole::kInput);
  TensorDesc b = testing::tensor(1, {1, 3, 1, 5, 1}, TensorRole::kWeight);
  auto t = pointwiseTensors({&x, &b}, {1, 3}, DeviceLayout::kNhwc);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.status().code(), StatusCode::kUnsupported);
}

TEST(CudnnGraphTest, ThePlanCacheKeepsPlansAndRefusalsApart) {
  PlanCache cache;
  EXPECT_EQ(cache.find("conv|a"), nullptr);
  EXPECT_EQ(cache.refusal("conv|a"), nullptr);
  PlanCache::Entry entry;
  entry.engine = "engine 45";
  entry.workspace = 1024;
  cache.insert("conv|a", entry);
  cache.refuse("conv|b", Status(StatusCode::kUnsupported, "no engine"));
  ASSERT_NE(cache.find("conv|a"), nullptr);
  EXPECT_EQ(cache.find("conv|a")->engine, "engine 45");
  EXPECT_EQ(cache.refusal("conv|a"), nullptr);
  EXPECT_EQ(cache.find("conv|b"), nullptr);
  ASSERT_NE(cache.refusal("conv|b"), nullptr);
  EXPECT_EQ(cache.refusal("conv|b")->message(), "no engine");
  EXPECT_EQ(cache.size(), 1u);
}

} // namespace
} // namespace goodhart::cuda
