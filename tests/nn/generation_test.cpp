// Lesson 13: generating with the KV cache gives what generating without it gives.
#include "nn/generation.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "support/error_message.hpp"

using namespace glimpse;

namespace {

nn::GPTConfig small_config() {
  nn::GPTConfig c;
  c.vocab_size = 11;
  c.block_size = 6;
  c.n_layer = 2;
  c.n_head = 2;
  c.n_embd = 8;
  return c;
}

// A model with weights large enough that its predictions differ from token to token.
std::unique_ptr<nn::GPT> spread_model(uint64_t seed) {
  Generator gen(seed);
  auto model = std::make_unique<nn::GPT>(small_config(), gen);
  for (Tensor& p : model->parameters()) {
    if (p.dim() != 2) continue;
    const std::vector<float> r = randn(p.shape(), gen).to_vector();
    for (size_t i = 0; i < r.size(); ++i) p.data()[i] = 0.5f * r[i];
  }
  model->eval();
  return model;
}

void expect_cache_equals_no_cache(const nn::GPT& model, const std::vector<int64_t>& prompt,
                                  int64_t new_tokens, const nn::SamplingOptions& options) {
  Generator a(42), b(42);
  const nn::GenerateOutput cached = nn::generate(model, prompt, new_tokens, options, a, true);
  const nn::GenerateOutput uncached = nn::generate(model, prompt, new_tokens, options, b, false);
  EXPECT_EQ(cached.tokens, uncached.tokens);
  ASSERT_EQ(cached.logits.size(), static_cast<size_t>(new_tokens));
  ASSERT_EQ(uncached.logits.size(), static_cast<size_t>(new_tokens));
  // Bit for bit: each logit is computed by the same operations in the same order either way.
  for (int64_t s = 0; s < new_tokens; ++s)
    EXPECT_EQ(cached.logits[s].to_vector(), uncached.logits[s].to_vector()) << "step " << s;
}

}  // namespace

TEST(Generate, WithTheCacheEqualsWithoutItGreedy) {
  const auto model = spread_model(1);
  expect_cache_equals_no_cache(*model, {3, 1, 4}, 3, {.greedy = true});   // stays within block_size
  expect_cache_equals_no_cache(*model, {3, 1, 4}, 10, {.greedy = true});  // and slides past it
}

TEST(Generate, WithTheCacheEqualsWithoutItSampling) {
  const auto model = spread_model(2);
  expect_cache_equals_no_cache(*model, {7}, 12, {.temperature = 1.5f});
  expect_cache_equals_no_cache(*model, {2, 9}, 12, {.temperature = 0.8f, .top_k = 4});
  expect_cache_equals_no_cache(*model, {0, 1, 2, 3, 4, 5}, 4, {.temperature = 1.0f});  // a full prompt
}

TEST(Generate, TheSameSeedGivesTheSameTokensAndAnotherSeedOthers) {
  const auto model = spread_model(3);
  Generator a(7), b(7), c(8);
  const auto x = nn::generate(*model, {1}, 20, {.temperature = 2.0f}, a).tokens;
  EXPECT_EQ(x, nn::generate(*model, {1}, 20, {.temperature = 2.0f}, b).tokens);
  EXPECT_NE(x, nn::generate(*model, {1}, 20, {.temperature = 2.0f}, c).tokens);
}

TEST(Generate, GreedyFollowsTheArgmaxOfEachStep) {
  const auto model = spread_model(4);
  Generator gen(1);
  const auto out = nn::generate(*model, {5, 5}, 8, {.greedy = true}, gen);
  ASSERT_EQ(out.tokens.size(), 10u);
  for (size_t s = 0; s < out.logits.size(); ++s)
    EXPECT_EQ(out.tokens[2 + s], argmax(out.logits[s], 0).values[0]) << "step " << s;
  Generator other(1);
  EXPECT_EQ(nn::generate(*model, {5, 5}, 8, {.top_k = 1}, other).tokens, out.tokens);  // top-1 is greedy
}

TEST(Generate, ThePromptComesFirstAndZeroNewTokensIsThePrompt) {
  const auto model = spread_model(5);
  Generator gen(1);
  EXPECT_EQ(nn::generate(*model, {4, 2}, 0, {}, gen).tokens, (std::vector<int64_t>{4, 2}));
  const auto out = nn::generate(*model, {4, 2}, 3, {}, gen);
  EXPECT_EQ(std::vector<int64_t>(out.tokens.begin(), out.tokens.begin() + 2), (std::vector<int64_t>{4, 2}));
}

TEST(Generate, WithoutTheCacheALongPromptIsCroppedToBlockSize) {
  const auto model = spread_model(6);
  Generator a(1), b(1);
  const auto long_prompt = nn::generate(*model, {9, 9, 1, 2, 3, 4, 5, 6}, 1, {.greedy = true}, a, false);
  const auto cropped = nn::generate(*model, {1, 2, 3, 4, 5, 6}, 1, {.greedy = true}, b, false);
  EXPECT_EQ(long_prompt.logits[0].to_vector(), cropped.logits[0].to_vector());
}

TEST(Generate, BadArgumentsNameTheFunctionAndTheCallersLine) {
  const auto model = spread_model(7);
  Generator gen(1);
  const std::vector<int64_t> seven = {1, 2, 3, 4, 5, 6, 7};
  struct Case {
    std::function<void()> call;
    int line;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {[&] { nn::generate(*model, {1}, 3, {.temperature = 0.0f}, gen); }, __LINE__,
       "generate: temperature must be > 0 (or set greedy for the argmax), got 0"},
      {[&] { nn::generate(*model, {1}, 3, {.temperature = -1.0f}, gen); }, __LINE__,
       "generate: temperature must be > 0 (or set greedy for the argmax), got -1"},
      {[&] { nn::generate(*model, {1}, 3, {.top_k = -2}, gen); }, __LINE__,
       "generate: top_k must be >= 0 (0: every token), got -2"},
      {[&] { nn::generate(*model, {}, 3, {}, gen); }, __LINE__, "generate: the prompt is empty"},
      {[&] { nn::generate(*model, {1}, -1, {}, gen); }, __LINE__,
       "generate: max_new_tokens must be >= 0, got -1"},
      {[&] { nn::generate(*model, seven, 3, {}, gen); }, __LINE__,
       "generate: a prompt of 7 tokens is longer than block_size 6: with the KV cache it must fit"},
  };
  for (const Case& c : cases) {
    const std::string msg = test::error_message(c.call);
    EXPECT_EQ(msg.rfind(c.expected, 0), 0u) << msg;
    // The lambda's line is where the caller called generate.
    EXPECT_NE(msg.find(fmt::format("generation_test.cpp:{}", c.line)), std::string::npos) << msg;
    EXPECT_EQ(msg.find(GLIMPSE_SOURCE_DIR "/nn/"), std::string::npos) << msg;
  }
  EXPECT_NO_THROW(nn::generate(*model, seven, 3, {}, gen, /*use_cache=*/false));
}
