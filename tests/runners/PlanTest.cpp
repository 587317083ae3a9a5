//===- PlanTest.cpp - The plan reader every runner uses -------------------===//

#include "runners/common/Plan.h"

#include "TestPlans.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace goodhart {
namespace {

using testing::smallPlan;

/// Parses `json` and expects a failure whose message contains `needle`.
void expectError(const nlohmann::json &json, const std::string &needle) {
  StatusOr<Plan> plan = planFromJson(json, "bad.plan.json");
  ASSERT_FALSE(plan.isOk()) << "expected an error mentioning " << needle;
  EXPECT_NE(plan.status().message().find(needle), std::string::npos)
      << plan.status().message();
  EXPECT_NE(plan.status().message().find("bad.plan.json"), std::string::npos);
}

TEST(PlanTest, RoundTripsThroughJson) {
  Plan plan = smallPlan();
  StatusOr<Plan> back = planFromJson(planToJson(plan));
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_EQ(planToJson(*back), planToJson(plan));
  EXPECT_EQ(back->layers[2].kind, LayerKind::kPool2d);
  EXPECT_EQ(back->tensor(8).role, TensorRole::kWeight);
}

TEST(PlanTest, EdgesAreTensorIds) {
  Plan plan = smallPlan();
  EXPECT_EQ(plan.producerOf(3), 0);
  EXPECT_EQ(plan.producerOf(0), -1);
  EXPECT_EQ(plan.consumersOf(5), std::vector<int64_t>({3}));
  EXPECT_EQ(plan.consumersOf(3), std::vector<int64_t>({1}));
}

TEST(PlanTest, TotalsCountDistinctWeights) {
  Plan plan = smallPlan();
  EXPECT_EQ(plan.totalParams(), 16 * 3 * 3 * 8 + 16 + 256 * 10);
  EXPECT_EQ(plan.totalFlops(), 2 * 16 * 8 * 8 * 8 * 9 + 2 * 256 * 10);
}

TEST(PlanTest, HashIgnoresNamesButNotShapes) {
  Plan a = smallPlan(), b = smallPlan();
  b.layers[0].name = "renamed";
  b.tensors[3].name = "other";
  EXPECT_EQ(computeLayerHash(a, a.layers[0]), computeLayerHash(b, b.layers[0]));
  b.tensors[0].shape = {1, 8, 8, 9};
  EXPECT_NE(computeLayerHash(a, a.layers[0]), computeLayerHash(b, b.layers[0]));
  EXPECT_EQ(computeLayerHash(a, a.layers[0]).size(), 16u);
}

TEST(PlanTest, Fnv1aMatchesTheReferenceVectors) {
  EXPECT_EQ(fnv1a64Hex(""), "cbf29ce484222325");
  EXPECT_EQ(fnv1a64Hex("a"), "af63dc4c8601ec8c");
}

TEST(PlanTest, RejectsMissingField) {
  nlohmann::json j = planToJson(smallPlan());
  j["layers"][1].erase("kind");
  expectError(j, "missing field 'kind'");
}

TEST(PlanTest, RejectsWrongType) {
  nlohmann::json j = planToJson(smallPlan());
  j["tensors"][0]["shape"] = "1x8";
  expectError(j, "tensors[0].shape");
}

TEST(PlanTest, RejectsUnknownKind) {
  nlohmann::json j = planToJson(smallPlan());
  j["layers"][1]["kind"] = "fft";
  expectError(j, "unknown layer kind 'fft'");
}

TEST(PlanTest, RejectsDanglingTensor) {
  nlohmann::json j = planToJson(smallPlan());
  j["layers"][1]["inputs"] = {42};
  expectError(j, "out of range");
}

TEST(PlanTest, RejectsReadBeforeWrite) {
  nlohmann::json j = planToJson(smallPlan());
  j["layers"][1]["inputs"] = {4}; // relu reads its own output
  expectError(j, "before any layer produces it");
}

TEST(PlanTest, RejectsMissingAttribute) {
  nlohmann::json j = planToJson(smallPlan());
  j["layers"][0]["attrs"].erase("stride");
  expectError(j, "missing attribute 'stride'");
}

TEST(PlanTest, RejectsOtherVersionsAndFormats) {
  nlohmann::json j = planToJson(smallPlan());
  j["version"] = 2;
  expectError(j, "plan.version 2 is not supported");
  j = planToJson(smallPlan());
  j["format"] = "onnx";
  expectError(j, "plan.format");
}

TEST(PlanTest, RejectsDynamicShapes) {
  nlohmann::json j = planToJson(smallPlan());
  j["tensors"][0]["shape"] = {1, -1, 8, 8};
  expectError(j, "non-positive dimension");
}

TEST(PlanTest, RejectsIntegersOutOfRange) {
  // Found by tests/fuzz/PlanFuzzer: floats beyond int64 reached nlohmann's
  // static_cast (undefined behaviour) in shapes, ids and accounting fields.
  nlohmann::json j = planToJson(smallPlan());
  j["tensors"][0]["shape"] = {1, 1e300, 8, 8};
  expectError(j, "tensors[0].shape: not an integer in range");
  j = planToJson(smallPlan());
  j["layers"][0]["flops"] = 1e300;
  expectError(j, "layers[0].flops: not an integer in range");
  j = planToJson(smallPlan());
  j["layers"][0]["id"] = 9223372036854775808ULL;
  expectError(j, "layers[0].id: not an integer in range");
}

TEST(PlanTest, RejectsNamesThatAreNotStrings) {
  // Found by tests/fuzz/PlanFuzzer: json::value() threw type_error out of
  // planFromJson for a variant, source or name of another type.
  nlohmann::json j = planToJson(smallPlan());
  j["variant"] = 1;
  expectError(j, "plan.variant: wrong type (number)");
  j = planToJson(smallPlan());
  j["tensors"][0]["name"] = {1};
  expectError(j, "tensors[0].name: wrong type (array)");
  j = planToJson(smallPlan());
  j["layers"][1]["name"] = false;
  expectError(j, "layers[1].name: wrong type (boolean)");
}

TEST(PlanTest, RejectsSizesAndTotalsThatOverflow) {
  // Found by tests/fuzz/PlanFuzzer: numElements() and totalFlops() of an
  // accepted plan overflowed int64 (undefined behaviour).
  nlohmann::json j = planToJson(smallPlan());
  j["tensors"][1]["shape"] = {int64_t(1) << 40, int64_t(1) << 40, 3, 8};
  expectError(j, "size in bytes overflows int64");
  j = planToJson(smallPlan());
  for (int id : {1, 8})
    j["tensors"][id]["shape"] = {int64_t(1) << 30, int64_t(1) << 30, 1, 1};
  expectError(j, "total size of the tensors overflows int64");
  j = planToJson(smallPlan());
  j["layers"][0]["flops"] = int64_t(1) << 62;
  j["layers"][1]["flops"] = int64_t(1) << 62;
  expectError(j, "total flops or bytes of the plan overflow int64");
  j = planToJson(smallPlan());
  j["layers"][1]["bytes"] = -1;
  expectError(j, "must not be negative");
}

TEST(PlanTest, ReadsFilesAndNamesBadOnes) {
  std::string path = ::testing::TempDir() + "/plan_test.plan.json";
  ASSERT_TRUE(writePlanFile(smallPlan(), path).isOk());
  EXPECT_TRUE(readPlanFile(path).isOk());
  {
    std::ofstream out(path);
    out << "{ not json";
  }
  StatusOr<Plan> bad = readPlanFile(path);
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find(path), std::string::npos);
  EXPECT_NE(bad.status().message().find("not valid JSON"), std::string::npos);
  {
    // Found by tests/fuzz/PlanFuzzer: a number beyond a double threw
    // out_of_range, which is not a parse_error, out of readPlanFile.
    std::ofstream out(path);
    out << R"({"format": "goodhart.plan", "version": 1e999})";
  }
  StatusOr<Plan> overflow = readPlanFile(path);
  ASSERT_FALSE(overflow.isOk());
  EXPECT_NE(overflow.status().message().find("not valid JSON"),
            std::string::npos);
  StatusOr<Plan> missing = readPlanFile(path + ".missing");
  EXPECT_EQ(missing.status().code(), StatusCode::kIoError);
  std::remove(path.c_str());
}

