// Learned positions: one trained vector per position, added to the token embeddings (GPT's wpe,
// BERT's position embeddings), the alternative to the fixed sinusoids of nn/positional_encoding.
// Introduced with issue 11 (the Transformer translates), beside them.
//
//   forward(x) = x + P[0:T]        x [..., T, d], P [max_len, d] ~ N(0, 1) as nn.Embedding's
//
// Where the sinusoids give every position a pattern, however far, a learned table knows only the
// positions it was trained on: a row never reached in training stays at its random start, and
// past max_len there is no row at all (an error, not a silent wrap).
#pragma once

#include <cstdint>
#include <string>

#include "autograd/random.hpp"
#include "nn/module.hpp"

namespace glimpse::nn {

class LearnedPositionalEmbedding : public Module {
 public:
  // Parameter "weight" [max_len, d_model].
  LearnedPositionalEmbedding(int64_t max_len, int64_t d_model, Generator& gen = default_generator(),
                             Loc caller = Loc::current());

  Tensor forward(const Tensor& x, Loc caller = Loc::current()) const;
  Tensor operator()(const Tensor& x, Loc caller = Loc::current()) const { return forward(x, caller); }

  std::string kind() const override { return "LearnedPositionalEmbedding"; }
  int64_t max_len() const { return weight_.size(0); }
  const Tensor& weight() const { return weight_; }

 private:
  Tensor weight_;
};

// Where a Transformer's word order comes from: the sinusoids (any length), or a learned vector per
// position up to max_len.
struct Positions {
  int64_t learned_max_len = 0;  // 0: sinusoidal
  static Positions sinusoidal() { return {}; }
  static Positions learned(int64_t max_len) { return {max_len}; }
  bool is_learned() const { return learned_max_len > 0; }
};

// x [..., T, d] with its positions added: the learned table's when there is one, else the sinusoids.
Tensor add_positions(const Tensor& x, const LearnedPositionalEmbedding* learned);

}  // namespace glimpse::nn
