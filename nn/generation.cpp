// Lesson 13: the generation loop, with and without the key/value cache.
#include "nn/generation.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "autograd/tape.hpp"

namespace glimpse::nn {

namespace {

// The logits [V] of the last position of a [1, T, V] output.
Tensor last_position(const Tensor& logits) { return logits.select(0, 0).select(0, logits.size(1) - 1); }

// The tokens from `begin` on, as a [1, T] batch of one.
IndexTensor batch_of_one(const std::vector<int64_t>& tokens, size_t begin) {
  std::vector<int64_t> window(tokens.begin() + static_cast<std::ptrdiff_t>(begin), tokens.end());
  const int64_t T = static_cast<int64_t>(window.size());
  return IndexTensor(std::move(window), Shape{1, T});
}

}  // namespace

GenerateOutput generate(const GPT& model, const std::vector<int64_t>& prompt, int64_t max_new_tokens,
                        const SamplingOptions& options, Generator& gen, bool use_cache, Loc caller) {
  const CallerScope scope(caller);
  check_sampling_options(options, "generate", caller);
  const auto block_size = static_cast<size_t>(model.config().block_size);
  glimpse::detail::check(!prompt.empty(), "generate", caller,
                         [&] { return std::string("the prompt is empty: give at least one token"); });
  glimpse::detail::check(max_new_tokens >= 0, "generate", caller,
                         [&] { return fmt::format("max_new_tokens must be >= 0, got {}", max_new_tokens); });
  glimpse::detail::check(!use_cache || prompt.size() <= block_size, "generate", caller, [&] {
    return fmt::format(
        "a prompt of {} tokens is longer than block_size {}: with the KV cache it must fit "
        "(without, it is cropped to its last {} tokens)",
        prompt.size(), block_size, block_size);
  });

  NoGradGuard no_grad;
  GenerateOutput out{prompt, {}};
  std::vector<int64_t>& tokens = out.tokens;
  GPTCache cache;
  for (int64_t step = 0; step < max_new_tokens; ++step) {
    // The context the model reads: at most the last block_size tokens.
    const size_t context_begin = tokens.size() > block_size ? tokens.size() - block_size : 0;
    Tensor logits;
    if (!use_cache) {
      logits = model.forward(batch_of_one(tokens, context_begin));
    } else {
      if (tokens.size() > block_size) cache.clear();  // the window slid: every position moved
      const auto cached = static_cast<size_t>(cache.length());
      logits = model.forward(batch_of_one(tokens, context_begin + cached), &cache);  // the new tokens only
    }
    out.logits.push_back(last_position(logits));
    tokens.push_back(sample_token(out.logits.back(), options, gen));
  }
  return out;
}

}  // namespace glimpse::nn
