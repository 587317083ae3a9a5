//===- CompositePatternsTest.cpp - Softmax, norms, GELU, SiLU, attention --===//
//
// Hand-written modules in the spellings exporters use, each checked for what
// fuses, what is only tagged, and what must not match.
//
//===----------------------------------------------------------------------===//

#include "mlir/CompositePatterns.h"

#include "mlir/PlanLowering.h"

#include "MlirTestSupport.h"

#include <gtest/gtest.h>

namespace goodhart {
namespace {

/// Wraps `body` (ops on %x : tensor<2x8xf32>, returning %y) in a function.
std::string module(const std::string &body,
                   const std::string &resultType = "tensor<2x8xf32>") {
  return "func.func @f(%x: tensor<2x8xf32>) -> " + resultType + " {\n" +
         "  %shift = \"tosa.const\"() <{values = dense<0> : tensor<1xi8>}> : "
         "() -> tensor<1xi8>\n" +
         body + "  return %y : " + resultType + "\n}\n";
}

std::string scalar(const std::string &name, const std::string &value) {
  return "  %" + name + " = \"tosa.const\"() <{values = dense<" + value +
         "> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>\n";
}

struct Lowered {
  testing::Loaded loaded;
  Plan plan;
};

Lowered lower(const std::string &name, const std::string &text,
              LoweringOptions options = {}) {
  Lowered l;
  l.loaded = testing::load(testing::writeTemp(name, text));
  EXPECT_TRUE(l.loaded.ok) << l.loaded.diagnostics;
  if (!l.loaded.ok)
    return l;
  mlir::FailureOr<Plan> plan = lowerToPlan(l.loaded.entry, options);
  EXPECT_TRUE(mlir::succeeded(plan));
  if (mlir::succeeded(plan))
    l.plan = std::move(*plan);
  return l;
}

const char *kT = "tensor<2x8xf32>";
const char *kR = "tensor<2x1xf32>";

std::string op(const std::string &result, const std::string &text,
               const std::string &types) {
  return "  %" + result + " = " + text + " : " + types + "\n";
}

std::string bin(const std::string &r, const std::string &name,
                const std::string &a, const std::string &b, const char *ta,
                const char *tb, const char *tr) {
  bool mul = name == "mul";
  return op(r, "tosa." + name + " %" + a + ", %" + b + (mul ? ", %shift" : ""),
            std::string("(") + ta + ", " + tb + (mul ? ", tensor<1xi8>" : "") +
                ") -> " + tr);
}

std::string unary(const std::string &r, const std::string &name,
                  const std::string &a, const char *t) {
  return op(r, "tosa." + name + " %" + a, std::string("(") + t + ") -> " + t);
}

std::string reduce(const std::string &r, const std::string &name,
                   const std::string &a) {
  return op(r, "tosa." + name + " %" + a + " {axis = 1 : i32}",
            std::string("(") + kT + ") -> " + kR);
}

/// exp(x) * reciprocal(reduce_sum(exp(x))): softmax without the max shift.
TEST(CompositePatternsTest, SoftmaxWithoutMaxShiftFuses) {
  std::string body =
      unary("e", "exp", "x", kT) + reduce("s", "reduce_sum", "e") +
      unary("r", "reciprocal", "s", kR) + bin("y", "mul", "r", "e", kR, kT, kT);
  Lowered l = lower("softmax.mlir", module(body));
  ASSERT_EQ(l.plan.layers.size(), 1u);
  EXPECT_EQ(l.plan.layers[0].kind, LayerKind::kSoftmax);
  EXPECT_EQ(l.plan.layers[0].attrs["axis"], 1);
  EXPECT_EQ(l.plan.layers[0].name, "softmax_0");
  EXPECT_EQ(l.plan.inputs.size(), 1u);
}

/// Layer norm without scale or shift, the variance as pow(c, 2).
TEST(CompositePatternsTest, LayerNormWithoutAffineFuses) {
  std::string body = scalar("n", "1.250000e-01") + scalar("two", "2.0") +
                     scalar("eps", "1.0e-05") + reduce("s", "reduce_sum", "x") +
                     bin("m", "mul", "s", "n", kR, "tensor<1x1xf32>", kR) +
                     bin("c", "sub", "x", "m", kT, kR, kT) +
                     bin("p", "pow", "c", "two", kT, "tensor<1x1xf32>", kT) +
                     reduce("vs", "reduce_sum", "p") +
                     bin("v", "mul", "vs", "n", kR, "tensor<1x1xf32>", kR) +
                     bin("ve", "add", "eps", "v", "tensor<1x1xf32>", kR, kR) +
                     unary("rs", "rsqrt", "ve", kR) +
                     bin("y", "mul", "rs", "c", kR, kT, kT);
  Lowered l = lower("layernorm.mlir", module(body));
  ASSERT_EQ(l.plan.layers.size(), 1u);
  const Layer &norm = l.plan.layers[0];
  EXPECT_EQ(norm.kind, LayerKind::kNorm);
  EXPECT_EQ(norm.attrs["op"], "layer_norm");
  EXPECT_NEAR(norm.attrs["epsilon"].get<double>(), 1e-5, 1e-12);
  EXPECT_EQ(norm.inputs.size(), 1u);
  EXPECT_EQ(norm.params, 0);
}

/// x * sigmoid(x) fuses; x * sigmoid(-x) is not SiLU.
TEST(CompositePatternsTest, SiluNeedsTheSameOperand) {
  Lowered silu =
      lower("silu.mlir", module(unary("s", "sigmoid", "x", kT) +
                                bin("y", "mul", "x", "s", kT, kT, kT)));
  ASSERT_EQ(silu.plan.layers.size(), 1u);
  EXPECT_EQ(silu.plan.layers[0].attrs["op"], "silu");

  Lowered other =
      lower("not-silu.mlir", module(unary("t", "tanh", "x", kT) +
                                    unary("s", "sigmoid", "t", kT) +
                                    bin("y", "mul", "x", "s", kT, kT, kT)));
  ASSERT_EQ(other.plan.layers.size(), 3u);
  for (const Layer &layer : other.plan.layers) {
    EXPECT_NE(layer.attrs.value("op", ""), "silu");
    EXPECT_EQ(layer.pattern, "");
  }
}

/// GELU written 0.5 * (x * (1 + erf(x * 0.7071))), the half applied last.
TEST(CompositePatternsTest, GeluErfInAnyProductOrder) {
  std::string body = scalar("k", "0.707106769") + scalar("one", "1.0") +
                     scalar("half", "5.000000e-01") +
                     bin("a", "mul", "x", "k", kT, "tensor<1x1xf32>", kT) +
                     unary("e", "erf", "a", kT) +
                     bin("b", "add", "one", "e", "tensor<1x1xf32>", kT, kT) +
                     bin("p", "mul", "x", "b", kT, kT, kT) +
                     bin("y", "mul", "half", "p", "tensor<1x1xf32>", kT, kT);
  Lowered l = lower("gelu.mlir", module(body));
  ASSERT_EQ(l.plan.layers.size(), 1u);
  EXPECT_EQ(l.plan.layers[0].attrs["op"], "gelu_erf");
  // Its FLOPs are the five elementwise ops it replaces.
  EXPECT_EQ(l.plan.layers[0].flops, 5 * 16);
}

/// An intermediate value read outside the pattern keeps the ops apart.
TEST(CompositePatternsTest, ValuesUsedOutsideAreNotAbsorbed) {
  std::string body = unary("s", "sigmoid", "x", kT) +
                     bin("m", "mul", "x", "s", kT, kT, kT) +
                     bin("y", "add", "m", "s", kT, kT, kT);
  Lowered l = lower("shared.mlir", module(body));
  ASSERT_EQ(l.plan.layers.size(), 3u);
  EXPECT_EQ(l.plan.layers[0].attrs["op"], "sigmoid");
}

/// With fusion off, the members are lowered one by one and tagged.
TEST(CompositePatternsTest, UnfusedMembersAreTagged) {
  std::string body =
      unary("e", "exp", "x", kT) + reduce("s", "reduce_sum", "e") +
      unary("r", "reciprocal", "s", kR) + bin("y", "mul", "e", "r", kT, kR, kT);
  LoweringOptions none;
  none.fuse.clear();
  Lowered l = lower("tagged.mlir", module(body), none);
  ASSERT_EQ(l.plan.layers.size(), 4u);
  for (const Layer &layer : l.plan.layers)
    EXPECT_EQ(layer.pattern, "softmax") << layer.name;
  std::vector<CompositeMatch> matches = findComposites(l.loaded.entry);
  ASSERT_EQ(matches.size(), 1u);
  EXPECT_EQ(matches[0].pattern, "softmax");
  EXPECT_EQ(matches[0].ops.size(), 4u);
}

} // namespace
} // namespace goodhart
