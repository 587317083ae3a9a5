//===- ElementTypeMutationTest.cpp - f32, bf16, f16 -----------------------===//

#include "mlir/Mutations.h"
#include "mlir/PlanLowering.h"

#include "MlirTestSupport.h"

namespace goodhart {
namespace {

std::string corpus(const std::string &name) {
  return std::string(GOODHART_SOURCE_DIR) + "/corpus/" + name;
}

int64_t countKind(const Plan &plan, LayerKind kind) {
  int64_t n = 0;
  for (const Layer &layer : plan.layers)
    n += layer.kind == kind;
  return n;
}

TEST(ElementTypeMutationTest, WholeModelKeepsLayersFlopsAndReLUs) {
  testing::Loaded cnn = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(cnn.ok) << cnn.diagnostics;
  mlir::FailureOr<Plan> before = lowerToPlan(cnn.entry, {});
  ASSERT_TRUE(mlir::succeeded(before));
  ASSERT_TRUE(mlir::succeeded(setElementType(cnn.entry, "*", "bf16")));
  mlir::FailureOr<Plan> after = lowerToPlan(cnn.entry, {});
  ASSERT_TRUE(mlir::succeeded(after));
  ASSERT_EQ(after->layers.size(), before->layers.size());
  for (const TensorDesc &t : after->tensors)
    EXPECT_EQ(t.dtype, DType::kBF16) << t.name;
  for (size_t i = 0; i < after->layers.size(); ++i) {
    EXPECT_EQ(after->layers[i].kind, before->layers[i].kind);
    EXPECT_EQ(after->layers[i].attrs, before->layers[i].attrs)
        << after->layers[i].name << ": a bf16 ReLU is still a ReLU";
  }
  EXPECT_EQ(after->totalFlops(), before->totalFlops());
  EXPECT_EQ(after->totalParams(), before->totalParams());
}

TEST(ElementTypeMutationTest, OneLayerGetsCastsAtItsBoundaries) {
  testing::Loaded cnn = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(cnn.ok);
  mlir::FailureOr<Plan> before = lowerToPlan(cnn.entry, {});
  ASSERT_TRUE(
      mlir::succeeded(setElementType(cnn.entry, "block1.conv2", "f16")));
  mlir::FailureOr<Plan> after = lowerToPlan(cnn.entry, {});
  ASSERT_TRUE(mlir::succeeded(after));
  EXPECT_EQ(countKind(*after, LayerKind::kCast), 2);
  EXPECT_EQ(after->layers.size(), before->layers.size() + 2);
  for (const Layer &layer : after->layers) {
    DType out = after->tensor(layer.outputs.front()).dtype;
    if (layer.name == "block1.conv2") {
      EXPECT_EQ(out, DType::kF16);
      for (int64_t id : layer.inputs)
        EXPECT_EQ(after->tensor(id).dtype, DType::kF16);
    } else if (layer.kind != LayerKind::kCast) {
      EXPECT_EQ(out, DType::kF32) << layer.name;
    }
  }
}

TEST(ElementTypeMutationTest, CorpusModelsConvertWhole) {
  for (const char *name : {"resnet50.mlir", "mobilenet_v2.mlir",
                           "llama2_7b_layer.mlir", "bert_large.mlir"}) {
    testing::Loaded m = testing::load(corpus(name));
    ASSERT_TRUE(m.ok) << name << m.diagnostics;
    mlir::FailureOr<Plan> before = lowerToPlan(m.entry, {});
    ASSERT_TRUE(mlir::succeeded(before)) << name;
    ASSERT_TRUE(mlir::succeeded(setElementType(m.entry, "*", "f16"))) << name;
    mlir::FailureOr<Plan> after = lowerToPlan(m.entry, {});
    ASSERT_TRUE(mlir::succeeded(after)) << name;
    EXPECT_EQ(after->layers.size(), before->layers.size()) << name;
    EXPECT_EQ(after->totalFlops(), before->totalFlops()) << name;
  }
}

TEST(ElementTypeMutationTest, RejectsWhatItCannotDo) {
  testing::Loaded m = testing::load(corpus("llama2_7b_layer.mlir"));
  ASSERT_TRUE(m.ok);
  mlir::ScopedDiagnosticHandler quiet(
      m.context.get(), [](mlir::Diagnostic &) { return mlir::success(); });
  EXPECT_TRUE(mlir::failed(setElementType(m.entry, "*", "f64")));
  EXPECT_TRUE(mlir::failed(setElementType(m.entry, "*", "f32")))
      << "already f32";
  EXPECT_TRUE(
      mlir::failed(setElementType(m.entry, "mlp.act_fn.sigmoid", "bf16")))
      << "a fused composite's member";
  EXPECT_TRUE(mlir::failed(setElementType(m.entry, "nope", "bf16")));
}

} // namespace
} // namespace goodhart
