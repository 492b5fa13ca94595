// Lesson 10: multi-head attention against torch.nn.MultiheadAttention (batch_first=True).
#include "nn/multi_head_attention.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "attention_fixture.hpp"
#include "nn/attention_mask.hpp"
#include "nn/state.hpp"

using namespace glimpse;

TEST(MultiheadAttention, ParameterNamesAndShapesMatchPyTorch) {
  Generator gen(1);
  nn::MultiheadAttention mha(6, 2, 0.0f, gen);
  std::vector<std::string> names;
  for (auto& [name, p] : mha.named_parameters()) names.push_back(name + to_string(p.shape()));
  EXPECT_EQ(names, (std::vector<std::string>{"in_proj_weight[18, 6]", "in_proj_bias[18]", "out_proj.weight[6, 6]",
                                             "out_proj.bias[6]"}));
  // PyTorch's initialisation: Xavier-uniform in_proj_weight, zero biases.
  const float bound = std::sqrt(6.0f / 24.0f);
  for (float w : mha.in_proj_weight().to_vector()) EXPECT_LE(std::fabs(w), bound);
  for (float b : mha.in_proj_bias().to_vector()) EXPECT_EQ(b, 0.0f);
  for (float b : mha.out_proj().bias().to_vector()) EXPECT_EQ(b, 0.0f);
}

namespace {

// Runs the fixture's masked cross-attention twice — average_attn_weights true (PyTorch's default)
// and false (per-head weights) — and checks outputs and every gradient against PyTorch.
void check_masked_fixture(const std::string& name) {
  SCOPED_TRACE(name);
  auto f = test::load_fixture(name);
  Generator gen(1);
  nn::MultiheadAttention mha(6, 2, 0.0f, gen);
  nn::load_state(mha, test::fixture_params(f));
  Tensor query = test::leaf(f.at("query")), key = test::leaf(f.at("key")), value = test::leaf(f.at("value"));
  const auto averaged = mha(query, key, value, f.at("key_padding_mask"), /*need_weights=*/true, f.at("attn_mask"));
  const auto per_head = mha(query, key, value, f.at("key_padding_mask"), /*need_weights=*/true, f.at("attn_mask"),
                            /*average_attn_weights=*/false);
  EXPECT_EQ(averaged.weights.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(per_head.weights.shape(), (Shape{2, 2, 3, 4}));
  EXPECT_TRUE(test::all_close(averaged.context, f.at("context")));
  EXPECT_TRUE(test::all_close(averaged.weights, f.at("weights")));
  EXPECT_TRUE(test::all_close(per_head.weights, f.at("head_weights")));
  test::fixture_loss(f, {{"context", averaged.context}, {"weights", averaged.weights},
                         {"head_weights", per_head.weights}})
      .backward();
  EXPECT_TRUE(test::all_close(query.grad(), f.at("grad.query")));
  EXPECT_TRUE(test::all_close(key.grad(), f.at("grad.key")));
  EXPECT_TRUE(test::all_close(value.grad(), f.at("grad.value")));
  for (auto& [param, p] : mha.named_parameters())
    EXPECT_TRUE(test::all_close(p.grad(), f.at("grad.param." + param))) << param;
}

}  // namespace

TEST(MultiheadAttention, MatchesPyTorchWithKeyPaddingAndAttnMasks) { check_masked_fixture("attention_mha"); }

// A float attn_mask (0, -0.5, -inf) is added to the scores beside a 0/1 key_padding_mask.
TEST(MultiheadAttention, AdditiveAttnMaskMatchesPyTorch) { check_masked_fixture("attention_mha_additive"); }

TEST(MultiheadAttention, NeedWeightsFalseReturnsNoWeights) {
  Generator gen(6);
  nn::MultiheadAttention mha(4, 2, 0.0f, gen);
  const Tensor x = randn({1, 3, 4}, gen);
  const auto with = mha(x, x, x), without = mha(x, x, x, Tensor(), /*need_weights=*/false);
  EXPECT_FALSE(without.weights.defined());
  EXPECT_EQ(with.context.to_vector(), without.context.to_vector());
}

TEST(MultiheadAttention, SelfAttentionMatchesPyTorch) {
  auto f = test::load_fixture("attention_mha_self");
  Generator gen(1);
  nn::MultiheadAttention mha(6, 3, 0.0f, gen);
  nn::load_state(mha, test::fixture_params(f));
  Tensor x = test::leaf(f.at("x"));
  const auto out = mha(x, x, x);
  EXPECT_TRUE(test::all_close(out.context, f.at("context")));
  EXPECT_TRUE(test::all_close(out.weights, f.at("weights")));
  test::fixture_loss(f, {{"context", out.context}, {"weights", out.weights}}).backward();
  EXPECT_TRUE(test::all_close(x.grad(), f.at("grad.x")));
  for (auto& [name, p] : mha.named_parameters())
    EXPECT_TRUE(test::all_close(p.grad(), f.at("grad.param." + name))) << name;
}

TEST(MultiheadAttention, HeadWeightsSumToOneAndSkipMaskedKeys) {
  Generator gen(2);
  nn::MultiheadAttention mha(8, 4, 0.0f, gen);
  const Tensor x = randn({2, 5, 8}, gen);
  const auto out = mha(x, x, x, nn::padding_mask({5, 3}, 5), true, nn::causal_mask(5), /*average_attn_weights=*/false);
  EXPECT_EQ(out.weights.shape(), Shape({2, 4, 5, 5}));
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t h = 0; h < 4; ++h)
      for (int64_t t = 0; t < 5; ++t) {
        float row = 0.0f;
        for (int64_t s = 0; s < 5; ++s) {
          const float w = out.weights.at({b, h, t, s});
          row += w;
          if (s > t || (b == 1 && s >= 3)) {
            EXPECT_EQ(w, 0.0f);
          }
        }
        EXPECT_NEAR(row, 1.0f, 1e-5f);
      }
}

