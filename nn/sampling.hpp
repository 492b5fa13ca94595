// Sampling the next token from a language model's logits: temperature, top-k, and a draw from
// the softmax with a seeded Generator (same seed, same tokens). Introduced in lesson 13 (a GPT in
// a minute); nanoGPT's generate() does the same three steps.
//
//   logits / temperature          temperature < 1 sharpens the distribution, > 1 flattens it
//   keep the k largest logits     the others become −inf (a logit tied with the k-th is kept)
//   p = softmax(logits)           then token i with probability p_i
// greedy takes the argmax (the lowest id among ties) and draws nothing from the generator.
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/random.hpp"
#include "autograd/tensor.hpp"

namespace glimpse::nn {

struct SamplingOptions {
  float temperature = 1.0f;  // > 0, unless greedy
  int64_t top_k = 0;         // 0: every token; k >= 1: the k most likely only (k > vocab: every token)
  bool greedy = false;       // argmax; temperature and top_k are then not used
};

// The options are valid (temperature > 0 unless greedy, top_k >= 0), or a glimpse::Error
// naming `op` and the caller's line.
void check_sampling_options(const SamplingOptions& options, const char* op, Loc caller = Loc::current());

// The distribution a token is drawn from: logits [V] → probabilities [V], after temperature and
// top-k (0 outside the k best). For greedy, 1 on the argmax.
std::vector<float> sampling_distribution(const Tensor& logits, const SamplingOptions& options,
                                         Loc caller = Loc::current());

// One token id drawn from sampling_distribution(logits, options): one gen.uniform() per call
// (none for greedy).
int64_t sample_token(const Tensor& logits, const SamplingOptions& options, Generator& gen,
                     Loc caller = Loc::current());

}  // namespace glimpse::nn
