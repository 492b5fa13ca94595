// Lesson 13: causal self-attention, with and without its key/value cache.
#include "nn/causal_self_attention.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

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

namespace {

// Every query sees the keys at or before its own position, and no later one: weights [B, H, T, P+T]
// of queries at positions P … P+T−1 are 0 exactly after the query's position and positive up to it.
::testing::AssertionResult sees_only_the_past(const Tensor& weights, int64_t P) {
  const int64_t B = weights.size(0), H = weights.size(1), T = weights.size(2), S = weights.size(3);
  if (S != P + T)
    return ::testing::AssertionFailure()
           << "weights " << to_string(weights.shape()) << ": " << T << " queries after " << P
           << " cached positions need " << P + T << " keys";
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < T; ++i)
        for (int64_t j = 0; j < S; ++j) {
          const float w = weights.at({b, h, i, j});
          if (j > P + i && w != 0.0f)
            return ::testing::AssertionFailure()
                   << "the query at position " << P + i << " gives weight " << w << " to the later position "
                   << j << " (batch " << b << ", head " << h << "): it must not see it";
          if (j <= P + i && !(w > 0.0f))
            return ::testing::AssertionFailure()
                   << "the query at position " << P + i << " gives weight " << w << " to position " << j
                   << " (batch " << b << ", head " << h << "), which it must see";
        }
  return ::testing::AssertionSuccess();
}

// Rows of the cached call (queries at positions P … P+T−1) against the same rows of the uncached one.
::testing::AssertionResult same_rows(const nn::AttentionOutput& cached, const nn::AttentionOutput& full,
                                     int64_t P) {
  const int64_t T = cached.context.size(1), S = cached.weights.size(3);
  for (int64_t b = 0; b < full.context.size(0); ++b)
    for (int64_t i = 0; i < T; ++i) {
      for (int64_t e = 0; e < full.context.size(2); ++e) {
        const float yours = cached.context.at({b, i, e}), uncached = full.context.at({b, P + i, e});
        if (!(std::fabs(yours - uncached) <= 1e-5f + 1e-5f * std::fabs(uncached)))
          return ::testing::AssertionFailure()
                 << "context of position " << P + i << " (batch " << b << ", element " << e << ") is "
                 << yours << " with the cache, " << uncached << " without it";
      }
      for (int64_t h = 0; h < full.weights.size(1); ++h)
        for (int64_t j = 0; j < S; ++j) {
          const float yours = cached.weights.at({b, h, i, j}), uncached = full.weights.at({b, h, P + i, j});
          if (!(std::fabs(yours - uncached) <= 1e-5f + 1e-5f * std::fabs(uncached)))
            return ::testing::AssertionFailure()
                   << "the weight of position " << P + i << " on key " << j << " (batch " << b << ", head "
                   << h << ") is " << yours << " with the cache, " << uncached
                   << " without it: the cached keys come first, in order, then the new ones";
        }
    }
  return ::testing::AssertionSuccess();
}

}  // namespace

TEST(CausalSelfAttention, EachQuerySeesItsOwnAndEarlierPositionsOnly) {
  Generator gen(4);
  nn::CausalSelfAttention attn(8, 2, 0.0f, gen);
  const Tensor x = randn({2, 6, 8}, gen);
  EXPECT_TRUE(sees_only_the_past(attn(x).weights, 0)) << "without a cache";
  nn::KVCache cache;
  attn(x.narrow(1, 0, 2), &cache);
  EXPECT_TRUE(sees_only_the_past(attn(x.narrow(1, 2, 3), &cache).weights, 2)) << "3 positions after 2 cached";
  EXPECT_TRUE(sees_only_the_past(attn(x.narrow(1, 5, 1), &cache).weights, 5)) << "1 position after 5 cached";
}

TEST(CausalSelfAttention, SeveralPositionsAfterACachedPrefixEqualTheUncachedRows) {
  // Two positions, then three at once, then one: the middle call has P = 2 and T = 3, where the
  // mask has rows P … P+T−1 of the causal mask and the cached keys must come first.
  Generator gen(5);
  nn::CausalSelfAttention attn(8, 2, 0.0f, gen);
  const Tensor x = randn({2, 6, 8}, gen);
  const nn::AttentionOutput full = attn(x);
  nn::KVCache cache;
  int64_t P = 0;
  for (int64_t T : {2, 3, 1}) {
    SCOPED_TRACE(fmt::format("{} new positions after {} cached", T, P));
    const nn::AttentionOutput step = attn(x.narrow(1, P, T), &cache);
    ASSERT_EQ(cache.length(), P + T) << "the cache keeps the keys and values of every position seen so far";
    ASSERT_EQ(to_string(cache.keys.shape()), fmt::format("[2, 2, {}, 4]", P + T));
    ASSERT_EQ(to_string(cache.values.shape()), fmt::format("[2, 2, {}, 4]", P + T));
    ASSERT_EQ(to_string(step.weights.shape()), fmt::format("[2, 2, {}, {}]", T, P + T));
    EXPECT_TRUE(same_rows(step, full, P));
    P += T;
  }
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