TEST(PlanTest, TypedAttributeAccessNamesTheLayer) {
  Plan plan = smallPlan();
  auto stride = plan.layers[0].getInts("stride", 2);
  ASSERT_TRUE(stride.isOk());
  EXPECT_EQ((*stride)[0], 1);
  auto wrong = plan.layers[0].getInts("stride", 3);
  ASSERT_FALSE(wrong.isOk());
  EXPECT_NE(wrong.status().message().find("layer 0 'conv'"), std::string::npos);
  EXPECT_FALSE(plan.layers[1].getInt("op").isOk());
}

TEST(PlanTest, PostOpsAndInnerProductRoundTripAndHash) {
  for (const Plan &plan :
       {testing::convPostOpPlan(), testing::innerProductPlan()}) {
    StatusOr<Plan> back = planFromJson(planToJson(plan));
    ASSERT_TRUE(back.isOk()) << back.status().toString();
    EXPECT_EQ(planToJson(*back), planToJson(plan));
    const Layer &fused = back->layers.back();
    EXPECT_EQ(fused.numPrimaryInputs(), 3u);
    auto postOps = fused.postOps();
    ASSERT_TRUE(postOps.isOk());
    ASSERT_EQ(postOps->size(), 2u);
    EXPECT_EQ((*postOps)[0].kind, PostOp::Kind::kSum);
    EXPECT_EQ((*postOps)[0].input, 3);
    EXPECT_EQ((*postOps)[1].kind, PostOp::Kind::kEltwise);
    EXPECT_FALSE((*postOps)[1].attrs.contains("kind"));
  }
  EXPECT_EQ(parseLayerKind("inner_product"), LayerKind::kInnerProduct);
  // Post-ops are part of the problem, so of the hash: the signature lists
  // them and the sum's operand.
  Plan plan = testing::convPostOpPlan();
  std::string signature = layerSignature(plan, plan.layers[1]);
  EXPECT_NE(signature.find(R"("post_ops":[{"input":3,"kind":"sum"},)"
                           R"({"kind":"eltwise","op":"relu"}])"),
            std::string::npos)
      << signature;
  Plan swapped = plan;
  std::swap(swapped.layers[1].attrs["post_ops"][0],
            swapped.layers[1].attrs["post_ops"][1]);
  EXPECT_NE(computeLayerHash(swapped, swapped.layers[1]),
            computeLayerHash(plan, plan.layers[1]))
      << "relu then sum is another problem than sum then relu";
  // A sum operand beyond the inputs, and too many primary inputs.
  nlohmann::json json = planToJson(plan);
  json["layers"][1]["attrs"]["post_ops"][0]["input"] = 7;
  expectError(json, "is not one of the layer's 4 inputs");
  json = planToJson(plan);
  json["layers"][1]["attrs"].erase("post_ops");
  expectError(json, "has 4 inputs, expected 2 to 3");
}

} // namespace
} // namespace goodhart
