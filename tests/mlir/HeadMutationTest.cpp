//===- HeadMutationTest.cpp - Changing the number of attention heads ------===//

#include "mlir/Accounting.h"
#include "mlir/Mutations.h"
#include "mlir/PlanLowering.h"
#include "mlir/zoo/ModelZoo.h"

#include "MlirTestSupport.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Verifier.h"

#include <cmath>

namespace goodhart {
namespace {

struct Built {
  std::unique_ptr<mlir::MLIRContext> context = testing::makeContext();
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::func::FuncOp entry;
};

/// A zoo model at sequence 16 (small and quick, same structure).
Built build(const std::string &name) {
  Built b;
  ZooOptions options;
  options.seq = 16;
  b.module = buildZooModel(*b.context, *findZooModel(name), options);
  if (b.module)
    b.entry = *b.module->getOps<mlir::func::FuncOp>().begin();
  return b;
}

std::string typeText(mlir::func::FuncOp func) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << func.getFunctionType();
  return text;
}

int64_t matmulFlops(const Plan &plan) {
  int64_t flops = 0;
  for (const Layer &l : plan.layers)
    if (l.kind == LayerKind::kMatMul)
      flops += l.flops;
  return flops;
}

/// Values of the [1, 1, 1] splat constants that scale attention scores.
std::vector<double> scales(mlir::func::FuncOp func) {
  std::vector<double> values;
  for (auto c : func.getBody().getOps<mlir::tosa::ConstOp>())
    if (nameFromLocation(c.getLoc()).ends_with(".scale"))
      values.push_back(llvm::cast<mlir::DenseFPElementsAttr>(c.getValues())
                           .getSplatValue<llvm::APFloat>()
                           .convertToDouble());
  return values;
}

TEST(HeadMutationTest, BertHasOneHeadSite) {
  Built b = build("bert_large");
  ASSERT_TRUE(b.module);
  std::optional<HeadSite> site = findHeadSite(b.entry);
  ASSERT_TRUE(site);
  EXPECT_EQ(site->heads, 16);
  EXPECT_EQ(site->headDim, 64);
  EXPECT_EQ(site->splits.size(), 24u * 3); // query, key, value per layer
  EXPECT_EQ(site->splits.front(), "encoder.layer.0.attention.self.value.split");
  // Divisors of 1024 in [16 / 4, 16 * 4].
  EXPECT_EQ(site->candidates, (std::vector<int64_t>{4, 8, 32, 64}));
}

TEST(HeadMutationTest, BertWith32HeadsKeepsLayersAndMatmulFlops) {
  Built ref = build("bert_large");
  Built b = build("bert_large");
  ASSERT_TRUE(ref.module && b.module);
  ASSERT_TRUE(mlir::succeeded(setHeads(b.entry, "*", 32)));
  ASSERT_TRUE(mlir::succeeded(mlir::verify(b.entry)));
  EXPECT_EQ(typeText(b.entry), typeText(ref.entry));

  mlir::FailureOr<Plan> refPlan = lowerToPlan(ref.entry, {});
  mlir::FailureOr<Plan> plan = lowerToPlan(b.entry, {});
  ASSERT_TRUE(mlir::succeeded(refPlan) && mlir::succeeded(plan));
  EXPECT_EQ(plan->layers.size(), refPlan->layers.size());
  EXPECT_EQ(plan->totalParams(), refPlan->totalParams());
  // Projections: T x h x h each; attention: 2 x T^2 x H x D = 2 x T^2 x h.
  EXPECT_EQ(matmulFlops(*plan), matmulFlops(*refPlan));
  // The attention composite is still recognized around every softmax.
  int attention = 0;
  for (const Layer &l : plan->layers)
    attention += l.pattern == "attention";
  EXPECT_EQ(attention, 24 * 4);
  // Scores are [H, S, S] = [32, 16, 16] batched matmuls of [32, 16, 32].
  int batched = 0;
  for (const Layer &l : plan->layers)
    if (l.kind == LayerKind::kMatMul &&
        plan->tensor(l.outputs[0]).shape == std::vector<int64_t>{32, 16, 16})
      ++batched;
  EXPECT_EQ(batched, 24);
  // The scale is 1 / sqrt(32) in every layer.
  std::vector<double> values = scales(b.entry);
  ASSERT_EQ(values.size(), 24u);
  for (double v : values)
    EXPECT_NEAR(v, 1 / std::sqrt(32.0), 1e-6);
}

TEST(HeadMutationTest, BertHeadDim48NarrowsTheAttention) {
  Built ref = build("bert_large");
  Built b = build("bert_large");
  ASSERT_TRUE(ref.module && b.module);
  ASSERT_TRUE(mlir::succeeded(setHeadDim(b.entry, "*", 48)));
  ASSERT_TRUE(mlir::succeeded(mlir::verify(b.entry)));
  mlir::FailureOr<Plan> refPlan = lowerToPlan(ref.entry, {});
  mlir::FailureOr<Plan> plan = lowerToPlan(b.entry, {});
  ASSERT_TRUE(mlir::succeeded(refPlan) && mlir::succeeded(plan));
  EXPECT_EQ(plan->layers.size(), refPlan->layers.size());
  // 16 heads of 48: Q, K, V project 1024 -> 768 (weights and biases), the
  // output projection 768 -> 1024 (its bias keeps the residual width).
  const int64_t h = 1024, w = 16 * 48;
  int64_t perLayer = (3 * (h * h + h) + h * h) - (3 * (h * w + w) + w * h);
  EXPECT_EQ(plan->totalParams(), refPlan->totalParams() - 24 * perLayer);
  EXPECT_EQ(plan->tensor(plan->outputs[0]).shape,
            refPlan->tensor(refPlan->outputs[0]).shape);
  std::vector<double> values = scales(b.entry);
  ASSERT_EQ(values.size(), 24u);
  for (double v : values)
    EXPECT_NEAR(v, 1 / std::sqrt(48.0), 1e-6);
}

TEST(HeadMutationTest, ScopeSelectsOneLayer) {
  Built b = build("bert_large");
  ASSERT_TRUE(b.module);
  ASSERT_TRUE(
      mlir::succeeded(setHeads(b.entry, "encoder.layer.3.attention", 8)));
  std::vector<double> values = scales(b.entry);
  ASSERT_EQ(values.size(), 24u);
  for (size_t i = 0; i < values.size(); ++i)
    EXPECT_NEAR(values[i], i == 3 ? 1 / std::sqrt(128.0) : 0.125, 1e-6) << i;
}

TEST(HeadMutationTest, RefusalsExplainThemselves) {
  Built b = build("bert_large");
  ASSERT_TRUE(b.module);
  std::string messages;
  mlir::ScopedDiagnosticHandler handler(b.context.get(),
                                        [&](mlir::Diagnostic &d) {
                                          messages += d.str() + "\n";
                                          return mlir::success();
                                        });
  EXPECT_TRUE(mlir::failed(setHeads(b.entry, "*", 24)));
  EXPECT_NE(messages.find("24 heads do not divide the hidden size 1024 (16 "
                          "heads of 64)"),
            std::string::npos)
      << messages;
  EXPECT_TRUE(mlir::failed(setHeads(b.entry, "*", 16)));
  EXPECT_NE(messages.find("already has 16 heads"), std::string::npos)
      << messages;
  EXPECT_TRUE(mlir::failed(setHeads(b.entry, "encoder.layer.99", 8)));
  EXPECT_NE(messages.find("named 'encoder.layer.99.*'"), std::string::npos)
      << messages;
  EXPECT_TRUE(mlir::succeeded(mlir::verify(b.entry)));
}

/// The type of function argument `index`, as text.
std::string argType(mlir::func::FuncOp func, unsigned index) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << func.getArgument(index).getType();
  return text;
}

