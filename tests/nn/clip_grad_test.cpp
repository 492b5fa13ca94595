// Lesson 04: clip_grad_norm against torch.nn.utils.clip_grad_norm_.
#include "nn/clip_grad.hpp"

#include <gtest/gtest.h>

#include "nn_test_util.hpp"

using namespace glimpse;

namespace {
// A leaf whose .grad is exactly `g` (d/dp Σ p·g = g).
Tensor with_grad(const Tensor& g) {
  Tensor p = test::leaf(zeros(g.shape()));
  (p * g).sum().backward();
  return p;
}
}  // namespace

TEST(ClipGradNorm, MatchesPyTorch) {
  const auto fx = test::load_fixture("clip_grad_norm");
  Tensor a = with_grad(fx.at("grad_a")), b = with_grad(fx.at("grad_b"));
  const float total = nn::clip_grad_norm({a, b}, fx.at("max_norm").item());
  EXPECT_NEAR(total, fx.at("total_norm").item(), 1e-5f * fx.at("total_norm").item());
  EXPECT_TRUE(test::all_close(a.grad(), fx.at("clipped_a")));
  EXPECT_TRUE(test::all_close(b.grad(), fx.at("clipped_b")));
}

TEST(ClipGradNorm, SmallGradientsAreLeftAloneAndMissingOnesIgnored) {
  Tensor a = with_grad(from_vector({0.3f, 0.4f}));
  Tensor no_grad = test::leaf(ones({3}));
  EXPECT_FLOAT_EQ(nn::clip_grad_norm({a, no_grad}, 1.0f), 0.5f);
  EXPECT_EQ(a.grad().to_vector(), (std::vector<float>{0.3f, 0.4f}));
  EXPECT_FALSE(no_grad.grad().defined());
}

TEST(ClipGradNorm, ClipsToMaxNorm) {
  Tensor a = with_grad(from_vector({3.0f, 4.0f}));
  EXPECT_FLOAT_EQ(nn::clip_grad_norm({a}, 1.0f), 5.0f);
  EXPECT_NEAR(a.grad().at({0}), 0.6f, 1e-6f);
  EXPECT_NEAR(a.grad().at({1}), 0.8f, 1e-6f);
  EXPECT_THROW(nn::clip_grad_norm({a}, 0.0f), Error);
}
