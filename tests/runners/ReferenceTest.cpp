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
  CheckResult passed = checkLayerOutput(p, p.layers[0], v.fn(), good, 1);
  EXPECT_EQ(passed.verdict, CheckVerdict::kPassed);
  EXPECT_EQ(passed.toleranceUsed, 0) << "exact";
  // Off by half of element 0's tolerance: passed, at half of it.
  std::vector<float> close = good;
  double bound =
      tolerance(DType::kF32, *referenceAt(p, p.layers[0], v.fn(), 0));
  close[0] = static_cast<float>(-3.5 + bound / 2);
  CheckResult near = checkLayerOutput(p, p.layers[0], v.fn(), close, 1);
  EXPECT_EQ(near.verdict, CheckVerdict::kPassed);
  EXPECT_NEAR(near.toleranceUsed, 0.5, 0.05);
  std::vector<float> bad = good;
  bad[0] = -3.4f;
  CheckResult mismatch = checkLayerOutput(p, p.layers[0], v.fn(), bad, 1);
  EXPECT_EQ(mismatch.verdict, CheckVerdict::kMismatch);
  EXPECT_NE(mismatch.reason.find("element 0"), std::string::npos);
  EXPECT_NE(mismatch.reason.find("(tolerance "), std::string::npos)
      << mismatch.reason;
  EXPECT_GT(mismatch.toleranceUsed, 1);
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

TEST(ReferenceTest, OpsWithoutReferenceAreSkips) {
  Plan p = testing::smallPlan();
  p.layers[1].kind = LayerKind::kEltwise;
  p.layers[1].attrs = {{"op", "hardswish_v9"}};
  std::map<int64_t, std::vector<float>> data;
  TensorValues in = [&](int64_t id) -> const std::vector<float> & {
    return data[id];
  };
  data[p.layers[1].inputs[0]] = std::vector<float>(1024, 1.0f);
  CheckResult c =
      checkLayerOutput(p, p.layers[1], in, std::vector<float>(1024, 1.0f), 1);
  EXPECT_EQ(c.verdict, CheckVerdict::kSkipped);
  EXPECT_NE(c.reason.find("hardswish_v9"), std::string::npos);
}

/// One layer of `kind` reading [2, 4] (plus `extra` tensors), writing
/// `outShape`.
Plan rowPlan(LayerKind kind, nlohmann::json attrs,
             std::vector<std::vector<int64_t>> extra = {},
             std::vector<int64_t> outShape = {2, 4}) {
  Plan p;
  p.tensors = {testing::tensor(0, {2, 4}, TensorRole::kInput)};
  Layer l;
  l.id = 0;
  l.name = "row";
  l.kind = kind;
  l.attrs = std::move(attrs);
  l.inputs = {0};
  for (auto &shape : extra) {
    auto id = static_cast<int64_t>(p.tensors.size());
    p.tensors.push_back(testing::tensor(id, shape, TensorRole::kWeight));
    l.inputs.push_back(id);
  }
  auto out = static_cast<int64_t>(p.tensors.size());
  p.tensors.push_back(testing::tensor(out, outShape, TensorRole::kActivation));
  l.outputs = {out};
  p.layers = {l};
  p.inputs = {0};
  p.outputs = {out};
  return p;
}

TEST(ReferenceTest, SoftmaxRowsSumToOne) {
  Plan p = rowPlan(LayerKind::kSoftmax, {{"axis", 1}});
  Values v;
  v.byId[0] = {1, 2, 3, 4, -1, 0, 1, 100};
  double sum = 0;
  for (int i = 0; i < 4; ++i)
    sum += referenceAt(p, p.layers[0], v.fn(), i)->value;
  EXPECT_NEAR(sum, 1.0, 1e-12);
  // exp(1) / (exp(1) + ... + exp(4)); the max shift keeps 100 finite.
  double expected = std::exp(1.0) / (std::exp(1.0) + std::exp(2.0) +
                                     std::exp(3.0) + std::exp(4.0));
  EXPECT_NEAR(referenceAt(p, p.layers[0], v.fn(), 0)->value, expected, 1e-12);
  EXPECT_NEAR(referenceAt(p, p.layers[0], v.fn(), 7)->value, 1.0, 1e-12);
}

