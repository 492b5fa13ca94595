// Lesson 13's live mode: switching attention heads off by zeroing their columns of the output
// projection.
#include "nn/heads_off.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "nn/causal_self_attention.hpp"
#include "nn/gpt.hpp"
#include "nn/multi_head_attention.hpp"
#include "support/error_message.hpp"

using namespace glimpse;

namespace {

std::vector<float> mha_output(const nn::MultiheadAttention& attn, const Tensor& x) {
  return attn(x, x, x).context.contiguous().to_vector();
}

// The output projection is linear, so out = W_0 c_0 + W_1 c_1 + b: with head 0 off it is
// W_1 c_1 + b, with head 1 off W_0 c_0 + b, with both off b. Those add up to the full output.
void expect_heads_add_up(const std::vector<float>& full, const std::vector<float>& without_0,
                         const std::vector<float>& without_1, const std::vector<float>& without_both) {
  ASSERT_EQ(full.size(), without_0.size());
  double largest_change = 0;
  for (size_t i = 0; i < full.size(); ++i) {
    EXPECT_NEAR(without_0[i] + without_1[i] - without_both[i], full[i], 1e-5) << "element " << i;
    largest_change = std::max(largest_change, static_cast<double>(std::abs(without_0[i] - full[i])));
  }
  EXPECT_GT(largest_change, 1e-3);  // switching a head off changes the output
}

}  // namespace

TEST(HeadsOff, MultiheadAttentionsOutputIsTheSumOfItsHeadsAndTheBias) {
  Generator gen(3);
  nn::MultiheadAttention attn(8, 2, 0.0f, gen);
  // A non-zero bias, so "both off" is not simply zero.
  Tensor bias = attn.out_proj().bias();
  for (int64_t i = 0; i < 8; ++i) bias.data()[i] = 0.1f * static_cast<float>(i + 1);
  const Tensor x = randn({2, 5, 8}, gen);
  const nn::AttentionHeads heads = nn::attention_heads(attn).at(0);
  const std::vector<float> weights_before = attn.out_proj().weight().to_vector();

  const std::vector<float> full = mha_output(attn, x);
  std::vector<float> without_0, without_1, without_both;
  {
    const nn::HeadsOff off(heads, {0});
    without_0 = mha_output(attn, x);
  }
  {
    const nn::HeadsOff off(heads, {1});
    without_1 = mha_output(attn, x);
  }
  {
    const nn::HeadsOff off(heads, {0, 1});
    without_both = mha_output(attn, x);
  }
  expect_heads_add_up(full, without_0, without_1, without_both);
  for (size_t i = 0; i < without_both.size(); ++i)
    EXPECT_EQ(without_both[i], 0.1f * static_cast<float>(i % 8 + 1));
  // Put back bit for bit: the same output as before.
  EXPECT_EQ(attn.out_proj().weight().to_vector(), weights_before);
  EXPECT_EQ(mha_output(attn, x), full);
}

TEST(HeadsOff, CausalSelfAttentionToo) {
  Generator gen(4);
  nn::CausalSelfAttention attn(8, 2, 0.0f, gen);
  attn.eval();
  const Tensor x = randn({1, 6, 8}, gen);
  const auto output = [&] { return attn(x).context.contiguous().to_vector(); };
  const nn::AttentionHeads heads = nn::attention_heads(attn).at(0);
  const std::vector<float> full = output();
  std::vector<float> without_0, without_1, without_both;
  {
    const nn::HeadsOff off(heads, {0});
    without_0 = output();
  }
  {
    const nn::HeadsOff off(heads, {1});
    without_1 = output();
  }
  {
    const nn::HeadsOff off(heads, {1, 0});
    without_both = output();
  }
  expect_heads_add_up(full, without_0, without_1, without_both);
  EXPECT_EQ(output(), full);
}

TEST(HeadsOff, AGPTListsEveryBlocksAttentionByItsPath) {
  Generator gen(5);
  nn::GPT gpt({.vocab_size = 7, .block_size = 8, .n_layer = 2, .n_head = 4, .n_embd = 8}, gen);
  const std::vector<nn::AttentionHeads> heads = nn::attention_heads(gpt);
  ASSERT_EQ(heads.size(), 2u);
  EXPECT_EQ(heads[0].path, "h.0.attn");
  EXPECT_EQ(heads[1].path, "h.1.attn");
  EXPECT_EQ(heads[1].num_heads, 4);
  EXPECT_EQ(heads[1].module, &gpt.block(1).attn());
}

TEST(HeadsOff, AHeadOutOfRangeOrAModuleThatIsNotAttentionIsRefusedByName) {
  Generator gen(6);
  nn::GPT gpt({.vocab_size = 7, .block_size = 8, .n_layer = 1, .n_head = 2, .n_embd = 8}, gen);
  const nn::AttentionHeads attn = nn::attention_heads(gpt).at(0);
  int line = __LINE__ + 1;
  std::string msg = test::error_message([&] { nn::HeadsOff off(attn, {2}); });
  EXPECT_NE(msg.find("HeadsOff: h.0.attn has heads 0 … 1, not 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("heads_off_test.cpp:{}", line)), std::string::npos) << msg;
  line = __LINE__ + 1;
  msg = test::error_message([&] { nn::HeadsOff off({"ln_f", &gpt.ln_f(), 1}, {0}); });
  EXPECT_NE(msg.find("ln_f is a LayerNorm, not an attention module"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("heads_off_test.cpp:{}", line)), std::string::npos) << msg;
}
