// Lesson 03: PyTorch's default initialisations, drawn from a seeded generator.
#include "nn/init.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "glimpse.hpp"

using namespace glimpse;

TEST(Init, UniformStaysInRangeAndIsReproducible) {
  Generator a(3), b(3);
  Tensor x = zeros({50, 40}), y = zeros({50, 40});
  nn::init::uniform_(x, -0.25f, 0.5f, a);
  nn::init::uniform_(y, -0.25f, 0.5f, b);
  EXPECT_EQ(x.to_vector(), y.to_vector());
  for (float v : x.to_vector()) {
    EXPECT_GE(v, -0.25f);
    EXPECT_LT(v, 0.5f);
  }
  EXPECT_NEAR(x.mean().item(), 0.125f, 0.02f);
}

TEST(Init, NormalHasTheRequestedMeanAndStd) {
  Generator gen(4);
  Tensor x = zeros({200, 100});
  nn::init::normal_(x, 2.0f, 0.5f, gen);
  const float m = x.mean().item();
  const float var = ((x - m) * (x - m)).mean().item();
  EXPECT_NEAR(m, 2.0f, 0.02f);
  EXPECT_NEAR(std::sqrt(var), 0.5f, 0.02f);
}

TEST(Init, ConstantsZerosOnes) {
  Tensor x = zeros({2, 3});
  EXPECT_EQ(nn::init::ones_(x).to_vector(), std::vector<float>(6, 1.0f));
  EXPECT_EQ(nn::init::constant_(x, 7.0f).to_vector(), std::vector<float>(6, 7.0f));
  EXPECT_EQ(nn::init::zeros_(x).to_vector(), std::vector<float>(6, 0.0f));
}

TEST(Init, FanInCountsInputsTimesReceptiveField) {
  EXPECT_EQ(nn::init::fan_in(zeros({4, 3})), 3);
  EXPECT_EQ(nn::init::fan_in(zeros({4, 3, 2, 5})), 30);
  EXPECT_THROW(nn::init::fan_in(zeros({4})), Error);
}

TEST(Init, KaimingUniformWithSqrt5GivesLinearBound) {
  // gain = √(2 / (1 + 5)), bound = gain·√(3 / fan_in) = 1/√fan_in: PyTorch's nn.Linear weight.
  Generator gen(5);
  Tensor w = zeros({64, 16});
  nn::init::kaiming_uniform_(w, std::sqrt(5.0f), gen);
  const float bound = 1.0f / std::sqrt(16.0f);
  float largest = 0.0f;
  for (float v : w.to_vector()) largest = std::max(largest, std::fabs(v));
  EXPECT_LE(largest, bound);
  EXPECT_GT(largest, 0.9f * bound);  // 1024 draws come close to the edge
}

TEST(Init, RefusesNonContiguousTensors) {
  Tensor w = zeros({3, 4});
  Tensor view = w.t();
  EXPECT_THROW(nn::init::zeros_(view), Error);
}
