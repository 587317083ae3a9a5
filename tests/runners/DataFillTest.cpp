//===- DataFillTest.cpp - Seeded inputs and weights -----------------------===//

#include "runners/common/DataFill.h"

#include "TestPlans.h"

#include <gtest/gtest.h>

#include <cmath>

namespace goodhart {
namespace {

TEST(DataFillTest, InputsAreTheSeededUniformValues) {
  Plan p = testing::smallPlan();
  std::vector<float> x = seededTensorData(p, 0, 7);
  ASSERT_EQ(x.size(), 8u * 8u * 8u);
  for (size_t i = 0; i < x.size(); ++i)
    ASSERT_EQ(x[i], static_cast<float>(seededUniform(7, 0, i))) << i;
  EXPECT_NE(seededTensorData(p, 0, 8), x);
}

TEST(DataFillTest, WeightsAreScaledByTheirFanIn) {
  Plan p = testing::smallPlan();
  EXPECT_EQ(weightFanIn(p, 1), 3 * 3 * 8);
  EXPECT_EQ(weightFanIn(p, 8), 256);
  std::vector<float> w = seededTensorData(p, 1, 7);
  const double scale = 1.0 / std::sqrt(72.0);
  for (size_t i = 0; i < w.size(); ++i)
    ASSERT_EQ(w[i], static_cast<float>(scale * seededUniform(7, 1, i)));
}

TEST(DataFillTest, LargeTensorsAreFilledInPiecesWithTheSameValues) {
  // 3 M elements: more than one thread's share when the host has several.
  Plan p = testing::smallPlan();
  p.tensors[0].shape = {3, 1000, 1000, 1};
  std::vector<float> x = seededTensorData(p, 0, 11);
  ASSERT_EQ(x.size(), 3000000u);
  for (size_t i : {size_t(0), size_t(1048575), size_t(1048576), size_t(1999999),
                   size_t(2999999)})
    EXPECT_EQ(x[i], static_cast<float>(seededUniform(11, 0, i))) << i;
  size_t differing = 0;
  for (size_t i = 0; i < x.size(); ++i)
    differing += x[i] != static_cast<float>(seededUniform(11, 0, i));
  EXPECT_EQ(differing, 0u);
}

TEST(DataFillTest, StatedConstantsKeepTheirValue) {
  Plan p = testing::smallPlan();
  p.tensors[2].value = 0.25;
  EXPECT_EQ(seededTensorData(p, 2, 7), std::vector<float>(16, 0.25f));
}

} // namespace
} // namespace goodhart
