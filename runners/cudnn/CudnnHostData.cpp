//===- CudnnHostData.cpp - Plan tensors as bytes the device stores --------===//

#include "runners/cudnn/CudnnHostData.h"

#include "runners/common/ParallelChunks.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstring>

namespace goodhart::cuda {

std::vector<char> encode(const std::vector<float> &values, DType type) {
  std::vector<char> bytes(values.size() * dtypeSize(type));
  parallelChunks(values.size(), [&](size_t begin, size_t end) {
    if (type == DType::kF16) {
      for (size_t i = begin; i < end; ++i) {
        __half h = __float2half_rn(values[i]);
        std::memcpy(&bytes[i * 2], &h, 2);
      }
    } else if (type == DType::kBF16) {
      for (size_t i = begin; i < end; ++i) {
        __nv_bfloat16 h = __float2bfloat16_rn(values[i]);
        std::memcpy(&bytes[i * 2], &h, 2);
      }
    } else {
      std::memcpy(&bytes[begin * 4], &values[begin], (end - begin) * 4);
    }
  });
  return bytes;
}

std::vector<float> decode(const std::vector<char> &bytes, DType type) {
  std::vector<float> values(bytes.size() / dtypeSize(type));
  parallelChunks(values.size(), [&](size_t begin, size_t end) {
    if (type == DType::kF16) {
      for (size_t i = begin; i < end; ++i) {
        __half h;
        std::memcpy(&h, &bytes[i * 2], 2);
        values[i] = __half2float(h);
      }
    } else if (type == DType::kBF16) {
      for (size_t i = begin; i < end; ++i) {
        __nv_bfloat16 h;
        std::memcpy(&h, &bytes[i * 2], 2);
        values[i] = __bfloat162float(h);
      }
    } else {
      std::memcpy(&values[begin], &bytes[begin * 4], (end - begin) * 4);
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
