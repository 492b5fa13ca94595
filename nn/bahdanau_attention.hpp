// Bahdanau (additive) attention: at each decoder step, score every encoder state against the
// decoder's previous state, turn the scores into weights, and average the encoder states.
// Introduced in lesson 06 (attention: breaking the fixed-vector bottleneck; Bahdanau et al. 2015).
//
//   score_j  = vᵀ tanh(W s + U h_j)        s [B, H_dec] decoder state, h_j [B, H_enc] encoder state
//   weights  = softmax_j(score_j)           masked positions (padding) get weight 0
//   context  = Σ_j weights_j h_j            [B, H_enc]
//
// W: Linear(H_dec, A, no bias), U: Linear(H_enc, A), v: Linear(A, 1, no bias) — the names and
// layout of the Attn module of the PyTorch reference program the benchmarks were checked against, so
// parameters are "W.weight", "U.weight", "U.bias", "v.weight". U h_j does not depend on the
// decoder step: compute it once per sequence with project_keys() and pass it to every step.
//
// Mask: [B, S] float, 1 = padding (masked out, as PyTorch's key_padding_mask True), 0 = a real
// token; attention never looks at padding. A row with no real token gets zero weights (no NaN).
#pragma once

#include <memory>
#include <string>

#include "autograd/random.hpp"
#include "nn/linear.hpp"
#include "nn/module.hpp"
#include "nn/scaled_dot_product_attention.hpp"

namespace glimpse::nn {

class BahdanauAttention : public Module {
 public:
  // dec_hidden = H_dec (size of s), enc_hidden = H_enc (size of h_j), attn_dim = A.
  // Parameters start as PyTorch's Linear defaults, drawn from `gen`.
  BahdanauAttention(int64_t dec_hidden, int64_t enc_hidden, int64_t attn_dim,
                    Generator& gen = default_generator(), Loc caller = Loc::current());

  // U h for every encoder state, once per sequence: hs [B, S, H_enc] → [B, S, A].
  Tensor project_keys(const Tensor& hs, Loc caller = Loc::current()) const;

  // s [B, H_dec], hs [B, S, H_enc], keys = project_keys(hs), mask [B, S] (optional, 1 = padding)
  // → context [B, H_enc], weights [B, S]. Emits {"scores", "weights", "context"} to the tracer.
  AttentionOutput forward(const Tensor& s, const Tensor& hs, const Tensor& keys,
                          const Tensor& mask = Tensor(), Loc caller = Loc::current()) const;
  // The same, projecting the keys on the spot (fine for one step; a decoder loop should not).
  AttentionOutput forward(const Tensor& s, const Tensor& hs, Loc caller = Loc::current()) const;
  AttentionOutput operator()(const Tensor& s, const Tensor& hs, const Tensor& keys,
                             const Tensor& mask = Tensor(), Loc caller = Loc::current()) const {
    return forward(s, hs, keys, mask, caller);
  }

  std::string kind() const override { return "BahdanauAttention"; }

  const Linear& W() const { return *W_; }
  const Linear& U() const { return *U_; }
  const Linear& v() const { return *v_; }

 private:
  std::shared_ptr<Linear> W_, U_, v_;
};

}  // namespace glimpse::nn