TEST(HeadMutationTest, LlamaRotaryFollowsTheHeadDimension) {
  // Rotary embeddings slice the head dimension in halves (rotate_half) and
  // multiply by [1, 1, S, D] cos/sin tables that are model inputs: both
  // follow D; D must stay even.
  Built b = build("llama2_7b_layer");
  ASSERT_TRUE(b.module);
  std::optional<HeadSite> site = findHeadSite(b.entry);
  ASSERT_TRUE(site);
  EXPECT_EQ(site->heads, 32);
  EXPECT_EQ(site->headDim, 128);
  // Divisors of 4096 in [8, 128] with an even head dimension.
  EXPECT_EQ(site->candidates, (std::vector<int64_t>{8, 16, 64, 128}));

  ASSERT_TRUE(mlir::succeeded(setHeadDim(b.entry, "*", 96)));
  ASSERT_TRUE(mlir::succeeded(mlir::verify(b.entry)));
  EXPECT_EQ(argType(b.entry, 0), "tensor<1x16x4096xf32>");
  EXPECT_EQ(argType(b.entry, 1), "tensor<1x1x16x96xf32>");
  EXPECT_EQ(argType(b.entry, 2), "tensor<1x1x16x96xf32>");
  int halves = 0;
  for (auto slice : b.entry.getBody().getOps<mlir::tosa::SliceOp>()) {
    EXPECT_EQ(llvm::cast<mlir::RankedTensorType>(slice.getType()).getShape(),
              (llvm::ArrayRef<int64_t>{1, 32, 16, 48}));
    ++halves;
  }
  EXPECT_EQ(halves, 4); // x1 and x2 of the query's and the key's rotary
  std::vector<double> values = scales(b.entry);
  ASSERT_EQ(values.size(), 1u);
  EXPECT_NEAR(values[0], 1 / std::sqrt(96.0), 1e-6);
}

