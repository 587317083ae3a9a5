//===- CudnnHostData.cpp - Plan tensors as bytes the device stores --------===//

#include "runners/cudnn/CudnnHostData.h"

#include "runners/common/ParallelChunks.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace goodhart::cuda {

namespace {

/// `v` as an integer of type T: rounded to nearest, saturated at T's range
/// (a float outside it has no defined conversion), NaN as 0.
template <typename T> T toInteger(float v) {
  if (std::isnan(v))
    return 0;
  const double r = std::nearbyint(static_cast<double>(v));
  // Compared in double: int64's largest value rounds up to 2^63 there.
  if (r >= static_cast<double>(std::numeric_limits<T>::max()))
    return std::numeric_limits<T>::max();
  if (r <= static_cast<double>(std::numeric_limits<T>::min()))
    return std::numeric_limits<T>::min();
  return static_cast<T>(r);
}

/// Converts elements [begin, end) of `values` to T with `convert`.
template <typename T, typename Convert>
void encodeAs(const std::vector<float> &values, std::vector<char> &bytes,
              size_t begin, size_t end, Convert convert) {
  for (size_t i = begin; i < end; ++i) {
    T element = convert(values[i]);
    std::memcpy(&bytes[i * sizeof(T)], &element, sizeof(T));
  }
}

/// Reads elements [begin, end) of `bytes` as T, to float with `convert`.
template <typename T, typename Convert>
void decodeAs(const std::vector<char> &bytes, std::vector<float> &values,
              size_t begin, size_t end, Convert convert) {
  for (size_t i = begin; i < end; ++i) {
    T element;
    std::memcpy(&element, &bytes[i * sizeof(T)], sizeof(T));
    values[i] = convert(element);
  }
}

template <typename T> float toFloat(T v) { return static_cast<float>(v); }

} // namespace

std::vector<char> encode(const std::vector<float> &values, DType type) {
  std::vector<char> bytes(values.size() * dtypeSize(type));
  parallelChunks(values.size(), [&](size_t b, size_t e) {
    switch (type) {
    case DType::kF32:
      std::memcpy(&bytes[b * 4], &values[b], (e - b) * 4);
      return;
    case DType::kF16:
      return encodeAs<__half>(values, bytes, b, e, __float2half_rn);
    case DType::kBF16:
      return encodeAs<__nv_bfloat16>(values, bytes, b, e, __float2bfloat16_rn);
    case DType::kF64:
      return encodeAs<double>(values, bytes, b, e,
                              [](float v) { return double(v); });
    case DType::kI64:
      return encodeAs<int64_t>(values, bytes, b, e, toInteger<int64_t>);
    case DType::kI32:
      return encodeAs<int32_t>(values, bytes, b, e, toInteger<int32_t>);
    case DType::kI16:
      return encodeAs<int16_t>(values, bytes, b, e, toInteger<int16_t>);
    case DType::kI8:
      return encodeAs<int8_t>(values, bytes, b, e, toInteger<int8_t>);
    case DType::kBool:
      return encodeAs<uint8_t>(values, bytes, b, e,
                               [](float v) { return uint8_t(v != 0); });
    }
  });
  return bytes;
}

std::vector<float> decode(const std::vector<char> &bytes, DType type) {
  std::vector<float> values(bytes.size() / dtypeSize(type));
  parallelChunks(values.size(), [&](size_t b, size_t e) {
    switch (type) {
    case DType::kF32:
      std::memcpy(&values[b], &bytes[b * 4], (e - b) * 4);
      return;
    case DType::kF16:
      return decodeAs<__half>(bytes, values, b, e, __half2float);
    case DType::kBF16:
      return decodeAs<__nv_bfloat16>(bytes, values, b, e, __bfloat162float);
    case DType::kF64:
      return decodeAs<double>(bytes, values, b, e, toFloat<double>);
    case DType::kI64:
      return decodeAs<int64_t>(bytes, values, b, e, toFloat<int64_t>);
    case DType::kI32:
      return decodeAs<int32_t>(bytes, values, b, e, toFloat<int32_t>);
    case DType::kI16:
      return decodeAs<int16_t>(bytes, values, b, e, toFloat<int16_t>);
    case DType::kI8:
      return decodeAs<int8_t>(bytes, values, b, e, toFloat<int8_t>);
    case DType::kBool:
      return decodeAs<uint8_t>(bytes, values, b, e,
                               [](uint8_t v) { return v ? 1.0f : 0.0f; });
    }
  });
  return values;
}

std::vector<char> deviceBytes(const TensorDesc &t,
                              const std::vector<float> &values,
                              DeviceLayout layout) {
  if (storedRowMajor(t.shape, layout))
    return encode(values, t.dtype);
  return encode(toDeviceOrder(values, t.shape, deviceStrides(t.shape, layout)),
                t.dtype);
}

std::vector<float> hostValues(const TensorDesc &t,
                              const std::vector<char> &bytes,
                              DeviceLayout layout) {
  std::vector<float> device = decode(bytes, t.dtype);
  if (storedRowMajor(t.shape, layout))
    return device;
  return fromDeviceOrder(device, t.shape, deviceStrides(t.shape, layout));
}

} // namespace goodhart::cuda
