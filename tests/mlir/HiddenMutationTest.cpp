//===- HiddenMutationTest.cpp - Changing a transformer's hidden size ------===//

#include "mlir/Mutations.h"
#include "mlir/PlanLowering.h"
#include "mlir/zoo/ModelZoo.h"

#include "MlirTestSupport.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Verifier.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace goodhart {
namespace {

struct Built {
  std::unique_ptr<mlir::MLIRContext> context = testing::makeContext();
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::func::FuncOp entry;
};

/// A zoo model at sequence 16 (small and quick, same structure), at its
/// default hidden size or at `hidden`.
Built build(const std::string &name, int64_t hidden = 0) {
  Built b;
  ZooOptions options;
  options.seq = 16;
  options.hidden = hidden;
  b.module = buildZooModel(*b.context, *findZooModel(name), options);
  if (b.module)
    b.entry = *b.module->getOps<mlir::func::FuncOp>().begin();
  return b;
}

/// The plan as JSON without what names its origin.
nlohmann::json planJson(mlir::func::FuncOp func) {
  mlir::FailureOr<Plan> plan = lowerToPlan(func, {});
  if (mlir::failed(plan))
    return nullptr;
  nlohmann::json json = planToJson(*plan);
  json.erase("source");
  json.erase("metadata");
  return json;
}

std::string typeText(mlir::Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type;
  return text;
}

/// Values of the splat constants whose name location ends with `suffix`.
std::vector<double> constants(mlir::func::FuncOp func, llvm::StringRef suffix) {
  std::vector<double> values;
  for (auto c : func.getBody().getOps<mlir::tosa::ConstOp>())
    if (nameFromLocation(c.getLoc()).ends_with(suffix))
      values.push_back(llvm::cast<mlir::DenseFPElementsAttr>(c.getValues())
                           .getSplatValue<llvm::APFloat>()
                           .convertToDouble());
  return values;
}

/// Runs `mutate` on `b` and returns the diagnostics it emitted.
template <typename Fn> std::string messagesOf(Built &b, Fn mutate) {
  std::string messages;
  mlir::ScopedDiagnosticHandler handler(b.context.get(),
                                        [&](mlir::Diagnostic &d) {
                                          messages += d.str() + "\n";
                                          return mlir::success();
                                        });
  EXPECT_TRUE(mlir::failed(mutate()));
  return messages;
}

TEST(HiddenMutationTest, SitesOfTransformersOnly) {
  Built bert = build("bert_large");
  ASSERT_TRUE(bert.module);
  std::optional<HiddenSite> site = findHiddenSite(bert.entry);
  ASSERT_TRUE(site);
  EXPECT_EQ(site->hidden, 1024);
  EXPECT_EQ(site->heads, 16);
  Built llama = build("llama2_7b_layer");
  ASSERT_TRUE(llama.module);
  site = findHiddenSite(llama.entry);
  ASSERT_TRUE(site);
  EXPECT_EQ(site->hidden, 4096);
  EXPECT_EQ(site->heads, 32);
  testing::Loaded cnn = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(cnn.ok) << cnn.diagnostics;
  EXPECT_FALSE(findHiddenSite(cnn.entry));
}

TEST(HiddenMutationTest, BertAt1040EqualsTheZooExport) {
  Built b = build("bert_large");
  Built want = build("bert_large", 1040);
  ASSERT_TRUE(b.module && want.module);
  ASSERT_TRUE(mlir::succeeded(setHidden(b.entry, 1040)));
  ASSERT_TRUE(mlir::succeeded(mlir::verify(b.entry)));
  EXPECT_EQ(typeText(b.entry.getFunctionType()),
            typeText(want.entry.getFunctionType()));
  // 16 heads of 65: the scale is 1/sqrt(65), every norm's mean 1/1040.
  for (double v : constants(b.entry, ".scale"))
    EXPECT_NEAR(v, 1 / std::sqrt(65.0), 1e-7);
  std::vector<double> means = constants(b.entry, ".inv_n");
  EXPECT_EQ(means.size(), 24u * 2 * 2); // two norms, mean and variance
  for (double v : means)
    EXPECT_NEAR(v, 1 / 1040.0, 1e-9);
  nlohmann::json got = planJson(b.entry), expected = planJson(want.entry);
  ASSERT_FALSE(got.is_null());
  EXPECT_EQ(got, expected) << got.dump().substr(0, 2000);
}

TEST(HiddenMutationTest, LlamaAt4160EqualsTheZooExport) {
  // 32 heads of 130: the rotary tables become [1, 1, S, 130], rotate_half
  // slices halves of 65, the RMS norms' means 1/4160.
  Built b = build("llama2_7b_layer");
  Built want = build("llama2_7b_layer", 4160);
  ASSERT_TRUE(b.module && want.module);
  ASSERT_TRUE(mlir::succeeded(setHidden(b.entry, 4160)));
  ASSERT_TRUE(mlir::succeeded(mlir::verify(b.entry)));
  EXPECT_EQ(typeText(b.entry.getFunctionType()),
            typeText(want.entry.getFunctionType()));
  EXPECT_EQ(typeText(b.entry.getArgument(1).getType()),
            "tensor<1x1x16x130xf32>");
  nlohmann::json got = planJson(b.entry), expected = planJson(want.entry);
  ASSERT_FALSE(got.is_null());
  EXPECT_EQ(got, expected) << got.dump().substr(0, 2000);
}

TEST(HiddenMutationTest, RefusalsNameTheConstraint) {
  Built b = build("bert_large");
  ASSERT_TRUE(b.module);
  std::string messages =
      messagesOf(b, [&] { return setHidden(b.entry, 1000); });
  EXPECT_NE(messages.find("set_hidden(*, 1000): the hidden size must be a "
                          "positive multiple of the 16 attention heads"),
            std::string::npos)
      << messages;
  messages = messagesOf(b, [&] { return setHidden(b.entry, 1024); });
  EXPECT_NE(messages.find("hidden size already is 1024"), std::string::npos)
      << messages;
  EXPECT_TRUE(mlir::succeeded(mlir::verify(b.entry)));

  // Llama's rotate_half needs an even head dimension: 32 x 129 is refused.
  Built llama = build("llama2_7b_layer");
  ASSERT_TRUE(llama.module);
  messages =
      messagesOf(llama, [&] { return setHidden(llama.entry, 32 * 129); });
  EXPECT_NE(messages.find("must be even"), std::string::npos) << messages;

  testing::Loaded cnn = testing::load(testing::kSmallCnn);
  ASSERT_TRUE(cnn.ok) << cnn.diagnostics;
  std::string cnnMessages;
  mlir::ScopedDiagnosticHandler handler(cnn.context.get(),
                                        [&](mlir::Diagnostic &d) {
                                          cnnMessages += d.str() + "\n";
                                          return mlir::success();
                                        });
  EXPECT_TRUE(mlir::failed(setHidden(cnn.entry, 64)));
  EXPECT_FALSE(cnnMessages.empty());
}

} // namespace
} // namespace goodhart
