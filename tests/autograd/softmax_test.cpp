// Tests for autograd/softmax.cpp: values, stability and gradients along every dim.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd_test_util.hpp"

using namespace glimpse;
using glimpse::test::gradcheck;
using glimpse::test::randn_leaf;
using glimpse::test::strided_randn_leaf;
using glimpse::test::values_near;
using Inputs = std::vector<Tensor>;

TEST(SoftmaxForward, ByHand) {
  const Tensor a = from_vector({1, 2, 3});
  // e^0, e^1, e^2 over their sum (shifted by the max, which changes nothing)
  const float s = 1 + std::exp(1.0f) + std::exp(2.0f);
  EXPECT_TRUE(values_near(softmax(a, 0), {3}, {1 / s, std::exp(1.0f) / s, std::exp(2.0f) / s}));
  EXPECT_TRUE(values_near(a.softmax(-1), {3}, {0.09003057f, 0.24472847f, 0.66524096f}));
  EXPECT_TRUE(values_near(log_softmax(a, 0), {3}, {-2.40760596f, -1.40760596f, -0.40760596f}));
  EXPECT_TRUE(values_near(a.log_softmax(0), {3}, {-2.40760596f, -1.40760596f, -0.40760596f}));
  EXPECT_TRUE(values_near(softmax(zeros({4}), 0), {4}, {0.25f, 0.25f, 0.25f, 0.25f}));
}

TEST(SoftmaxForward, AlongEachDim) {
  const Tensor a = from_vector({0, 1, 0, 1, 0, 0}, {2, 3});
  const float e = std::exp(1.0f);
  // dim 0: columns [0,1], [1,0], [0,0]
  EXPECT_TRUE(values_near(softmax(a, 0), {2, 3}, {1 / (1 + e), e / (1 + e), 0.5f, e / (1 + e), 1 / (1 + e), 0.5f}));
  // dim 1: rows [0,1,0], [1,0,0]
  const float s = 2 + e;
  EXPECT_TRUE(values_near(softmax(a, 1), {2, 3}, {1 / s, e / s, 1 / s, e / s, 1 / s, 1 / s}));
}

TEST(SoftmaxForward, SumsToOneAndMatchesLogSoftmax) {
  Generator gen(71);
  const Tensor a = randn({3, 4, 5}, gen);
  for (int64_t d = 0; d < 3; ++d) {
    const Tensor s = softmax(a, d);
    EXPECT_TRUE(values_near(s.sum({d}), sum(a, {d}).shape(), std::vector<float>(static_cast<size_t>(s.numel() / a.shape()[d]), 1.0f), 1e-5f));
    EXPECT_TRUE(test::tensors_near(exp(log_softmax(a, d)), s, 1e-5f)) << "dim " << d;
  }
}

TEST(SoftmaxForward, StableForHugeInputs) {
  const Tensor a = from_vector({1000, 1001, 1002});
  EXPECT_TRUE(values_near(softmax(a, 0), {3}, {0.09003057f, 0.24472847f, 0.66524096f}));
  EXPECT_TRUE(values_near(log_softmax(a, 0), {3}, {-2.40760596f, -1.40760596f, -0.40760596f}));
  const Tensor b = from_vector({-1000, 0});
  EXPECT_TRUE(values_near(softmax(b, 0), {2}, {0, 1}));
  EXPECT_TRUE(values_near(log_softmax(b, 0), {2}, {-1000, 0}));
}

TEST(SoftmaxForward, StridedInput) {
  const Tensor a = from_vector({1, 0, 2, 0, 3, 0}, {3, 2}).t();  // [[1,2,3],[0,0,0]]
  ASSERT_FALSE(a.is_contiguous());
  EXPECT_TRUE(values_near(softmax(a, 1), {2, 3},
                          {0.09003057f, 0.24472847f, 0.66524096f, 1 / 3.0f, 1 / 3.0f, 1 / 3.0f}));
}

TEST(SoftmaxGrad, EveryDim) {
  Generator gen(72);
  const Tensor a = randn_leaf({2, 3, 4}, gen);
  for (int64_t d : {0, 1, 2, -1}) {
    EXPECT_TRUE(gradcheck([d](const Inputs& x) { return softmax(x[0], d); }, {a})) << "dim " << d;
    EXPECT_TRUE(gradcheck([d](const Inputs& x) { return log_softmax(x[0], d); }, {a})) << "dim " << d;
  }
}

TEST(SoftmaxGrad, StridedInputAndTransposeInside) {
  Generator gen(73);
  const Tensor a = strided_randn_leaf({3, 4}, gen);
  ASSERT_FALSE(a.is_contiguous());
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return softmax(x[0], 1); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return log_softmax(x[0], 0); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return softmax(x[0].t(), 1); }, {a}));
  // The gradient reaching softmax is itself non-contiguous.
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return softmax(x[0], 1).t(); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return log_softmax(x[0], 0).t(); }, {a}));
}

TEST(SoftmaxGrad, OneElementLane) {
  Generator gen(74);
  const Tensor a = randn_leaf({3, 1}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return mul(softmax(x[0], 1), x[0]); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return log_softmax(x[0], 1); }, {a}));
}

TEST(SoftmaxGrad, ByHand) {
  // d/dx Σ softmax(x) = 0: the outputs always sum to one.
  Tensor a = from_vector({0.5f, -1, 2});
  a.requires_grad_();
  softmax(a, 0).sum().backward();
  EXPECT_TRUE(values_near(a.grad(), {3}, {0, 0, 0}, 1e-6f));
  // d/dx_j log_softmax(x)_0 = δ_0j - softmax(x)_j
  a.zero_grad();
  log_softmax(a, 0).select(0, 0).backward();
  const std::vector<float> s = softmax(a.detach(), 0).to_vector();
  EXPECT_TRUE(values_near(a.grad(), {3}, {1 - s[0], -s[1], -s[2]}));
  EXPECT_EQ(softmax(a, 0).grad_fn_name(), "SoftmaxBackward");
  EXPECT_EQ(log_softmax(a, 0).grad_fn_name(), "LogSoftmaxBackward");
}
