//===- CudnnReproTest.cpp - PyTorch repro lines of cuDNN layers -----------===//

#include "runners/cudnn/CudnnRepro.h"

#include "TestPlans.h"

#include <gtest/gtest.h>

namespace goodhart::cuda {
namespace {

using testing::tensor;

nlohmann::json convAttrs(std::vector<int64_t> pad, int64_t groups) {
  return {{"stride", {1, 1}},
          {"pad", pad},
          {"dilation", {1, 1}},
          {"groups", groups}};
}

TEST(CudnnReproTest, ConvIsChannelsLastConv2dWithTheTf32Switch) {
  Plan p = testing::oneLayerPlan(
      {tensor(0, {1, 56, 56, 64}, TensorRole::kInput),
       tensor(1, {65, 3, 3, 64}, TensorRole::kWeight),
       tensor(2, {1, 56, 56, 65}, TensorRole::kActivation)},
      LayerKind::kConv2d, convAttrs({1, 1, 1, 1}, 1));
  EXPECT_EQ(pytorchRepro(p, p.layers[0], {}),
            "torch.backends.cudnn.allow_tf32=False; "
            "x=torch.randn(1,64,56,56,device='cuda',dtype=torch.float32)"
            ".to(memory_format=torch.channels_last); "
            "w=torch.randn(65,64,3,3,device='cuda',dtype=torch.float32)"
            ".to(memory_format=torch.channels_last); "
            "torch.nn.functional.conv2d(x,w,stride=(1,1),padding=(1,1),"
            "dilation=(1,1),groups=1)");
  ReproOptions nchwTf32{true, false};
  EXPECT_EQ(pytorchRepro(p, p.layers[0], nchwTf32),
            "torch.backends.cudnn.allow_tf32=True; "
            "x=torch.randn(1,64,56,56,device='cuda',dtype=torch.float32); "
            "w=torch.randn(65,64,3,3,device='cuda',dtype=torch.float32); "
            "torch.nn.functional.conv2d(x,w,stride=(1,1),padding=(1,1),"
            "dilation=(1,1),groups=1)");
}

TEST(CudnnReproTest, DepthwiseBf16ConvWithBiasAndAsymmetricPadding) {
  Plan p = testing::oneLayerPlan(
      {tensor(0, {1, 112, 112, 32}, TensorRole::kInput),
       tensor(1, {32, 3, 3, 1}, TensorRole::kWeight),
       tensor(2, {32}, TensorRole::kWeight),
       tensor(3, {1, 111, 111, 32}, TensorRole::kActivation)},
      LayerKind::kConv2d, convAttrs({0, 1, 0, 1}, 32));
  for (TensorDesc &t : p.tensors)
    t.dtype = DType::kBF16;
  EXPECT_EQ(pytorchRepro(p, p.layers[0], {}),
            "x=torch.randn(1,32,112,112,device='cuda',dtype=torch.bfloat16)"
            ".to(memory_format=torch.channels_last); "
            "w=torch.randn(32,1,3,3,device='cuda',dtype=torch.bfloat16)"
            ".to(memory_format=torch.channels_last); "
            "b=torch.randn(32,device='cuda',dtype=torch.bfloat16); "
            "torch.nn.functional.conv2d(torch.nn.functional.pad(x,(0,1,0,1)),"
            "w,b,stride=(1,1),padding=(0,0),dilation=(1,1),groups=32)");
}

TEST(CudnnReproTest, MatMulIsTorchMatmulWithTheCublasTf32Switch) {
  Plan p = testing::oneLayerPlan(
      {tensor(0, {1, 384, 1024}, TensorRole::kInput),
       tensor(1, {1, 1024, 4096}, TensorRole::kWeight),
       tensor(2, {1, 384, 4096}, TensorRole::kActivation)},
      LayerKind::kMatMul, nlohmann::json::object());
  EXPECT_EQ(pytorchRepro(p, p.layers[0], {}),
            "torch.backends.cuda.matmul.allow_tf32=False; "
            "a=torch.randn(1,384,1024,device='cuda',dtype=torch.float32); "
            "b=torch.randn(1,1024,4096,device='cuda',dtype=torch.float32); "
            "torch.matmul(a,b)");
  for (TensorDesc &t : p.tensors)
    t.dtype = DType::kBF16;
  EXPECT_EQ(pytorchRepro(p, p.layers[0], {true, true}),
            "a=torch.randn(1,384,1024,device='cuda',dtype=torch.bfloat16); "
            "b=torch.randn(1,1024,4096,device='cuda',dtype=torch.bfloat16); "
            "torch.matmul(a,b)");
}

TEST(CudnnReproTest, PostOpsFollowTheCallInOrder) {
  // conv + bias, then sum(a) and relu: the sum operand is NCHW and
  // channels_last like the conv's tensors.
  Plan conv = testing::convPostOpPlan();
  EXPECT_EQ(pytorchRepro(conv, conv.layers[1], {}),
            "torch.backends.cudnn.allow_tf32=False; "
            "x=torch.randn(1,8,8,8,device='cuda',dtype=torch.float32)"
            ".to(memory_format=torch.channels_last); "
            "w=torch.randn(8,8,3,3,device='cuda',dtype=torch.float32)"
            ".to(memory_format=torch.channels_last); "
            "b=torch.randn(8,device='cuda',dtype=torch.float32); "
            "y=torch.nn.functional.conv2d(x,w,b,stride=(1,1),padding=(1,1),"
            "dilation=(1,1),groups=1); "
            "p0=torch.randn(1,8,8,8,device='cuda',dtype=torch.float32)"
            ".to(memory_format=torch.channels_last); y=y+p0; y=torch.relu(y)");
  // A matmul's scale (binary mul) and GELU.
  Plan mm = testing::matmulPostOpPlan(
      nlohmann::json::parse(R"([{"kind":"binary","op":"mul","input":2},
                                {"kind":"eltwise","op":"gelu_tanh"}])"),
      {{{1, 1, 1}, 0.125}});
  EXPECT_EQ(pytorchRepro(mm, mm.layers[0], {true, true}),
            "torch.backends.cuda.matmul.allow_tf32=True; "
            "a=torch.randn(2,4,16,device='cuda',dtype=torch.float32); "
            "b=torch.randn(2,16,8,device='cuda',dtype=torch.float32); "
            "y=torch.matmul(a,b); "
            "p0=torch.randn(1,1,1,device='cuda',dtype=torch.float32); "
            "y=torch.mul(y,p0); "
            "y=torch.nn.functional.gelu(y,approximate='tanh')");
}

TEST(CudnnReproTest, AFusedMeasurementSaysSoAfterTheEagerLine) {
  Plan conv = testing::convPostOpPlan();
  const std::string eager = pytorchRepro(conv, conv.layers[1], {});
  const std::string fused =
      pytorchRepro(conv, conv.layers[1], {false, true, /*fused=*/true});
  ASSERT_EQ(fused.rfind(eager, 0), 0u) << fused;
  EXPECT_NE(fused.find("  # goodhart fused the bias and post-ops"),
            std::string::npos)
      << fused;
  // Nothing to fuse (a plain matmul, a relu layer): no note.
  Plan small = testing::smallPlan();
  for (int i : {1, 5})
    EXPECT_EQ(pytorchRepro(small, small.layers[i], {false, true, true}),
              pytorchRepro(small, small.layers[i], {}));
}

TEST(CudnnReproTest, InnerProductIsLinearOverTheStoredWeights) {
  Plan p = testing::innerProductPlan();
  EXPECT_EQ(pytorchRepro(p, p.layers[0], {}),
            "torch.backends.cuda.matmul.allow_tf32=False; "
            "x=torch.randn(1,4,16,device='cuda',dtype=torch.float32); "
            "w=torch.randn(16,8,device='cuda',dtype=torch.float32); "
            "b=torch.randn(8,device='cuda',dtype=torch.float32); "
            "y=torch.nn.functional.linear(x,w.t(),b); "
            "p0=torch.randn(1,4,8,device='cuda',dtype=torch.float32); "
            "y=y+p0; y=torch.tanh(y)");
}

TEST(CudnnReproTest, PoolingSoftmaxAndLayerNorm) {
  Plan pool = testing::oneLayerPlan(
      {tensor(0, {1, 112, 112, 64}, TensorRole::kInput),
       tensor(1, {1, 56, 56, 64}, TensorRole::kActivation)},
      LayerKind::kPool2d,
      {{"algorithm", "max"},
       {"kernel", {3, 3}},
       {"stride", {2, 2}},
       {"pad", {1, 0, 1, 0}}});
  EXPECT_EQ(pytorchRepro(pool, pool.layers[0], {}),
            "x=torch.randn(1,64,112,112,device='cuda',dtype=torch.float32)"
            ".to(memory_format=torch.channels_last); "
            "torch.nn.functional.max_pool2d(x,kernel_size=(3,3),stride=(2,2),"
            "padding=(1,1))");
  Plan softmax = testing::oneLayerPlan(
      {tensor(0, {16, 384, 384}, TensorRole::kInput),
       tensor(1, {16, 384, 384}, TensorRole::kActivation)},
      LayerKind::kSoftmax, {{"axis", 2}});
  EXPECT_EQ(pytorchRepro(softmax, softmax.layers[0], {}),
            "x=torch.randn(16,384,384,device='cuda',dtype=torch.float32); "
            "torch.softmax(x,dim=2)");
  Plan norm = testing::oneLayerPlan(
      {tensor(0, {1, 384, 1024}, TensorRole::kInput),
       tensor(1, {1, 1, 1024}, TensorRole::kWeight),
       tensor(2, {1, 1, 1024}, TensorRole::kWeight),
       tensor(3, {1, 384, 1024}, TensorRole::kActivation)},
      LayerKind::kNorm, {{"op", "layer_norm"}, {"epsilon", 1e-12}});
  EXPECT_EQ(pytorchRepro(norm, norm.layers[0], {}),
            "x=torch.randn(1,384,1024,device='cuda',dtype=torch.float32); "
            "w=torch.randn(1024,device='cuda',dtype=torch.float32); "
            "b=torch.randn(1024,device='cuda',dtype=torch.float32); "
            "torch.nn.functional.layer_norm(x,(1024,),weight=w,bias=b,"
            "eps=1e-12)");
}

TEST(CudnnReproTest, DataMovementAndLayersWithoutALine) {
  Plan slice = testing::oneLayerPlan(
      {tensor(0, {1, 56, 56, 256}, TensorRole::kInput),
       tensor(1, {1, 55, 55, 256}, TensorRole::kActivation)},
      LayerKind::kSlice, {{"start", {0, 1, 0, 0}}});
  EXPECT_EQ(pytorchRepro(slice, slice.layers[0], {}),
            "x=torch.randn(1,56,56,256,device='cuda',dtype=torch.float32); "
            "x[0:1,1:56,0:55,0:256].contiguous()");
  TensorDesc half = tensor(1, {2, 8}, TensorRole::kActivation);
  half.dtype = DType::kBF16;
  Plan cast =
      testing::oneLayerPlan({tensor(0, {2, 8}, TensorRole::kInput), half},
                            LayerKind::kCast, nlohmann::json::object());
  EXPECT_EQ(pytorchRepro(cast, cast.layers[0], {}),
            "x=torch.randn(2,8,device='cuda',dtype=torch.float32); "
            "x.to(torch.bfloat16)");
  half.dtype = DType::kI8; // torch has no randn of it: no line
  Plan toInt =
      testing::oneLayerPlan({tensor(0, {2, 8}, TensorRole::kInput), half},
                            LayerKind::kCast, nlohmann::json::object());
  EXPECT_EQ(pytorchRepro(toInt, toInt.layers[0], {}), "");
  Plan reshape =
      testing::oneLayerPlan({tensor(0, {1, 4}, TensorRole::kInput),
                             tensor(1, {4}, TensorRole::kActivation)},
                            LayerKind::kReshape, nlohmann::json::object());
  EXPECT_EQ(pytorchRepro(reshape, reshape.layers[0], {}), "");
  Plan unknown =
      testing::oneLayerPlan({tensor(0, {4}, TensorRole::kInput),
                             tensor(1, {4}, TensorRole::kActivation)},
                            LayerKind::kEltwise, {{"op", "frobnicate"}});
  EXPECT_EQ(pytorchRepro(unknown, unknown.layers[0], {}), "");
}

} // namespace
} // namespace goodhart::cuda
