//===- ReferenceTest.cpp - float64 reference values -----------------------===//

#include "runners/reference/Reference.h"

#include "runners/common/DataFill.h"

#include "TestPlans.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace goodhart {
namespace {

/// Inputs given by hand, by tensor id.
struct Values {
  std::map<int64_t, std::vector<float>> byId;
  TensorValues fn() {
    return [this](int64_t id) -> const std::vector<float> & {
      return byId.at(id);
    };
  }
};

/// A 1x3x3x1 input, a 1x2x2x1 kernel, no padding: output 1x2x2x1.
Plan tinyConv() {
  Plan p;
  p.model = "tiny";
  p.tensors = {testing::tensor(0, {1, 3, 3, 1}, TensorRole::kInput),
               testing::tensor(1, {1, 2, 2, 1}, TensorRole::kWeight),
               testing::tensor(2, {1}, TensorRole::kWeight),
               testing::tensor(3, {1, 2, 2, 1}, TensorRole::kActivation)};
  Layer l;
  l.id = 0;
  l.name = "conv";
  l.kind = LayerKind::kConv2d;
  l.inputs = {0, 1, 2};
  l.outputs = {3};
  l.attrs = {{"stride", {1, 1}},
             {"pad", {0, 0, 0, 0}},
             {"dilation", {1, 1}},
             {"groups", 1}};
  p.layers = {l};
  p.inputs = {0};
  p.outputs = {3};
  return p;
}

TEST(ReferenceTest, ConvolutionByHand) {
  Plan p = tinyConv();
  Values v;
  v.byId[0] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  v.byId[1] = {1, 0, 0, -1}; // x[i][j] - x[i+1][j+1]
  v.byId[2] = {0.5};
  // out[0][0] = 1 - 5 + 0.5; out[1][1] = 5 - 9 + 0.5.
  auto r = referenceAt(p, p.layers[0], v.fn(), 0);
  ASSERT_TRUE(r.isOk());
  EXPECT_DOUBLE_EQ(r->value, -3.5);
  EXPECT_DOUBLE_EQ(r->magnitude, 0.5 + 1 + 5);
  EXPECT_DOUBLE_EQ(referenceAt(p, p.layers[0], v.fn(), 3)->value, -3.5);
}

TEST(ReferenceTest, PaddingAndStrideSkipOutsideTaps) {
  Plan p = tinyConv();
  p.layers[0].attrs["pad"] = {1, 0, 1, 0};
  p.layers[0].attrs["stride"] = {2, 2};
  Values v;
  v.byId[0] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  v.byId[1] = {1, 1, 1, 1};
  v.byId[2] = {0};
  // Output (0,0) covers rows/cols -1..0: only x[0][0] = 1 is inside.
  EXPECT_DOUBLE_EQ(referenceAt(p, p.layers[0], v.fn(), 0)->value, 1);
  // Output (1,1) covers rows/cols 1..2: 5 + 6 + 8 + 9.
  EXPECT_DOUBLE_EQ(referenceAt(p, p.layers[0], v.fn(), 3)->value, 28);
}

TEST(ReferenceTest, PoolingMatmulEltwiseBinary) {
  Plan p = testing::smallPlan();
  std::map<int64_t, std::vector<float>> data;
  for (const TensorDesc &t : p.tensors)
    data[t.id] = seededTensorData(p, t.id, 3);
  TensorValues in = [&](int64_t id) -> const std::vector<float> & {
    return data.at(id);
  };
  // relu of element 5 of its input.
  auto relu = referenceAt(p, p.layers[1], in, 5);
  EXPECT_DOUBLE_EQ(relu->value, std::max(0.0f, data[3][5]));
  // max pool output (0,0,0,c=2): max over the 2x2 window of channel 2.
  double expected = -1e9;
  for (int64_t h : {0, 1})
    for (int64_t w : {0, 1})
      expected = std::max<double>(expected, data[4][(h * 8 + w) * 16 + 2]);
  EXPECT_DOUBLE_EQ(referenceAt(p, p.layers[2], in, 2)->value, expected);
  // add of the pool output with itself.
  EXPECT_DOUBLE_EQ(referenceAt(p, p.layers[3], in, 7)->value, 2.0 * data[5][7]);
  // matmul element (0, 0, 3): sum over k of a[k] * b[k][3].
  double dot = 0;
  for (int64_t k = 0; k < 256; ++k)
    dot += double(data[7][k]) * data[8][k * 10 + 3];
  EXPECT_NEAR(referenceAt(p, p.layers[5], in, 3)->value, dot, 1e-12);
}

TEST(ReferenceTest, CheckPassesMismatchesAndMistrusts) {
  Plan p = tinyConv();
  Values v;
  v.byId[0] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  v.byId[1] = {1, 0, 0, -1};
  v.byId[2] = {0.5};
  std::vector<float> good = {-3.5, -3.5, -3.5, -3.5};
  EXPECT_EQ(checkLayerOutput(p, p.layers[0], v.fn(), good, 1).verdict,
            CheckVerdict::kPassed);
  std::vector<float> bad = good;
  bad[0] = -3.4f;
  CheckResult mismatch = checkLayerOutput(p, p.layers[0], v.fn(), bad, 1);
  EXPECT_EQ(mismatch.verdict, CheckVerdict::kMismatch);
  EXPECT_NE(mismatch.reason.find("element 0"), std::string::npos);
  EXPECT_NEAR(mismatch.maxAbsErr, 0.1, 1e-6);
  std::vector<float> zeros(4, 0.0f);
  // All zeros is wrong here anyway: it is caught as a mismatch first.
  EXPECT_EQ(checkLayerOutput(p, p.layers[0], v.fn(), zeros, 1).verdict,
            CheckVerdict::kMismatch);
  std::vector<float> nan = good;
  nan[2] = std::nanf("");
  EXPECT_EQ(checkLayerOutput(p, p.layers[0], v.fn(), nan, 1).verdict,
            CheckVerdict::kMistrusted);
}

TEST(ReferenceTest, ToleranceFollowsTheElementType) {
  ReferenceValue r{10, 100};
  EXPECT_LT(tolerance(DType::kF32, r), tolerance(DType::kF16, r));
  EXPECT_LT(tolerance(DType::kF16, r), tolerance(DType::kBF16, r));
  EXPECT_GT(tolerance(DType::kBF16, r), 100 * std::ldexp(1.0, -8));
}

TEST(ReferenceTest, KindsWithoutReferenceAreSkips) {
  Plan p = testing::smallPlan();
  p.layers[1].kind = LayerKind::kSoftmax;
  p.layers[1].attrs = {{"axis", 3}};
  std::map<int64_t, std::vector<float>> data;
  TensorValues in = [&](int64_t id) -> const std::vector<float> & {
    return data[id];
  };
  CheckResult c =
      checkLayerOutput(p, p.layers[1], in, std::vector<float>(1024, 1.0f), 1);
  EXPECT_EQ(c.verdict, CheckVerdict::kSkipped);
  EXPECT_NE(c.reason.find("softmax"), std::string::npos);
}

} // namespace
} // namespace goodhart