TEST(HeadMutationTest, LlamaWith64HeadsKeepsItsWeights) {
  Built ref = build("llama2_7b_layer");
  Built b = build("llama2_7b_layer");
  ASSERT_TRUE(ref.module && b.module);
  ASSERT_TRUE(mlir::succeeded(setHeads(b.entry, "*", 64)));
  ASSERT_TRUE(mlir::succeeded(mlir::verify(b.entry)));
  EXPECT_EQ(argType(b.entry, 1), "tensor<1x1x16x64xf32>");
  mlir::FailureOr<Plan> refPlan = lowerToPlan(ref.entry, {});
  mlir::FailureOr<Plan> plan = lowerToPlan(b.entry, {});
  ASSERT_TRUE(mlir::succeeded(refPlan) && mlir::succeeded(plan));
  EXPECT_EQ(plan->layers.size(), refPlan->layers.size());
  EXPECT_EQ(plan->totalParams(), refPlan->totalParams());
  EXPECT_EQ(matmulFlops(*plan), matmulFlops(*refPlan));
  for (auto slice : b.entry.getBody().getOps<mlir::tosa::SliceOp>())
    EXPECT_EQ(llvm::cast<mlir::RankedTensorType>(slice.getType()).getShape(),
              (llvm::ArrayRef<int64_t>{1, 64, 16, 32}));
}

TEST(HeadMutationTest, LlamaRotaryNeedsAnEvenHeadDimension) {
  Built b = build("llama2_7b_layer");
  ASSERT_TRUE(b.module);
  std::string messages;
  mlir::ScopedDiagnosticHandler handler(b.context.get(),
                                        [&](mlir::Diagnostic &d) {
                                          messages += d.str() + "\n";
                                          return mlir::success();
                                        });
  EXPECT_TRUE(mlir::failed(setHeadDim(b.entry, "*", 127)));
  EXPECT_NE(messages.find("the new head dimension must be even"),
            std::string::npos)
      << messages;
  EXPECT_TRUE(mlir::succeeded(mlir::verify(b.entry)));
}

TEST(HeadMutationTest, CnnsHaveNoHeads) {
  testing::Loaded m = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(m.ok) << m.diagnostics;
  EXPECT_FALSE(findHeadSite(m.entry));
}

} // namespace
} // namespace goodhart