TEST(MultiheadAttention, AcceptsPyTorchsThreeDimensionalAttnMask) {
  Generator gen(3);
  nn::MultiheadAttention mha(4, 2, 0.0f, gen);
  const Tensor x = randn({2, 3, 4}, gen);
  const Tensor causal = nn::causal_mask(3);
  const auto a = mha(x, x, x, Tensor(), true, causal);
  const auto b = mha(x, x, x, Tensor(), true, causal.unsqueeze(0).expand({4, 3, 3}));  // [B·H, T, S]
  EXPECT_EQ(a.context.to_vector(), b.context.to_vector());
}

TEST(MultiheadAttention, Gradcheck) {
  Generator gen(4);
  nn::MultiheadAttention mha(4, 2, 0.0f, gen);
  const Tensor kpm = nn::padding_mask({3, 2}, 3);
  auto f = [&](const std::vector<Tensor>& in) {
    const auto out = mha(in[0], in[1], in[1], kpm, true, Tensor(), /*average_attn_weights=*/false);
    return cat({out.context.flatten(), out.weights.flatten()}, 0);
  };
  EXPECT_TRUE(test::gradcheck(f, {test::leaf(randn({2, 2, 4}, gen)), test::leaf(randn({2, 3, 4}, gen))}));
  const Tensor q = randn({2, 2, 4}, gen), kv = randn({2, 3, 4}, gen);
  EXPECT_TRUE(test::gradcheck([&](const std::vector<Tensor>&) { return mha(q, kv, kv, kpm).context; },
                              mha.parameters()));
}

TEST(MultiheadAttention, DropoutOnlyInTraining) {
  Generator gen(5);
  nn::MultiheadAttention mha(4, 2, 0.5f, gen);
  const Tensor x = randn({1, 6, 4}, gen);
  const auto train = mha(x, x, x);
  mha.eval();
  const auto eval1 = mha(x, x, x), eval2 = mha(x, x, x);
  EXPECT_EQ(eval1.context.to_vector(), eval2.context.to_vector());
  EXPECT_NE(train.context.to_vector(), eval1.context.to_vector());
  EXPECT_EQ(train.weights.to_vector(), eval1.weights.to_vector());  // weights are before dropout
}

TEST(MultiheadAttention, ErrorsNameTheModuleAndShapes) {
  EXPECT_THROW(nn::MultiheadAttention(6, 4), Error);
  nn::MultiheadAttention mha(4, 2);
  try {
    mha(zeros({2, 3, 4}), zeros({2, 5, 3}), zeros({2, 5, 3}));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "MultiheadAttention");
    EXPECT_NE(std::string(e.what()).find("[2, 5, 3]"), std::string::npos) << e.what();
  }
  const Tensor x = zeros({2, 3, 4});
  EXPECT_THROW(mha(x, x, x, zeros({2, 4})), Error);
  EXPECT_THROW(mha(x, x, x, Tensor(), true, zeros({3, 4})), Error);
}
