// Lesson 13: temperature, top-k and seeded draws from the softmax.
#include "nn/sampling.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/ops.hpp"
#include "support/error_message.hpp"

using namespace glimpse;

namespace {

const Tensor kLogits = from_vector({0.5f, 2.0f, -1.0f, 1.5f, 0.0f, 1.0f});  // best: 1, 3, 5, 0, 4, 2

}  // namespace

TEST(Sampling, GreedyIsTheArgmaxAndDrawsNothing) {
  Generator gen(1), untouched(1);
  EXPECT_EQ(nn::sample_token(kLogits, {.greedy = true}, gen), 1);
  EXPECT_EQ(gen.uniform(), untouched.uniform());
}

TEST(Sampling, ATemperatureNearZeroIsGreedy) {
  Generator gen(2);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(nn::sample_token(kLogits, {.temperature = 1e-4f}, gen), 1);
  const std::vector<float> p = nn::sampling_distribution(kLogits, {.temperature = 1e-4f});
  EXPECT_EQ(p, (std::vector<float>{0, 1, 0, 0, 0, 0}));
}

TEST(Sampling, TopOneIsGreedy) {
  Generator gen(3);
  for (float temperature : {0.5f, 1.0f, 5.0f})
    for (int i = 0; i < 100; ++i)
      EXPECT_EQ(nn::sample_token(kLogits, {.temperature = temperature, .top_k = 1}, gen), 1);
}

TEST(Sampling, TopKNeverDrawsOutsideTheKBest) {
  Generator gen(4);
  std::vector<int> counts(6, 0);
  for (int i = 0; i < 5000; ++i) ++counts[nn::sample_token(kLogits, {.temperature = 3.0f, .top_k = 3}, gen)];
  EXPECT_EQ(counts[0] + counts[2] + counts[4], 0);
  EXPECT_GT(counts[1], 0);
  EXPECT_GT(counts[3], 0);
  EXPECT_GT(counts[5], 0);
  // The kept three renormalised: softmax([2, 1.5, 1] / 3).
  const std::vector<float> p = nn::sampling_distribution(kLogits, {.temperature = 3.0f, .top_k = 3});
  const float z = std::exp(2.0f / 3) + std::exp(1.5f / 3) + std::exp(1.0f / 3);
  EXPECT_NEAR(p[1], std::exp(2.0f / 3) / z, 1e-6f);
  EXPECT_NEAR(p[5], std::exp(1.0f / 3) / z, 1e-6f);
  EXPECT_EQ(p[0], 0.0f);
  // k larger than the vocabulary keeps every token.
  EXPECT_EQ(nn::sampling_distribution(kLogits, {.top_k = 100}), nn::sampling_distribution(kLogits, {}));
}

TEST(Sampling, TheHistogramOfSeededDrawsFollowsTheDistribution) {
  // log p as logits: the draws must follow p = [0.1, 0.2, 0.3, 0.4]. The generator is seeded, so
  // the counts are the same on every run: the bound below (4 standard deviations of a binomial)
  // is checked once, not a chance of failure.
  const Tensor logits = from_vector({std::log(0.1f), std::log(0.2f), std::log(0.3f), std::log(0.4f)});
  Generator gen(5);
  const int n = 20000;
  std::vector<int> counts(4, 0);
  for (int i = 0; i < n; ++i) ++counts[nn::sample_token(logits, {}, gen)];
  const std::vector<double> p = {0.1, 0.2, 0.3, 0.4};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(counts[i], n * p[i], 4.0 * std::sqrt(n * p[i] * (1 - p[i]))) << i;
  // The same seed, the same draws.
  Generator again(5);
  std::vector<int> counts_again(4, 0);
  for (int i = 0; i < n; ++i) ++counts_again[nn::sample_token(logits, {}, again)];
  EXPECT_EQ(counts, counts_again);
}

TEST(Sampling, BadOptionsNameTheFunctionAndTheCallersLine) {
  Generator gen(6);
  int line = __LINE__ + 1;
  std::string msg = test::error_message([&] { nn::sample_token(kLogits, {.temperature = 0.0f}, gen); });
  EXPECT_NE(msg.find("sampling_distribution: temperature must be > 0 (or set greedy for the argmax), got 0"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find(fmt::format("sampling_test.cpp:{}", line)), std::string::npos) << msg;
  line = __LINE__ + 1;
  msg = test::error_message([&] { nn::sample_token(kLogits, {.top_k = -1}, gen); });
  EXPECT_NE(msg.find("top_k must be >= 0 (0: every token), got -1"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("sampling_test.cpp:{}", line)), std::string::npos) << msg;
  EXPECT_EQ(nn::sample_token(kLogits, {.temperature = 0.0f, .greedy = true}, gen), 1);  // greedy needs none
  line = __LINE__ + 1;
  msg = test::error_message([&] { nn::sample_token(ones({2, 3}), {}, gen); });
  EXPECT_NE(msg.find("expected logits [V] with V >= 1, got [2, 3]"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("sampling_test.cpp:{}", line)), std::string::npos) << msg;
}
