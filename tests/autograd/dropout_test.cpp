// Tests for autograd/dropout.cpp: seeded masks, the 1/(1-p) scale, evaluation mode, gradients.
#include <gtest/gtest.h>

#include "autograd_test_util.hpp"

using namespace glimpse;
using glimpse::test::gradcheck;
using glimpse::test::values_near;
using Inputs = std::vector<Tensor>;

TEST(Dropout, SameSeedSameMask) {
  const Tensor a = ones({100});
  Generator g1(7), g2(7), g3(8);
  const std::vector<float> x = dropout(a, 0.5f, true, g1).to_vector();
  const std::vector<float> y = dropout(a, 0.5f, true, g2).to_vector();
  const std::vector<float> z = dropout(a, 0.5f, true, g3).to_vector();
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
  // The default generator is reproducible through manual_seed.
  manual_seed(3);
  const std::vector<float> d1 = dropout(a, 0.3f).to_vector();
  manual_seed(3);
  const std::vector<float> d2 = dropout(a, 0.3f).to_vector();
  EXPECT_EQ(d1, d2);
}

TEST(Dropout, ZeroesAboutPAndScalesTheRest) {
  const Tensor a = full({10000}, 2.0f);
  Generator gen(9);
  const std::vector<float> v = dropout(a, 0.25f, true, gen).to_vector();
  int64_t zeros_seen = 0;
  for (float x : v) {
    if (x == 0.0f)
      ++zeros_seen;
    else
      EXPECT_FLOAT_EQ(x, 2.0f / 0.75f);
  }
  EXPECT_NEAR(static_cast<double>(zeros_seen) / 10000.0, 0.25, 0.02);
}

TEST(Dropout, IdentityInEvaluationAndForPZero) {
  const Tensor a = from_vector({1, 2, 3});
  Generator gen(1);
  EXPECT_EQ(dropout(a, 0.5f, false, gen).node(), a.node());
  EXPECT_EQ(dropout(a, 0.0f, true, gen).node(), a.node());
  EXPECT_EQ(dropout(a, 0.5f, false).node(), a.node());
}

TEST(Dropout, PEqualOneZeroesEverything) {
  Generator gen(2);
  EXPECT_TRUE(values_near(dropout(from_vector({1, 2, 3}), 1.0f, true, gen), {3}, {0, 0, 0}));
}

TEST(Dropout, GradientIsTheMask) {
  Tensor a = full({50}, 3.0f);
  a.requires_grad_();
  Generator gen(5);
  const Tensor y = dropout(a, 0.4f, true, gen);
  y.sum().backward();
  const std::vector<float> out = y.to_vector(), g = a.grad().to_vector();
  for (size_t i = 0; i < out.size(); ++i) EXPECT_FLOAT_EQ(g[i], out[i] / 3.0f) << i;
}

TEST(Dropout, Gradcheck) {
  // A fresh generator with the same seed on every call keeps the mask fixed across the
  // finite-difference evaluations.
  Generator gen(6);
  const Tensor a = test::randn_leaf({4, 5}, gen);
  EXPECT_TRUE(gradcheck(
      [](const Inputs& x) {
        Generator g(42);
        return dropout(x[0], 0.3f, true, g);
      },
      {a}));
  const Tensor s = test::strided_randn_leaf({4, 5}, gen);
  EXPECT_TRUE(gradcheck(
      [](const Inputs& x) {
        Generator g(43);
        return dropout(x[0], 0.5f, true, g);
      },
      {s}));
}
