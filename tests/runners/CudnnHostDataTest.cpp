//===- CudnnHostDataTest.cpp - Plan tensors as bytes the device stores ----===//

#include "runners/cudnn/CudnnHostData.h"

#include "runners/common/ParallelChunks.h"

#include "TestPlans.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>

namespace goodhart::cuda {
namespace {

uint16_t half(const std::vector<char> &bytes, size_t i) {
  uint16_t h;
  std::memcpy(&h, &bytes[i * 2], 2);
  return h;
}

TEST(CudnnHostDataTest, SixteenBitTypesRoundToNearestEven) {
  // 1 + 2^-8 lies halfway between bf16's 1 and 1 + 2^-7: even is 1. 1 +
  // 3 * 2^-8 lies halfway between 1 + 2^-7 and 1 + 2^-6: even is the
  // latter.
  std::vector<float> v = {1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, -2.5f};
  std::vector<char> bf = encode(v, DType::kBF16);
  ASSERT_EQ(bf.size(), 6u);
  EXPECT_EQ(half(bf, 0), 0x3f80);
  EXPECT_EQ(half(bf, 1), 0x3f82);
  EXPECT_EQ(decode(bf, DType::kBF16),
            (std::vector<float>{1.0f, 1.0f + 0x1p-6f, -2.5f}));
  // f16 has 10 mantissa bits: 1 + 2^-11 rounds to 1.
  std::vector<char> f16 = encode({1.0f + 0x1p-11f, 65504.0f}, DType::kF16);
  EXPECT_EQ(half(f16, 0), 0x3c00);
  EXPECT_EQ(half(f16, 1), 0x7bff);
  EXPECT_EQ(decode(encode(v, DType::kF32), DType::kF32), v);
}

template <typename T> T element(const std::vector<char> &bytes, size_t i) {
  T v;
  std::memcpy(&v, &bytes[i * sizeof(T)], sizeof(T));
  return v;
}

TEST(CudnnHostDataTest, EveryTypeTakesItsOwnSize) {
  // Integer types round to nearest and saturate; bool is v != 0. Each
  // buffer holds exactly its elements.
  std::vector<float> v = {2.6f, -1.5f, 1e6f, -1e20f, 0.0f};
  std::vector<char> i8 = encode(v, DType::kI8);
  ASSERT_EQ(i8.size(), 5u);
  EXPECT_EQ(element<int8_t>(i8, 0), 3);
  EXPECT_EQ(element<int8_t>(i8, 1), -2);
  EXPECT_EQ(element<int8_t>(i8, 2), 127);
  EXPECT_EQ(element<int8_t>(i8, 3), -128);
  std::vector<char> i16 = encode(v, DType::kI16);
  ASSERT_EQ(i16.size(), 10u);
  EXPECT_EQ(element<int16_t>(i16, 2), 32767);
  std::vector<char> i32 = encode(v, DType::kI32);
  ASSERT_EQ(i32.size(), 20u);
  EXPECT_EQ(element<int32_t>(i32, 2), 1000000);
  EXPECT_EQ(element<int32_t>(i32, 3), std::numeric_limits<int32_t>::min());
  std::vector<char> i64 = encode(v, DType::kI64);
  ASSERT_EQ(i64.size(), 40u);
  EXPECT_EQ(element<int64_t>(i64, 3), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(element<int64_t>(encode({1e20f}, DType::kI64), 0),
            std::numeric_limits<int64_t>::max());
  std::vector<char> b = encode(v, DType::kBool);
  ASSERT_EQ(b.size(), 5u);
  EXPECT_EQ(decode(b, DType::kBool),
            (std::vector<float>{1.0f, 1.0f, 1.0f, 1.0f, 0.0f}));
  EXPECT_EQ(decode(i32, DType::kI32),
            (std::vector<float>{3.0f, -2.0f, 1e6f, -0x1p31f, 0.0f}));
  std::vector<char> f64 = encode(v, DType::kF64);
  ASSERT_EQ(f64.size(), 40u);
  EXPECT_EQ(element<double>(f64, 0), double(2.6f));
  EXPECT_EQ(decode(f64, DType::kF64), v);
}

TEST(CudnnHostDataTest, LargeTensorsConvertTheSameOnEveryThread) {
  // More elements than one thread converts: every chunk must land where
  // the element-wise conversion puts it.
  const size_t n = 3 * kElementsPerThread + 17;
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<float>(i % 1000) * 0.37f - 100.0f;
  std::vector<char> bf = encode(v, DType::kBF16);
  std::vector<float> back = decode(bf, DType::kBF16);
  ASSERT_EQ(back.size(), n);
  for (size_t i : {size_t(0), kElementsPerThread - 1, kElementsPerThread,
                   2 * kElementsPerThread + 5, n - 1}) {
    std::vector<char> one = encode({v[i]}, DType::kBF16);
    EXPECT_EQ(half(bf, i), half(one, 0)) << i;
    EXPECT_EQ(back[i], decode(one, DType::kBF16)[0]) << i;
  }
  EXPECT_EQ(decode(encode(v, DType::kF32), DType::kF32), v);
}

TEST(CudnnHostDataTest, NchwStorageReordersAndRowMajorStorageDoesNot) {
  TensorDesc t = testing::tensor(0, {1, 2, 2, 3}, TensorRole::kInput);
  std::vector<float> v(12);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<float>(i);
  // NHWC: the plan's order.
  EXPECT_EQ(decode(deviceBytes(t, v, DeviceLayout::kNhwc), DType::kF32), v);
  // NCHW: each channel's plane together.
  std::vector<float> nchw =
      decode(deviceBytes(t, v, DeviceLayout::kNchw), DType::kF32);
  EXPECT_EQ(nchw, (std::vector<float>{0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11}));
  EXPECT_EQ(hostValues(t, deviceBytes(t, v, DeviceLayout::kNchw),
                       DeviceLayout::kNchw),
            v);
  // One channel: NCHW is the plan's order too.
  TensorDesc c1 = testing::tensor(1, {1, 2, 2, 1}, TensorRole::kInput);
  std::vector<float> four = {0, 1, 2, 3};
  EXPECT_EQ(decode(deviceBytes(c1, four, DeviceLayout::kNchw), DType::kF32),
            four);
}

} // namespace
} // namespace goodhart::cuda
