//===- CudnnHostData.h - Plan tensors as bytes the device stores -*- C++
//-*-===//
//
// Runners compute seeded values as float in plan (row-major) order; the
// device stores them in the tensor's element type (f16 and bf16 rounded to
// nearest even) in the device layout (CudnnLayout). These convert both
// ways on the host, on every hardware thread for large tensors (BERT-large
// at batch 8 uploads 305 million weight elements per whole-model run), and
// skip the reordering where the device order is the plan order.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_RUNNERS_CUDNN_CUDNNHOSTDATA_H
#define GOODHART_RUNNERS_CUDNN_CUDNNHOSTDATA_H

#include "runners/common/Plan.h"
#include "runners/cudnn/CudnnLayout.h"

#include <vector>

namespace goodhart::cuda {

/// Bytes of `values` in `type`, element by element: floats rounded to
/// nearest even, integers rounded to nearest and saturated, bool as v != 0.
std::vector<char> encode(const std::vector<float> &values, DType type);
/// Values of `bytes` read as `type`.
std::vector<float> decode(const std::vector<char> &bytes, DType type);

/// The bytes `t` holds on the device when its plan-order values are
/// `values`, stored in `layout`.
std::vector<char> deviceBytes(const TensorDesc &t,
                              const std::vector<float> &values,
                              DeviceLayout layout);
/// The plan-order values of `t` from the bytes the device holds.
std::vector<float> hostValues(const TensorDesc &t,
                              const std::vector<char> &bytes,
                              DeviceLayout layout);

} // namespace goodhart::cuda

#endif // GOODHART_RUNNERS_CUDNN_CUDNNHOSTDATA_H
