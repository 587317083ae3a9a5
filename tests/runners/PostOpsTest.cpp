//===- PostOpsTest.cpp - Parsing and validation of layer post-ops ---------===//

#include "runners/common/PostOps.h"

#include "TestPlans.h"

#include <gtest/gtest.h>

namespace goodhart {
namespace {

using testing::matmulPostOpPlan;
using testing::Operand;

/// The message of validatePlan(plan), "" when it passes.
std::string problem(const Plan &plan) { return validatePlan(plan).message(); }

TEST(PostOpsTest, MatmulTakesEltwiseSumAndBinaryPostOps) {
  Plan plan = matmulPostOpPlan(
      nlohmann::json::parse(R"([{"kind":"binary","op":"mul","input":2},
                                {"kind":"sum","input":3},
                                {"kind":"eltwise","op":"gelu_erf"}])"),
      {{{1, 1, 1}, 0.125}, {{2, 4, 8}}});
  ASSERT_EQ(problem(plan), "");
  const Layer &mm = plan.layers[0];
  EXPECT_TRUE(acceptsPostOps(LayerKind::kMatMul));
  EXPECT_EQ(mm.numPrimaryInputs(), 2u);
  auto postOps = mm.postOps();
  ASSERT_TRUE(postOps.isOk()) << postOps.status().message();
  ASSERT_EQ(postOps->size(), 3u);
  EXPECT_EQ((*postOps)[0].kind, PostOp::Kind::kBinary);
  EXPECT_EQ((*postOps)[0].input, 2);
  EXPECT_EQ((*postOps)[0].attrs, nlohmann::json({{"op", "mul"}}));
  EXPECT_EQ(postOpKindName((*postOps)[0].kind), "binary");
  EXPECT_EQ((*postOps)[1].kind, PostOp::Kind::kSum);
  EXPECT_EQ((*postOps)[2].attrs["op"], "gelu_erf");
  // Round trip through JSON keeps them, and they are part of the hash.
  StatusOr<Plan> back = planFromJson(planToJson(plan));
  ASSERT_TRUE(back.isOk()) << back.status().message();
  EXPECT_EQ(back->layers[0].hash, mm.hash);
  Plan bare = matmulPostOpPlan(nlohmann::json::array(), {});
  EXPECT_NE(computeLayerHash(bare, bare.layers[0]), mm.hash);
}

TEST(PostOpsTest, BinaryOperandsBroadcastToTheOutput) {
  // A mask per batch and column [2,1,8], a rank-1 per-column operand.
  for (std::vector<int64_t> shape :
       {std::vector<int64_t>{2, 1, 8}, {1, 4, 1}, {8}, {1}, {2, 4, 8}}) {
    Plan plan = matmulPostOpPlan(
        nlohmann::json::parse(R"([{"kind":"binary","op":"add","input":2}])"),
        {{shape}});
    EXPECT_EQ(problem(plan), "") << shape.size();
  }
  for (std::vector<int64_t> shape :
       {std::vector<int64_t>{3, 4, 8}, {4, 8, 1}, {1, 2, 4, 8}}) {
    Plan plan = matmulPostOpPlan(
        nlohmann::json::parse(R"([{"kind":"binary","op":"add","input":2}])"),
        {{shape}});
    EXPECT_NE(problem(plan).find("post_ops[0]: the binary operand's shape "
                                 "does not broadcast"),
              std::string::npos)
        << problem(plan);
  }
}

TEST(PostOpsTest, EntriesAreCheckedAndNamed) {
  auto with = [](const char *postOps, std::vector<Operand> operands) {
    return problem(matmulPostOpPlan(nlohmann::json::parse(postOps), operands));
  };
  // Operands follow the kind's inputs in post-op order.
  std::string s = with(R"([{"kind":"sum","input":3},
                           {"kind":"binary","op":"mul","input":2}])",
                       {{{1, 1, 1}, 2.0}, {{2, 4, 8}}});
  EXPECT_NE(s.find("post_ops[0].input is 3, expected 2"), std::string::npos)
      << s;
  s = with(R"([{"kind":"binary","op":"pow","input":2}])", {{{1}}});
  EXPECT_NE(s.find("a binary needs 'op' add, sub, mul, div, max or min"),
            std::string::npos)
      << s;
  s = with(R"([{"kind":"binary","op":"add"}])", {{{1}}});
  EXPECT_NE(s.find("post_ops[0]: a binary needs an integer 'input'"),
            std::string::npos)
      << s;
  s = with(R"([{"kind":"binary","op":"add","input":5}])", {{{1}}});
  EXPECT_NE(s.find("input 5 is not one of the layer's 3 inputs"),
            std::string::npos)
      << s;
  s = with(R"([{"kind":"prelu"}])", {});
  EXPECT_NE(s.find("unknown kind 'prelu' (known: sum, eltwise, binary)"),
            std::string::npos)
      << s;
  s = with(R"([{"kind":"sum","input":2}])", {{{2, 1, 8}}});
  EXPECT_NE(s.find("the sum operand's shape differs from the output's"),
            std::string::npos)
      << s;
  // Without the operand the binary would take b's place: too few inputs.
  s = with(R"([{"kind":"binary","op":"add","input":1}])", {});
  EXPECT_NE(s.find("has 1 inputs, expected 2"), std::string::npos) << s;
  // Layers of other kinds take none.
  Plan plan = testing::smallPlan();
  plan.layers[1].attrs["post_ops"] = {{{"kind", "eltwise"}, {"op", "relu"}}};
  EXPECT_NE(problem(plan).find("post_ops are not allowed on eltwise layers"),
            std::string::npos);
  EXPECT_FALSE(acceptsPostOps(LayerKind::kSoftmax));
}

TEST(PostOpsTest, BinaryOpNames) {
  for (const char *op : {"add", "sub", "mul", "div", "max", "min"})
    EXPECT_TRUE(isBinaryPostOpName(op)) << op;
  EXPECT_FALSE(isBinaryPostOpName("pow"));
  EXPECT_FALSE(isBinaryPostOpName(""));
  EXPECT_TRUE(postOpHasOperand(PostOp::Kind::kBinary));
  EXPECT_FALSE(postOpHasOperand(PostOp::Kind::kEltwise));
}

} // namespace
} // namespace goodhart
