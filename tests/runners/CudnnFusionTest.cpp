//===- CudnnFusionTest.cpp - What a layer's bias and post-ops fuse into ---===//
//
// Which steps a convolution's fused cuDNN graph gets and what cuBLASLt's
// epilogue, alpha and beta take over of a GEMM's post-ops (fusion
// "graph"). The fused kernels themselves run in CudnnBackendTest on a GPU.
//
//===----------------------------------------------------------------------===//

#include "runners/cudnn/CudnnFusion.h"

#include "TestPlans.h"

#include <gtest/gtest.h>

namespace goodhart::cuda {
namespace {

using nlohmann::json;
using testing::Operand;

TEST(CudnnFusionTest, AConvolutionFusesItsBiasAndEveryPostOpInOrder) {
  Plan p = testing::convPostOpPlan();
  const Layer &conv = p.layers[1];
  auto chain = convChain(p, conv, DeviceLayout::kNhwc);
  ASSERT_TRUE(chain) << chain.status().toString();
  EXPECT_EQ(chain->names, "bias, sum, relu");
  ASSERT_EQ(chain->steps.size(), 3u);
  EXPECT_EQ(chain->steps[0].mode, CUDNN_POINTWISE_ADD);
  EXPECT_EQ(chain->steps[1].mode, CUDNN_POINTWISE_ADD);
  EXPECT_EQ(chain->steps[2].mode, CUDNN_POINTWISE_RELU_FWD);
  EXPECT_FALSE(chain->steps[2].operand);
  // The bias broadcasts over N, H, W; the residual is the output's shape.
  ASSERT_TRUE(chain->steps[0].operand && chain->steps[1].operand);
  EXPECT_EQ(chain->steps[0].operand->dims, (std::vector<int64_t>{1, 8, 1, 1}));
  EXPECT_EQ(chain->steps[1].operand->dims, (std::vector<int64_t>{1, 8, 8, 8}));
  EXPECT_EQ(chain->steps[1].operand->strides,
            (std::vector<int64_t>{512, 1, 64, 8}));
  // Operands are bound by uid to their plan tensors: bias 3, residual 1.
  EXPECT_EQ(chain->operandIds, (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(chain->operandUids, (std::vector<int64_t>{10, 11}));
  EXPECT_EQ(chain->steps[1].operand->uid, 11);

  // Stored NCHW, the residual's strides say so.
  auto nchw = convChain(p, conv, DeviceLayout::kNchw);
  ASSERT_TRUE(nchw);
  EXPECT_EQ(nchw->steps[1].operand->strides,
            (std::vector<int64_t>{512, 64, 8, 1}));
}

TEST(CudnnFusionTest, AConvolutionWithoutBiasOrPostOpsHasNothingToFuse) {
  Plan p = testing::smallPlan();
  Layer conv = p.layers[0];
  conv.inputs.resize(2); // drop the bias
  auto chain = convChain(p, conv, DeviceLayout::kNhwc);
  ASSERT_TRUE(chain);
  EXPECT_TRUE(chain->steps.empty());
  EXPECT_TRUE(chain->names.empty());
}

TEST(CudnnFusionTest, AClampKeepsItsBoundsAndAnUnknownPostOpIsNamed) {
  Plan p = testing::convPostOpPlan();
  p.layers[1].attrs["post_ops"] =
      json::parse(R"([{"kind":"eltwise","op":"clamp","alpha":0,"beta":6}])");
  auto chain = convChain(p, p.layers[1], DeviceLayout::kNhwc);
  ASSERT_TRUE(chain);
  ASSERT_EQ(chain->steps.size(), 2u);
  EXPECT_TRUE(chain->steps[1].clip);
  EXPECT_EQ(chain->steps[1].upperClip, 6);
  p.layers[1].attrs["post_ops"] =
      json::parse(R"([{"kind":"eltwise","op":"hardswish"}])");
  auto bad = convChain(p, p.layers[1], DeviceLayout::kNhwc);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(bad.status().message().find("'hardswish'"), std::string::npos);
}

TEST(CudnnFusionTest, ALinearTakesBiasAndResidualAndStopsAtTanh) {
  Plan p = testing::innerProductPlan(); // bias, post-ops sum(r), tanh
  auto f = gemmFusion(p, p.layers[0]);
  ASSERT_TRUE(f) << f.status().toString();
  EXPECT_EQ(f->bias, &p.tensor(2));
  EXPECT_EQ(f->residual, &p.tensor(3));
  EXPECT_EQ(f->activation, GemmFusion::Activation::kNone);
  EXPECT_EQ(f->postOpsFused, 1u);
  EXPECT_NE(f->stopReason.find("tanh"), std::string::npos) << f->stopReason;
  EXPECT_EQ(f->describe(), "residual as C (beta 1), bias epilogue");
}

TEST(CudnnFusionTest, ABiasOfAnotherTypeLeavesEverythingToKernels) {
  Plan p = testing::innerProductPlan();
  p.tensors[2].dtype = DType::kBF16;
  auto f = gemmFusion(p, p.layers[0]);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->bias, nullptr);
  EXPECT_EQ(f->postOpsFused, 0u);
  EXPECT_NE(f->stopReason.find("no bias epilogue"), std::string::npos);
}

TEST(CudnnFusionTest, AScaleIsAlphaAndAnActivationTheEpilogue) {
  Plan p = testing::matmulPostOpPlan(
      json::parse(R"([{"kind":"binary","op":"mul","input":2},
                      {"kind":"binary","op":"add","input":3},
                      {"kind":"eltwise","op":"relu"}])"),
      {{{1, 1, 1}, 0.125}, {{2, 4, 8}}});
  auto f = gemmFusion(p, p.layers[0]);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->alpha, 0.125f);
  EXPECT_EQ(f->residual, &p.tensor(3)); // an add of the output's shape
  EXPECT_EQ(f->activation, GemmFusion::Activation::kRelu);
  EXPECT_EQ(f->postOpsFused, 3u);
  EXPECT_TRUE(f->stopReason.empty());
  EXPECT_EQ(f->describe(),
            "alpha 0.125, residual as C (beta 1), relu epilogue");
}

TEST(CudnnFusionTest, WhatCublasLtCannotComputeStopsTheFusedPrefix) {
  struct Case {
    const char *postOps;
    std::vector<Operand> operands;
    size_t fused;
    const char *reason;
  };
  const std::vector<Case> cases = {
      // A scale by a tensor, not one value.
      {R"([{"kind":"binary","op":"mul","input":2}])",
       {{{2, 4, 8}}},
       0,
       "not one constant value"},
      // (A B + C) * s is not alpha A B + C.
      {R"([{"kind":"sum","input":2},{"kind":"binary","op":"mul","input":3}])",
       {{{2, 4, 8}}, {{1, 1, 1}, 0.5}},
       1,
       "a scale after"},
      // act(A B) + C is not act(A B + C).
      {R"([{"kind":"eltwise","op":"relu"},{"kind":"sum","input":2}])",
       {{{2, 4, 8}}},
       1,
       "a sum after the activation"},
      // cuBLASLt's GELU is the tanh approximation.
      {R"([{"kind":"eltwise","op":"gelu_erf"}])", {}, 0, "tanh approximation"},
      // A broadcast add is no C.
      {R"([{"kind":"binary","op":"add","input":2}])",
       {{{1, 1, 8}}},
       0,
       "no cuBLASLt epilogue for add"},
      {R"([{"kind":"eltwise","op":"relu"},{"kind":"eltwise","op":"relu"}])",
       {},
       1,
       "a second activation"},
  };
  for (const Case &c : cases) {
    Plan p = testing::matmulPostOpPlan(json::parse(c.postOps), c.operands);
    auto f = gemmFusion(p, p.layers[0]);
    ASSERT_TRUE(f) << c.postOps;
    EXPECT_EQ(f->postOpsFused, c.fused) << c.postOps;
    EXPECT_NE(f->stopReason.find(c.reason), std::string::npos)
        << c.postOps << ": " << f->stopReason;
  }
  // The tanh GELU is the epilogue's own.
  Plan p = testing::matmulPostOpPlan(
      json::parse(R"([{"kind":"eltwise","op":"gelu_tanh"}])"), {});
  auto f = gemmFusion(p, p.layers[0]);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->activation, GemmFusion::Activation::kGelu);
  EXPECT_EQ(f->describe(), "gelu (tanh) epilogue");
}

} // namespace
} // namespace goodhart::cuda