TEST(ReferenceTest, LayerNormWithScaleAndShift) {
  Plan p = rowPlan(LayerKind::kNorm, {{"op", "layer_norm"}, {"epsilon", 0.0}},
                   {{1, 4}, {1, 4}});
  Values v;
  v.byId[0] = {1, 2, 3, 4, 0, 0, 0, 8};
  v.byId[1] = {1, 1, 2, 1};
  v.byId[2] = {0, 0, 0, 10};
  // Row 0: mean 2.5, variance 1.25.
  double inv = 1 / std::sqrt(1.25);
  EXPECT_NEAR(referenceAt(p, p.layers[0], v.fn(), 0)->value, -1.5 * inv, 1e-12);
  EXPECT_NEAR(referenceAt(p, p.layers[0], v.fn(), 2)->value, 2 * 0.5 * inv,
              1e-12);
  EXPECT_NEAR(referenceAt(p, p.layers[0], v.fn(), 3)->value, 1.5 * inv + 10,
              1e-12);
  // Row 1: mean 2, variance (3 * 4 + 36) / 4 = 12.
  EXPECT_NEAR(referenceAt(p, p.layers[0], v.fn(), 7)->value,
              6 / std::sqrt(12.0) + 10, 1e-12);
}

TEST(ReferenceTest, RmsNormDividesByTheRootMeanSquare) {
  Plan p = rowPlan(LayerKind::kNorm, {{"op", "rms_norm"}, {"epsilon", 1.0}},
                   {{1, 1, 4}});
  Values v;
  v.byId[0] = {1, 1, 1, 1, 2, 2, 2, 2};
  v.byId[1] = {3, 3, 3, 3};
  // Row 1: mean square 4, plus epsilon 1: 2 / sqrt(5) * 3.
  EXPECT_NEAR(referenceAt(p, p.layers[0], v.fn(), 5)->value, 6 / std::sqrt(5.0),
              1e-12);
}

TEST(ReferenceTest, ReduceAndConcat) {
  Plan sum =
      rowPlan(LayerKind::kReduce, {{"op", "sum"}, {"axis", 1}}, {}, {2, 1});
  Values v;
  v.byId[0] = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_DOUBLE_EQ(referenceAt(sum, sum.layers[0], v.fn(), 1)->value, 26);
  Plan max =
      rowPlan(LayerKind::kReduce, {{"op", "max"}, {"axis", 0}}, {}, {1, 4});
  EXPECT_DOUBLE_EQ(referenceAt(max, max.layers[0], v.fn(), 2)->value, 7);
  Plan cat = rowPlan(LayerKind::kConcat, {{"axis", 1}}, {{2, 2}}, {2, 6});
  v.byId[1] = {-1, -2, -3, -4};
  EXPECT_DOUBLE_EQ(referenceAt(cat, cat.layers[0], v.fn(), 3)->value, 4);
  EXPECT_DOUBLE_EQ(referenceAt(cat, cat.layers[0], v.fn(), 4)->value, -1);
  EXPECT_DOUBLE_EQ(referenceAt(cat, cat.layers[0], v.fn(), 11)->value, -4);
  Plan bad =
      rowPlan(LayerKind::kReduce, {{"op", "sum"}, {"axis", 5}}, {}, {2, 1});
  EXPECT_FALSE(referenceAt(bad, bad.layers[0], v.fn(), 0).isOk());
}

/// tinyConv with post-ops: sum of a residual r [1,2,2,1], then `act`.
Plan tinyConvWithPostOps(nlohmann::json act) {
  Plan p = tinyConv();
  p.tensors.push_back(testing::tensor(4, {1, 2, 2, 1}, TensorRole::kInput));
  p.inputs.push_back(4);
  p.layers[0].inputs.push_back(4);
  act["kind"] = "eltwise";
  p.layers[0].attrs["post_ops"] = {{{"kind", "sum"}, {"input", 3}}, act};
  return p;
}

