//===- MutationSpecTest.cpp - Named mutation values -----------------------===//

#include "generator/MutationSpec.h"

#include <gtest/gtest.h>

namespace goodhart {
namespace {

TEST(MutationSpecTest, NamedValuesPrintTheirName) {
  std::optional<MutationSpec> spec =
      MutationSpec::named("set_activation", "block1.relu1", "silu");
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->value, 2);
  EXPECT_EQ(spec->describe(), "set_activation(block1.relu1, silu)");
  EXPECT_EQ(MutationSpec::parse(spec->describe()), spec);
  std::optional<MutationSpec> dtype =
      MutationSpec::named("set_dtype", "*", "bf16");
  ASSERT_TRUE(dtype);
  EXPECT_EQ(dtype->describe(), "set_dtype(*, bf16)");
  EXPECT_EQ(MutationSpec::parse("set_dtype(*, bf16)"), dtype);
}

TEST(MutationSpecTest, NamedValuesAcceptTheIndexToo) {
  std::optional<MutationSpec> spec = MutationSpec::parse("set_dtype(conv, 2)");
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->describe(), "set_dtype(conv, f16)");
}

TEST(MutationSpecTest, UnknownNamesAreRejected) {
  EXPECT_FALSE(MutationSpec::named("set_activation", "a", "swish"));
  EXPECT_FALSE(MutationSpec::parse("set_activation(a, swish)"));
  EXPECT_FALSE(MutationSpec::parse("set_dtype(*, f64)"));
  EXPECT_FALSE(MutationSpec::parse("set_channels(conv1, silu)"))
      << "numeric kinds take numbers only";
}

TEST(MutationSpecTest, NumericKindsAreUnchanged) {
  MutationSpec spec{"identity", "*", 7};
  EXPECT_EQ(spec.describe(), "identity(*, 7)");
  EXPECT_EQ(MutationSpec::parse("identity(*, 7)"), spec);
  EXPECT_EQ(MutationSpec::parse("set_channels(block1.conv1, 65)")->value, 65);
}

} // namespace
} // namespace goodhart
