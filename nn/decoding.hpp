// Decoding: turning a trained Seq2seq into output sequences — greedy, and beam search.
// Introduced in lesson 05 (greedy decoding: the model's own predictions as its next inputs) and
// lesson 06 (beam search keeps the k most probable partial outputs instead of one).
//
// Both run under NoGradGuard (no tape), but every decoder step still runs inside StepScope(t)
// and emits its step records, so a tracer can follow the decoding step by step.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/seq2seq.hpp"

namespace glimpse::nn {

struct GreedyOutput {
  IndexTensor tokens;  // [B, T]: the argmax at each step, <eos> included, <pad> after a row's <eos>
  Tensor attention;    // [B, T, S] (undefined for Decoder); rows after a row's <eos> are whatever
                       // the decoder computed while the rest of the batch finished: ignore them
  std::vector<std::vector<int64_t>> sequences;  // each row's tokens before its first <eos>
};

// Feeds each step's argmax to the next step, from <sos>, until every row has produced <eos> or
// after `max_length` steps (T <= max_length). source [B, S]; source_mask [B, S], 1 = real token.
GreedyOutput greedy_decode(const Seq2seq& model, const IndexTensor& source, const Tensor& source_mask,
                           int64_t max_length, Loc caller = Loc::current());
// The same with a maximum length per row (e.g. twice each source's length): row b stops after
// max_lengths[b] steps; T is at most the largest.
GreedyOutput greedy_decode(const Seq2seq& model, const IndexTensor& source, const Tensor& source_mask,
                           const std::vector<int64_t>& max_lengths, Loc caller = Loc::current());

struct BeamOptions {
  int64_t width = 4;        // k: hypotheses kept alive at each step
  int64_t max_length = 50;  // steps at most (a hypothesis cut here is returned unfinished)
  // How finished hypotheses are ranked:
  //   false: by log p(y) = Σ_t log p(y_t | y_<t, x) — favours short outputs, since every token
  //          adds a negative term;
  //   true:  by log p(y) / |y|, |y| counting <eos> (the mean per-token log-probability; GNMT's
  //          length penalty with α = 1 and no constant).
  // Either way the search keeps, at each step, the k alive hypotheses with the highest raw
  // log p, and stops once k hypotheses have ended in <eos>.
  bool length_normalize = true;
};

struct Hypothesis {
  std::vector<int64_t> tokens;  // without <sos> and <eos>
  float log_prob = 0.0f;        // Σ log p over tokens (and <eos> when finished)
  float score = 0.0f;           // what the ranking uses (see BeamOptions::length_normalize)
  bool finished = false;        // ended with <eos>; false when cut at max_length
  // For each step (the <eos> step included), the attention weights over the source.
  // Empty for Decoder.
  std::vector<std::vector<float>> attention;
};

// Beam search for a batch: source [B, S], source_mask [B, S] with 1 = real token (optional: no
// padding). Each sentence keeps its own k hypotheses, and all alive hypotheses of all sentences
// run through the decoder together, one row each, so a batch costs one decoder step per output
// token. For each sentence up to `width` hypotheses, best first, the same bits as searching it
// alone; a hypothesis's attention covers its own sentence's real tokens. Ties are broken by beam
// order, then by lower token id, so with width 1 the result is exactly greedy decoding's.
std::vector<std::vector<Hypothesis>> beam_search(const Seq2seq& model, const IndexTensor& source,
                                                 const Tensor& source_mask, BeamOptions options = {},
                                                 Loc caller = Loc::current());
// The same for one source sentence (ids, no padding).
std::vector<Hypothesis> beam_search(const Seq2seq& model, const std::vector<int64_t>& source,
                                    BeamOptions options = {}, Loc caller = Loc::current());

}  // namespace glimpse::nn