TEST(ReferenceTest, ConvolutionPostOpsInOrder) {
  Plan p = tinyConvWithPostOps({{"op", "relu"}});
  ASSERT_TRUE(validatePlan(p).isOk());
  Values v;
  v.byId[0] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  v.byId[1] = {1, 0, 0, -1}; // every output is -4 + bias
  v.byId[2] = {0.5};
  v.byId[4] = {10, 1, 3.25, -2};
  // relu(-3.5 + r): 6.5, 0 (relu of -2.5), 0 (relu of -0.25), 0.
  const double expected[] = {6.5, 0, 0, 0};
  for (int64_t i = 0; i < 4; ++i)
    EXPECT_DOUBLE_EQ(referenceAt(p, p.layers[0], v.fn(), i)->value, expected[i])
        << i;
  // The magnitude carries the residual, so the tolerance scales with it.
  EXPECT_GT(referenceAt(p, p.layers[0], v.fn(), 0)->magnitude, 10);
  // An output computed without the post-ops does not pass.
  std::vector<float> bare = {-3.5, -3.5, -3.5, -3.5};
  EXPECT_EQ(checkLayerOutput(p, p.layers[0], v.fn(), bare, 1).verdict,
            CheckVerdict::kMismatch);
  std::vector<float> right(expected, expected + 4);
  EXPECT_EQ(checkLayerOutput(p, p.layers[0], v.fn(), right, 1).verdict,
            CheckVerdict::kPassed);
  // clamp with bounds; an unknown op is a skip naming it.
  Plan clamp =
      tinyConvWithPostOps({{"op", "clamp"}, {"alpha", -1.0}, {"beta", 1.0}});
  EXPECT_DOUBLE_EQ(referenceAt(clamp, clamp.layers[0], v.fn(), 0)->value, 1);
  EXPECT_DOUBLE_EQ(referenceAt(clamp, clamp.layers[0], v.fn(), 3)->value, -1);
  Plan odd = tinyConvWithPostOps({{"op", "hardswish_v9"}});
  CheckResult c = checkLayerOutput(odd, odd.layers[0], v.fn(), right, 1);
  EXPECT_EQ(c.verdict, CheckVerdict::kSkipped);
  EXPECT_NE(c.reason.find("hardswish_v9"), std::string::npos);
}

TEST(ReferenceTest, PostOpsAreValidated) {
  Plan p = tinyConvWithPostOps({{"op", "relu"}});
  p.layers[0].attrs["post_ops"][0]["input"] = 2; // the bias, not the sum
  EXPECT_FALSE(validatePlan(p).isOk());
  p = tinyConvWithPostOps({{"op", "relu"}});
  p.tensors[4].shape = {1, 1, 1, 1}; // a broadcast is no sum
  EXPECT_FALSE(validatePlan(p).isOk());
  p = tinyConvWithPostOps({{"op", "relu"}});
  p.layers[0].attrs["post_ops"][1]["kind"] = "prelu";
  Status s = validatePlan(p);
  EXPECT_NE(s.message().find("unknown kind 'prelu'"), std::string::npos)
      << s.message();
  p = testing::smallPlan();
  p.layers[1].attrs["post_ops"] = {{{"kind", "eltwise"}, {"op", "relu"}}};
  s = validatePlan(p);
  EXPECT_NE(s.message().find("not allowed on eltwise"), std::string::npos)
      << s.message();
}

TEST(ReferenceTest, InnerProductWithBiasAndPostOps) {
  Plan p = testing::innerProductPlan(2, 3, 2);
  ASSERT_TRUE(validatePlan(p).isOk());
  Values v;
  v.byId[0] = {1, 2, 3, 4, 5, 6};  // x [1,2,3]
  v.byId[1] = {1, 0, 0, 1, 1, -1}; // w [1,3,2]
  v.byId[2] = {0.5, -0.5};         // bias [1,1,2]
  v.byId[3] = {0, 0, 0.25, -10};   // residual [1,2,2]
  // out[m][n] = tanh(bias[n] + sum_k x[m][k] w[k][n] + r[m][n]).
  const double expected[] = {std::tanh(1 + 3 + 0.5), std::tanh(2 - 3 - 0.5),
                             std::tanh(4 + 6 + 0.5 + 0.25),
                             std::tanh(5 - 6 - 0.5 - 10)};
  for (int64_t i = 0; i < 4; ++i)
    EXPECT_NEAR(referenceAt(p, p.layers[0], v.fn(), i)->value, expected[i],
                1e-15)
        << i;
  Plan bad = p;
  bad.tensors[1].shape = {1, 2, 3};
  EXPECT_FALSE(referenceAt(bad, bad.layers[0], v.fn(), 0).isOk());
}

