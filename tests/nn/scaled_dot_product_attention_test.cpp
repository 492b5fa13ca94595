// Lesson 09: scaled dot-product attention against PyTorch, plus its invariants.
#include "nn/scaled_dot_product_attention.hpp"

#include <gtest/gtest.h>

#include <string>

#include <cmath>

#include "nn/attention_mask.hpp"
#include "support/fixtures.hpp"
#include "support/gradcheck.hpp"

using namespace glimpse;

namespace {

// q, k, v and the mask from a PyTorch fixture: context, weights and every input's gradient match.
void check_against_fixture(const std::string& name) {
  SCOPED_TRACE(name);
  auto f = test::load_fixture(name);
  Tensor q = test::leaf(f.at("q")), k = test::leaf(f.at("k")), v = test::leaf(f.at("v"));
  const auto out = nn::scaled_dot_product_attention(q, k, v, f.at("mask"));
  EXPECT_TRUE(test::all_close(out.context, f.at("context")));
  EXPECT_TRUE(test::all_close(out.weights, f.at("weights")));
  ((out.context * f.at("R.context")).sum() + (out.weights * f.at("R.weights")).sum()).backward();
  EXPECT_TRUE(test::all_close(q.grad(), f.at("grad.q")));
  EXPECT_TRUE(test::all_close(k.grad(), f.at("grad.k")));
  EXPECT_TRUE(test::all_close(v.grad(), f.at("grad.v")));
}

}  // namespace

TEST(ScaledDotProductAttention, MatchesPyTorchWithAMask) { check_against_fixture("attention_sdpa"); }

TEST(ScaledDotProductAttention, AdditiveMaskMatchesPyTorch) {
  // PyTorch's float attn_mask (0, -0.5, -inf) is added to q·kᵀ/√d.
  check_against_fixture("attention_sdpa_additive");
}

TEST(ScaledDotProductAttention, ZeroOneMaskAndItsAdditiveFormAgree) {
  // masked_out = 1 is the opposite of torch's boolean attn_mask (True = may attend) and the
  // same as its additive form -inf.
  Generator gen(9);
  const Tensor q = randn({2, 3, 4}, gen), k = randn({2, 5, 4}, gen), v = randn({2, 5, 2}, gen);
  const Tensor masked_out = nn::padding_mask({5, 2}, 5).unsqueeze(1);
  const auto a = nn::scaled_dot_product_attention(q, k, v, masked_out);
  const auto b = nn::scaled_dot_product_attention(q, k, v, nn::additive_mask(masked_out, "test"));
  EXPECT_EQ(a.weights.to_vector(), b.weights.to_vector());
  EXPECT_EQ(a.weights.at({1, 0, 2}), 0.0f);
}

TEST(ScaledDotProductAttention, RowsSumToOneAndMaskedKeysGetZero) {
  Generator gen(1);
  const Tensor q = randn({2, 3, 4}, gen), k = randn({2, 5, 4}, gen), v = randn({2, 5, 2}, gen);
  const Tensor mask = nn::padding_mask({5, 3}, 5).unsqueeze(1);  // [B, 1, S]
  const auto out = nn::scaled_dot_product_attention(q, k, v, mask);
  EXPECT_EQ(out.weights.shape(), Shape({2, 3, 5}));
  EXPECT_EQ(out.context.shape(), Shape({2, 3, 2}));
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t t = 0; t < 3; ++t) {
      float row = 0.0f;
      for (int64_t s = 0; s < 5; ++s) row += out.weights.at({b, t, s});
      EXPECT_NEAR(row, 1.0f, 1e-6f);
    }
  for (int64_t t = 0; t < 3; ++t) {
    EXPECT_EQ(out.weights.at({1, t, 3}), 0.0f);
    EXPECT_EQ(out.weights.at({1, t, 4}), 0.0f);
  }
}

TEST(ScaledDotProductAttention, CausalMaskLetsTheFirstQuerySeeOnlyTheFirstKey) {
  Generator gen(2);
  const Tensor x = randn({4, 3}, gen);
  const auto out = nn::scaled_dot_product_attention(x, x, x, nn::causal_mask(4));
  EXPECT_EQ(out.weights.at({0, 0}), 1.0f);
  for (int64_t t = 0; t < 4; ++t)
    for (int64_t s = t + 1; s < 4; ++s) EXPECT_EQ(out.weights.at({t, s}), 0.0f);
  for (int64_t j = 0; j < 3; ++j) EXPECT_NEAR(out.context.at({0, j}), x.at({0, j}), 1e-6f);
}

TEST(ScaledDotProductAttention, FullyMaskedQueryGetsZeroContextNotNaN) {
  Generator gen(3);
  Tensor q = test::leaf(randn({2, 3}, gen)), k = test::leaf(randn({4, 3}, gen)), v = test::leaf(randn({4, 2}, gen));
  const Tensor mask = from_vector({0, 0, 1, 1, 1, 1, 1, 1}, {2, 4});
  const auto out = nn::scaled_dot_product_attention(q, k, v, mask);
  EXPECT_EQ(out.context.at({1, 0}), 0.0f);
  EXPECT_EQ(out.context.at({1, 1}), 0.0f);
  out.context.sum().backward();
  for (const Tensor& t : {q, k, v})
    for (float g : t.grad().to_vector()) EXPECT_TRUE(std::isfinite(g));
  EXPECT_EQ(q.grad().at({1, 0}), 0.0f);
}

TEST(ScaledDotProductAttention, Gradcheck) {
  Generator gen(4);
  const Tensor mask = from_vector({0, 0, 1, 0, 1, 0, 0, 0, 0}, {3, 3});
  auto f = [&](const std::vector<Tensor>& in) {
    const auto out = nn::scaled_dot_product_attention(in[0], in[1], in[2], mask);
    return cat({out.context.flatten(), out.weights.flatten()}, 0);
  };
  EXPECT_TRUE(test::gradcheck(
      f, {test::leaf(randn({2, 3, 2}, gen)), test::leaf(randn({2, 3, 2}, gen)), test::leaf(randn({2, 3, 4}, gen))}));
}

TEST(ScaledDotProductAttention, DropoutKeepsTheReturnedWeightsNormalised) {
  Generator gen(5), drop(6);
  const Tensor q = randn({3, 4}, gen), k = randn({5, 4}, gen), v = randn({5, 2}, gen);
  const auto out = nn::scaled_dot_product_attention(q, k, v, Tensor(), 0.5f, drop);
  for (int64_t t = 0; t < 3; ++t) {
    float row = 0.0f;
    for (int64_t s = 0; s < 5; ++s) row += out.weights.at({t, s});
    EXPECT_NEAR(row, 1.0f, 1e-6f);
  }
}

TEST(ScaledDotProductAttention, ErrorsNameTheShapes) {
  try {
    nn::scaled_dot_product_attention(zeros({2, 3}), zeros({4, 5}), zeros({4, 5}));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "scaled_dot_product_attention");
    EXPECT_NE(std::string(e.what()).find("[2, 3]"), std::string::npos) << e.what();
  }
}
