//===- ModelLoaderTest.cpp - Bad input gets a clear error -----------------===//

#include "MlirTestSupport.h"

namespace goodhart {
namespace {

using testing::load;
using testing::writeTemp;

const char *kConvHeader = R"mlir(
func.func @m(%x: tensor<1x8x8x4xf32>, %w: tensor<4x1x1x4xf32> {goodhart.weight},
             %b: tensor<4xf32> {goodhart.weight}) -> tensor<1x8x8x4xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
)mlir";

void expectMentions(const testing::Loaded &l,
                    std::initializer_list<const char *> needles) {
  EXPECT_FALSE(l.ok);
  for (const char *needle : needles)
    EXPECT_NE(l.diagnostics.find(needle), std::string::npos)
        << "missing '" << needle << "' in: " << l.diagnostics;
}

TEST(ModelLoaderTest, LoadsTheShippedModel) {
  testing::Loaded l = load(testing::kSmallCnn);
  ASSERT_TRUE(l.ok) << l.diagnostics;
  EXPECT_EQ(l.entry.getSymName(), "smallcnn");
  EXPECT_TRUE(l.diagnostics.empty());
}

TEST(ModelLoaderTest, NotMlir) {
  std::string path = writeTemp("not_mlir.mlir", "PK\x03\x04 this is a zip\n");
  expectMentions(load(path), {"not_mlir.mlir", "error"});
}

TEST(ModelLoaderTest, SilentParserFailureStillNamesTheFile) {
  // Found by tests/fuzz/ModelLoaderFuzzer: the MLIR parser fails on an
  // attribute name starting with a digit without any diagnostic, so goodhart
  // exited 1 without a word.
  std::string path = writeTemp("digit_attr.mlir", R"mlir(
func.func @m(%x: tensor<1x6x6x4xf32>) -> tensor<1x3x3x4xf32> {
  %p = tosa.max_pool2d %x {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>,9stride = array<i64: 2, 2>} : (tensor<1x6x6x4xf32>) -> tensor<1x3x3x4xf32>
  return %p : tensor<1x3x3x4xf32>
})mlir");
  expectMentions(load(path), {"digit_attr.mlir", "error"});
}

TEST(ModelLoaderTest, MissingFile) {
  expectMentions(load("/nonexistent/model.mlir"), {"/nonexistent/model.mlir"});
}

TEST(ModelLoaderTest, OpOutsideTosa) {
  std::string path = writeTemp("arith.mlir", R"mlir(
func.func @m(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = arith.addf %x, %x : tensor<4xf32>
  return %y : tensor<4xf32>
})mlir");
  expectMentions(load(path), {"arith.mlir:3", "arith"});
}

TEST(ModelLoaderTest, UnsupportedTosaOp) {
  std::string path = writeTemp("floor.mlir", R"mlir(
func.func @m(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = tosa.floor %x : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
})mlir");
  expectMentions(load(path), {"floor.mlir:3", "'tosa.floor' is not supported"});
}

TEST(ModelLoaderTest, DynamicShape) {
  std::string path = writeTemp("dynamic.mlir", R"mlir(
func.func @m(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = tosa.sigmoid %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
})mlir");
  expectMentions(load(path), {"dynamic.mlir", "dynamic dimension"});
}

TEST(ModelLoaderTest, TensorOverTheMemoryBound) {
  std::string path = writeTemp("big.mlir", std::string(kConvHeader) + R"mlir(
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x8x4xf32>, tensor<4x1x1x4xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x4xf32>
  return %y : tensor<1x8x8x4xf32>
})mlir");
  LoadOptions options;
  options.maxTensorBytes = 512; // the 1x8x8x4xf32 input is 1024 bytes
  expectMentions(load(path, options), {"big.mlir", "1024 bytes", "limit"});
  EXPECT_TRUE(load(path).ok);
}

TEST(ModelLoaderTest, TensorSizeOverflowingInt64) {
  // Found by tests/fuzz/ModelLoaderFuzzer: the size check multiplied the
  // element count by the element size in int64 and overflowed (undefined
  // behaviour), and getNumElements() itself wraps.
  for (const char *shape : {"2305843009213693952", "1x3037000500x3037000500"}) {
    std::string type = std::string("tensor<") + shape + "xf32>";
    std::string path =
        writeTemp("huge.mlir", "func.func @m(%x: " + type + ") -> " + type +
                                   " {\n" + "  return %x : " + type + "\n}\n");
    expectMentions(load(path), {"huge.mlir", "over the limit"});
  }
}

TEST(ModelLoaderTest, EntryChoice) {
  std::string twoFuncs = R"mlir(
func.func @a(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = tosa.sigmoid %x : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}
func.func @b(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = tosa.tanh %x : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
})mlir";
  std::string path = writeTemp("two.mlir", twoFuncs);
  expectMentions(load(path), {"2 public functions", "a, b", "--entry"});
  LoadOptions options;
  options.entry = "b";
  testing::Loaded b = load(path, options);
  ASSERT_TRUE(b.ok) << b.diagnostics;
  EXPECT_EQ(b.entry.getSymName(), "b");
  options.entry = "c";
  expectMentions(load(path, options), {"no function named 'c'"});
}

TEST(ModelLoaderTest, NameLocationsStillNameTheFile) {
  std::string path = writeTemp("named.mlir", R"mlir(
func.func @m(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = tosa.floor %x : (tensor<4xf32>) -> tensor<4xf32> loc("stem.floor")
  return %y : tensor<4xf32>
})mlir");
  expectMentions(load(path), {"named.mlir: stem.floor: error"});
}

} // namespace
} // namespace goodhart