/// Attention's scores: (a b) * scale + mask, then sum of a residual and
/// GELU, as a matmul's post-ops; a [1,2,2] by b [1,2,2].
TEST(ReferenceTest, MatmulPostOpsInOrder) {
  Plan p = testing::matmulPostOpPlan(
      nlohmann::json::parse(R"([{"kind":"binary","op":"mul","input":2},
                                {"kind":"binary","op":"add","input":3},
                                {"kind":"sum","input":4},
                                {"kind":"eltwise","op":"gelu_erf"}])"),
      {{{1, 1, 1}, 0.5}, {{1, 1, 2}}, {{1, 2, 2}}}, 1, 2, 2, 2);
  ASSERT_TRUE(validatePlan(p).isOk()) << validatePlan(p).message();
  Values v;
  v.byId[0] = {1, 2, 3, 4};    // a
  v.byId[1] = {1, 0, 0, -1};   // b: a b = [[1, -2], [3, -4]]
  v.byId[2] = {0.5};           // the scale
  v.byId[3] = {10, -10};       // mask per column
  v.byId[4] = {0, 1, 0.25, 2}; // residual
  auto gelu = [](double x) {
    return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
  };
  const double expected[] = {gelu(0.5 + 10 + 0), gelu(-1 - 10 + 1),
                             gelu(1.5 + 10 + 0.25), gelu(-2 - 10 + 2)};
  std::vector<float> right;
  for (int64_t i = 0; i < 4; ++i) {
    auto r = referenceAt(p, p.layers[0], v.fn(), i);
    ASSERT_TRUE(r.isOk()) << r.status().message();
    EXPECT_NEAR(r->value, expected[i], 1e-12) << i;
    EXPECT_GE(r->magnitude, std::abs(r->value)) << i;
    right.push_back(static_cast<float>(expected[i]));
  }
  EXPECT_EQ(checkLayerOutput(p, p.layers[0], v.fn(), right, 1).verdict,
            CheckVerdict::kPassed);
  // The plain product, or the post-ops in another order, do not pass.
  std::vector<float> bare = {1, -2, 3, -4};
  EXPECT_EQ(checkLayerOutput(p, p.layers[0], v.fn(), bare, 1).verdict,
            CheckVerdict::kMismatch);
  Plan swapped = p;
  std::swap(swapped.layers[0].attrs["post_ops"][0]["op"],
            swapped.layers[0].attrs["post_ops"][1]["op"]);
  v.byId[2] = {10, -10};
  v.byId[3] = {0.5};
  swapped.tensors[2].shape = {1, 1, 2};
  swapped.tensors[2].value.reset();
  swapped.tensors[3].shape = {1, 1, 1};
  ASSERT_TRUE(validatePlan(swapped).isOk()) << validatePlan(swapped).message();
  // (x + mask) * 0.5: 5.5 then the residual for the first element.
  EXPECT_NEAR(referenceAt(swapped, swapped.layers[0], v.fn(), 0)->value,
              gelu((1 + 10) * 0.5 + 0), 1e-12);
  EXPECT_EQ(
      checkLayerOutput(swapped, swapped.layers[0], v.fn(), right, 1).verdict,
      CheckVerdict::kMismatch);
}

/// An inner product with a per-column binary scale after its bias.
TEST(ReferenceTest, InnerProductBinaryPostOp) {
  Plan p = testing::innerProductPlan(2, 3, 2);
  p.tensors[3].shape = {1, 1, 2};
  p.layers[0].attrs["post_ops"] =
      nlohmann::json::parse(R"([{"kind":"binary","op":"sub","input":3}])");
  ASSERT_TRUE(validatePlan(p).isOk()) << validatePlan(p).message();
  Values v;
  v.byId[0] = {1, 2, 3, 4, 5, 6};
  v.byId[1] = {1, 0, 0, 1, 1, -1};
  v.byId[2] = {0.5, -0.5};
  v.byId[3] = {1, -2};
  const double expected[] = {4.5 - 1, -1.5 + 2, 10.5 - 1, -1.5 + 2};
  for (int64_t i = 0; i < 4; ++i)
    EXPECT_DOUBLE_EQ(referenceAt(p, p.layers[0], v.fn(), i)->value, expected[i])
        << i;
}

} // namespace
} // namespace goodhart
