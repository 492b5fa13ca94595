// Tests for autograd/loss.cpp: cross_entropy and nll_loss, with and without ignored targets.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd_test_util.hpp"

using namespace glimpse;
using glimpse::test::gradcheck;
using glimpse::test::randn_leaf;
using glimpse::test::strided_randn_leaf;
using glimpse::test::values_near;
using Inputs = std::vector<Tensor>;

TEST(CrossEntropyForward, ByHand) {
  // Uniform logits over C classes: the loss is log C whatever the target.
  EXPECT_NEAR(cross_entropy(zeros({2, 4}), {1, 3}).item(), std::log(4.0f), 1e-6f);
  // Row 0: logits [1, 2, 3], target 2 → -log softmax = 0.40760596
  // Row 1: logits [1, 0, 0], target 1 → log(e + 2) - 0 = 1.55144471
  const Tensor logits = from_vector({1, 2, 3, 1, 0, 0}, {2, 3});
  EXPECT_NEAR(cross_entropy(logits, {2, 1}).item(), (0.40760596f + 1.55144471f) / 2, 1e-5f);
  EXPECT_NEAR(cross_entropy(logits, {2, kIgnoreIndex}).item(), 0.40760596f, 1e-5f);
  EXPECT_NEAR(cross_entropy(logits, {0, 1}, /*ignore_index=*/0).item(), 1.55144471f, 1e-5f);
  EXPECT_TRUE((cross_entropy(logits, {2, 1}).shape() == Shape{}));
}

TEST(CrossEntropyForward, StableForHugeLogits) {
  const Tensor logits = from_vector({1000, 0, -1000, 0}, {2, 2});
  EXPECT_NEAR(cross_entropy(logits, {0, 0}).item(), (0.0f + 1000.0f) / 2, 1e-3f);
}

TEST(CrossEntropyForward, AllIgnoredIsNaN) {
  const float loss = cross_entropy(zeros({2, 3}), {kIgnoreIndex, kIgnoreIndex}).item();
  EXPECT_TRUE(std::isnan(loss));
}

TEST(NllLossForward, ByHand) {
  const Tensor lp = from_vector({-0.1f, -2.0f, -3.0f, -0.5f}, {2, 2});
  EXPECT_NEAR(nll_loss(lp, {0, 1}).item(), (0.1f + 0.5f) / 2, 1e-6f);
  EXPECT_NEAR(nll_loss(lp, {1, kIgnoreIndex}).item(), 2.0f, 1e-6f);
  EXPECT_NEAR(nll_loss(lp.t(), {1, 0}).item(), (3.0f + 2.0f) / 2, 1e-6f);  // strided input
}

TEST(CrossEntropyGrad, Gradcheck) {
  Generator gen(101);
  const Tensor logits = randn_leaf({4, 5}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return cross_entropy(x[0], {0, 4, 2, 2}); }, {logits}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return cross_entropy(x[0], {1, kIgnoreIndex, 3, kIgnoreIndex}); }, {logits}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return cross_entropy(x[0], {1, 2, 3, 3}, 2); }, {logits}));
  const Tensor s = strided_randn_leaf({3, 4}, gen);
  ASSERT_FALSE(s.is_contiguous());
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return cross_entropy(x[0], {3, 0, 1}); }, {s}));
  // Logits from a matmul, as in a classifier.
  const Tensor h = randn_leaf({3, 2}, gen);
  const Tensor w = randn_leaf({4, 2}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return cross_entropy(matmul(x[0], x[1].t()), {3, 0, 1}); }, {h, w}));
}

TEST(CrossEntropyGrad, ByHandIsSoftmaxMinusOneHotOverN) {
  Tensor logits = from_vector({1, 2, 3, 1, 0, 0}, {2, 3});
  logits.requires_grad_();
  cross_entropy(logits, {2, 1}).backward();
  std::vector<float> s = softmax(logits.detach(), 1).to_vector();
  s[2] -= 1;
  s[4] -= 1;
  for (float& v : s) v /= 2;
  EXPECT_TRUE(values_near(logits.grad(), {2, 3}, s, 1e-5f));
  // Ignored rows receive exactly zero.
  logits.zero_grad();
  cross_entropy(logits, {kIgnoreIndex, 1}).backward();
  const std::vector<float> g = logits.grad().to_vector();
  EXPECT_EQ(g[0], 0.0f);
  EXPECT_EQ(g[1], 0.0f);
  EXPECT_EQ(g[2], 0.0f);
}

TEST(CrossEntropyGrad, AllIgnoredGivesZeroGradient) {
  Tensor logits = ones({2, 3});
  logits.requires_grad_();
  cross_entropy(logits, {kIgnoreIndex, kIgnoreIndex}).backward();
  EXPECT_TRUE(values_near(logits.grad(), {2, 3}, {0, 0, 0, 0, 0, 0}));
}

TEST(NllLossGrad, Gradcheck) {
  Generator gen(102);
  const Tensor lp = randn_leaf({3, 4}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return nll_loss(x[0], {3, 3, 0}); }, {lp}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return nll_loss(log_softmax(x[0], 1), {1, kIgnoreIndex, 0}); }, {lp}));
  EXPECT_EQ(nll_loss(lp, {0, 1, 2}).grad_fn_name(), "NllLossBackward");
}
