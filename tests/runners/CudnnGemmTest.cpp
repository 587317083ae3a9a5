//===- CudnnGemmTest.cpp - What cuBLASLt GEMMs refuse before any call -----===//
//
// The checks buildExecutor makes of a matmul or inner_product before it
// touches cuBLASLt, so they run without a GPU. The GEMMs themselves run in
// CudnnBackendTest on a GPU.
//
//===----------------------------------------------------------------------===//

#include "runners/cudnn/CudnnLayers.h"

#include "TestPlans.h"

#include <gtest/gtest.h>

namespace goodhart::cuda {
namespace {

/// x [2,3,3,16] by w [16,8] -> [2,3,3,8]: a Linear over channels-last
/// pixels.
Plan pixelLinear() {
  using testing::tensor;
  return testing::oneLayerPlan(
      {tensor(0, {2, 3, 3, 16}, TensorRole::kInput),
       tensor(1, {16, 8}, TensorRole::kWeight),
       tensor(2, {2, 3, 3, 8}, TensorRole::kActivation)},
      LayerKind::kInnerProduct, nlohmann::json::object());
}

TEST(CudnnGemmTest, AnInnerProductOverNchwStoredTensorsIsASkip) {
  Plan p = pixelLinear();
  BuildOptions o;
  o.layout = DeviceLayout::kNchw;
  std::vector<void *> pointers(p.tensors.size(), nullptr);
  auto exec = buildExecutor(CudaContext{}, p, p.layers[0], pointers, o);
  ASSERT_FALSE(exec);
  EXPECT_EQ(exec.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(exec.status().message().find("stored NCHW"), std::string::npos)
      << exec.status().message();
}

} // namespace
} // namespace goodhart::cuda
