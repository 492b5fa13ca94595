// Lesson 13: causal self-attention, with and without its key/value cache.
#include "nn/causal_self_attention.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/error_message.hpp"
#include "support/gradcheck.hpp"

using namespace glimpse;

TEST(CausalSelfAttention, EachCachedStepIsOneQueryRowAndEqualsTheUncachedRow) {
  Generator gen(1);
  nn::CausalSelfAttention attn(8, 2, 0.0f, gen);
  const Tensor x = randn({2, 5, 8}, gen);
  const nn::AttentionOutput full = attn(x);  // [2, 5, 8], weights [2, 2, 5, 5]
  EXPECT_EQ(full.weights.shape(), (Shape{2, 2, 5, 5}));

  nn::KVCache cache;
  const nn::AttentionOutput prefix = attn(x.narrow(1, 0, 3), &cache);  // the first three positions at once
  EXPECT_EQ(cache.length(), 3);
  EXPECT_EQ(cache.keys.shape(), (Shape{2, 2, 3, 4}));
  std::vector<Tensor> rows = {prefix.context};
  for (int64_t t = 3; t < 5; ++t) {
    const nn::AttentionOutput step = attn(x.narrow(1, t, 1), &cache);  // one new position
    EXPECT_EQ(step.weights.shape(), (Shape{2, 2, 1, t + 1}));          // one query row, t + 1 keys
    EXPECT_EQ(cache.length(), t + 1);
    rows.push_back(step.context);
  }
  // The same bits as the uncached rows: the same operations in the same order, the masked keys
  // of the uncached rows adding exact zeros.
  EXPECT_EQ(cat(rows, 1).to_vector(), full.context.contiguous().to_vector());
}

TEST(CausalSelfAttention, GradcheckThroughTheCache) {
  // The gradient reaches the earlier positions through the cached keys and values.
  Generator gen(2);
  nn::CausalSelfAttention attn(4, 2, 0.0f, gen);
  EXPECT_TRUE(test::gradcheck(
      [&](const std::vector<Tensor>& in) {
        nn::KVCache cache;
        attn(in[0], &cache);
        return attn(in[1], &cache).context;
      },
      {test::leaf(randn({1, 2, 4}, gen)), test::leaf(randn({1, 1, 4}, gen))}));
}

TEST(CausalSelfAttention, ErrorsNameTheModuleAndTheCallersLine) {
  Generator gen(3);
  int line = __LINE__ + 1;
  std::string msg = test::error_message([&] { nn::CausalSelfAttention bad(6, 4, 0.0f, gen); });
  EXPECT_NE(
      msg.find("CausalSelfAttention: embed_dim must be a positive multiple of num_heads, got embed_dim 6 and "
               "num_heads 4"),
      std::string::npos)
      << msg;
  EXPECT_NE(msg.find(fmt::format("causal_self_attention_test.cpp:{}", line)), std::string::npos) << msg;
  nn::CausalSelfAttention attn(8, 2, 0.0f, gen);
  line = __LINE__ + 1;
  msg = test::error_message([&] { attn(ones({1, 3, 5})); });
  EXPECT_NE(msg.find("CausalSelfAttention: expected x [B, T, 8] (batch first), got [1, 3, 5]"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find(fmt::format("causal_self_attention_test.cpp:{}", line)), std::string::npos) << msg;
  nn::KVCache cache;
  attn(ones({2, 3, 8}), &cache);
  line = __LINE__ + 1;
  msg = test::error_message([&] { attn(ones({1, 1, 8}), &cache); });
  EXPECT_NE(msg.find("the cache holds a batch of 2, x a batch of 1"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("causal_self_attention_test.cpp:{}", line)), std::string::npos) << msg;
}
