// Lesson 13: temperature, top-k and a seeded draw from the softmax, in plain loops over [V].
#include "nn/sampling.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "autograd/caller_scope.hpp"

namespace glimpse::nn {

void check_sampling_options(const SamplingOptions& options, const char* op, Loc caller) {
  glimpse::detail::check(options.greedy || options.temperature > 0.0f, op, caller, [&] {
    return fmt::format("temperature must be > 0 (or set greedy for the argmax), got {}", options.temperature);
  });
  glimpse::detail::check(options.top_k >= 0, op, caller, [&] {
    return fmt::format("top_k must be >= 0 (0: every token), got {}", options.top_k);
  });
}

std::vector<float> sampling_distribution(const Tensor& logits, const SamplingOptions& options, Loc caller) {
  const CallerScope scope(caller);
  check_sampling_options(options, "sampling_distribution", caller);
  glimpse::detail::check(
      logits.defined() && logits.dim() == 1 && logits.numel() > 0, "sampling_distribution", caller, [&] {
        return fmt::format("expected logits [V] with V >= 1, got {}",
                           logits.defined() ? to_string(logits.shape()) : "an undefined tensor");
      });
  const std::vector<float> z = logits.to_vector();
  const int64_t V = static_cast<int64_t>(z.size());
  std::vector<float> p(V, 0.0f);
  if (options.greedy) {
    p[std::max_element(z.begin(), z.end()) - z.begin()] = 1.0f;  // the first of the largest
    return p;
  }
  // Top-k: the k-th largest logit is the threshold; below it, probability 0.
  float threshold = -std::numeric_limits<float>::infinity();
  if (options.top_k > 0 && options.top_k < V) {
    std::vector<float> sorted = z;
    std::nth_element(sorted.begin(), sorted.begin() + (options.top_k - 1), sorted.end(),
                     std::greater<float>());
    threshold = sorted[options.top_k - 1];
  }
  // softmax(z / temperature) over the kept logits, shifted by the largest for stability.
  const float max_z = *std::max_element(z.begin(), z.end());
  float total = 0.0f;
  for (int64_t i = 0; i < V; ++i)
    if (z[i] >= threshold) total += p[i] = std::exp((z[i] - max_z) / options.temperature);
  for (float& pi : p) pi /= total;
  return p;
}

int64_t sample_token(const Tensor& logits, const SamplingOptions& options, Generator& gen, Loc caller) {
  const CallerScope scope(caller);
  const std::vector<float> p = sampling_distribution(logits, options, caller);
  if (options.greedy) return std::max_element(p.begin(), p.end()) - p.begin();
  // Inverse-CDF: the first token whose cumulative probability passes u ∈ [0, 1).
  const float u = gen.uniform();
  float cumulative = 0.0f;
  int64_t last_possible = 0;
  for (int64_t i = 0; i < static_cast<int64_t>(p.size()); ++i) {
    if (p[i] == 0.0f) continue;
    cumulative += p[i];
    last_possible = i;
    if (u < cumulative) return i;
  }
  return last_possible;  // rounding left the total just under u: the last token that may be drawn
}

}  // namespace glimpse::nn
