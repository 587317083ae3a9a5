//===- CudnnLegacyPointwiseTest.cpp - Descriptor-API pointwise calls ------===//
//
// Which descriptor-API call stands in for a pointwise graph cuDNN has no
// engine for. The calls themselves run in CudnnBackendTest's NCHW case on
// a GPU.
//
//===----------------------------------------------------------------------===//

#include "runners/cudnn/CudnnOps.h"

#include "TestPlans.h"

#include <gtest/gtest.h>

#include <limits>

namespace goodhart::cuda {
namespace {

TEST(CudnnLegacyPointwiseTest, ABiasOrResidualInPlaceIsAddTensor) {
  auto add = legacyPointwise(CUDNN_POINTWISE_ADD, true, false, 0, 0);
  ASSERT_TRUE(add);
  EXPECT_EQ(add->call, LegacyPointwise::kAddTensor);
  EXPECT_EQ(add->name, "cudnnAddTensor");
  auto apart = legacyPointwise(CUDNN_POINTWISE_ADD, false, false, 0, 0);
  ASSERT_TRUE(apart);
  EXPECT_EQ(apart->call, LegacyPointwise::kOpTensor);
  EXPECT_EQ(apart->op, CUDNN_OP_TENSOR_ADD);
}

TEST(CudnnLegacyPointwiseTest, OtherBinaryOpsAreOpTensor) {
  auto sub = legacyPointwise(CUDNN_POINTWISE_SUB, true, false, 0, 0);
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->call, LegacyPointwise::kOpTensor);
  EXPECT_EQ(sub->op, CUDNN_OP_TENSOR_ADD);
  EXPECT_EQ(sub->alpha2, -1);
  for (auto [mode, op] :
       {std::pair{CUDNN_POINTWISE_MUL, CUDNN_OP_TENSOR_MUL},
        std::pair{CUDNN_POINTWISE_MIN, CUDNN_OP_TENSOR_MIN},
        std::pair{CUDNN_POINTWISE_MAX, CUDNN_OP_TENSOR_MAX}}) {
    auto l = legacyPointwise(mode, true, false, 0, 0);
    ASSERT_TRUE(l);
    EXPECT_EQ(l->call, LegacyPointwise::kOpTensor);
    EXPECT_EQ(l->op, op);
    EXPECT_EQ(l->alpha2, 1);
  }
  EXPECT_FALSE(legacyPointwise(CUDNN_POINTWISE_DIV, true, false, 0, 0));
  EXPECT_FALSE(legacyPointwise(CUDNN_POINTWISE_POW, true, false, 0, 0));
}

TEST(CudnnLegacyPointwiseTest, ActivationsAndTheirLimits) {
  auto relu = legacyPointwise(CUDNN_POINTWISE_RELU_FWD, true, false, 0, 0);
  ASSERT_TRUE(relu);
  EXPECT_EQ(relu->call, LegacyPointwise::kActivation);
  EXPECT_EQ(relu->activation, CUDNN_ACTIVATION_RELU);
  // relu6 is a clipped ReLU; a clamp whose floor is not 0 has no call.
  auto relu6 = legacyPointwise(CUDNN_POINTWISE_RELU_FWD, true, true, 0, 6);
  ASSERT_TRUE(relu6);
  EXPECT_EQ(relu6->activation, CUDNN_ACTIVATION_CLIPPED_RELU);
  EXPECT_EQ(relu6->coef, 6);
  EXPECT_FALSE(legacyPointwise(CUDNN_POINTWISE_RELU_FWD, true, true, -1, 1));
  // An open-ended clamp: no ceiling to give the clipped ReLU.
  auto open = legacyPointwise(CUDNN_POINTWISE_RELU_FWD, true, true, 0,
                              std::numeric_limits<double>::infinity());
  ASSERT_TRUE(open);
  EXPECT_EQ(open->activation, CUDNN_ACTIVATION_RELU);
  auto silu = legacyPointwise(CUDNN_POINTWISE_SWISH_FWD, true, false, 0, 0);
  ASSERT_TRUE(silu);
  EXPECT_EQ(silu->activation, CUDNN_ACTIVATION_SWISH);
  EXPECT_EQ(silu->coef, 1);
  EXPECT_EQ(legacyPointwise(CUDNN_POINTWISE_SIGMOID_FWD, true, false, 0, 0)
                ->activation,
            CUDNN_ACTIVATION_SIGMOID);
  EXPECT_EQ(
      legacyPointwise(CUDNN_POINTWISE_TANH_FWD, true, false, 0, 0)->activation,
      CUDNN_ACTIVATION_TANH);
  // GELU has no descriptor-API activation: such a graph stays a skip.
  EXPECT_FALSE(legacyPointwise(CUDNN_POINTWISE_GELU_FWD, true, false, 0, 0));
  EXPECT_FALSE(legacyPointwise(CUDNN_POINTWISE_EXP, true, false, 0, 0));
}

TEST(CudnnLegacyPointwiseTest, ViewsAreNchwUpToRankFourAndMergedAbove) {
  using Ints = std::vector<int64_t>;
  TensorDesc x = testing::tensor(0, {2, 3, 4, 5}, TensorRole::kInput);
  TensorDesc c = testing::tensor(1, {5}, TensorRole::kWeight);
  auto nchw = legacyPointwiseViews({&x, &c}, DeviceLayout::kNchw);
  ASSERT_TRUE(nchw) << nchw.status().toString();
  EXPECT_EQ((*nchw)[0].dims, Ints({2, 5, 3, 4}));
  EXPECT_EQ((*nchw)[0].strides, Ints({60, 12, 4, 1}));
  EXPECT_EQ((*nchw)[1].dims, Ints({1, 5, 1, 1}));
  // Rank 5 with a bias over the last three dimensions: plan-order packed
  // groups, which the descriptor API takes (the graph path needed them
  // channels-last).
  TensorDesc big = testing::tensor(0, {2, 3, 4, 5, 6}, TensorRole::kInput);
  TensorDesc bias = testing::tensor(1, {1, 1, 4, 5, 6}, TensorRole::kWeight);
  auto merged = legacyPointwiseViews({&big, &bias}, DeviceLayout::kNchw);
  ASSERT_TRUE(merged) << merged.status().toString();
  EXPECT_EQ((*merged)[0].dims, Ints({1, 1, 6, 120}));
  EXPECT_EQ((*merged)[0].strides, Ints({720, 720, 120, 1}));
  EXPECT_EQ((*merged)[1].dims, Ints({1, 1, 1, 120}));
  TensorDesc odd = testing::tensor(1, {1, 3, 1, 5, 1}, TensorRole::kWeight);
  EXPECT_EQ(
      legacyPointwiseViews({&big, &odd}, DeviceLayout::kNhwc).status().code(),
      StatusCode::kUnsupported);
}

TEST(CudnnLegacyPointwiseTest, OperandsOfTwoTypesAreASkip) {
  TensorDesc x = testing::tensor(0, {1, 2, 2, 4}, TensorRole::kInput);
  TensorDesc b = testing::tensor(1, {4}, TensorRole::kWeight);
  b.dtype = DType::kBF16;
  auto exec =
      buildLegacyPointwise(CudaContext{}, CUDNN_POINTWISE_ADD, x, nullptr, &b,
                           nullptr, x, nullptr, BuildOptions{}, false, 0, 0);
  ASSERT_FALSE(exec);
  EXPECT_EQ(exec.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(exec.status().message().find("f32 with bf16"), std::string::npos)
      << exec.status().message();
}

} // namespace
} // namespace goodhart::cuda
