// Generating text with a GPT: predict the next token, draw it (nn/sampling.hpp), append it, and
// go on. Introduced in lesson 13 (a GPT in a minute); nanoGPT's GPT.generate, plus a KV cache.
//
// Without the cache every step runs the model over the whole context (its last block_size
// tokens, cropped as nanoGPT crops). With the cache (GPTCache) the prompt runs once, and each
// further step feeds only the newest token: one query row per block, its scores against the
// cached keys. The learned positions (wpe) tie a key to its position, so a full cache cannot slide
// by one: once the context outgrows block_size, each step drops the cache and re-reads the
// cropped window (the last block_size tokens) — the same tokens and positions the uncached
// model sees, at the uncached cost.
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/random.hpp"
#include "nn/gpt.hpp"
#include "nn/sampling.hpp"

namespace glimpse::nn {

struct GenerateOutput {
  std::vector<int64_t> tokens;  // the prompt, then the max_new_tokens new ones
  std::vector<Tensor> logits;   // for each new token, the logits [vocab_size] it was drawn from
};

// Runs under NoGradGuard; call model.eval() first (dropout would otherwise draw from its own
// generator). prompt: one sequence of token ids, not empty; with use_cache at most block_size
// long (without it, cropped to its last block_size tokens). The same seed in `gen` gives the same
// tokens, with or without the cache.
GenerateOutput generate(const GPT& model, const std::vector<int64_t>& prompt, int64_t max_new_tokens,
                        const SamplingOptions& options, Generator& gen, bool use_cache = true,
                        Loc caller = Loc::current());

}  // namespace glimpse::nn
