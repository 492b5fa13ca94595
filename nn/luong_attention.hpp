// Luong (multiplicative) attention: three ways to score a decoder state against encoder states.
// Introduced in lesson 08 (scoring functions; Luong, Pham & Manning 2015).
//
//   dot:      score_j = sᵀ h_j                   no parameters; needs H_dec = H_enc
//   general:  score_j = sᵀ W h_j                 W: Linear(H_enc, H_dec, no bias)
//   concat:   score_j = vᵀ tanh(W [s; h_j])      W: Linear(H_dec + H_enc, A, no bias),
//                                                v: Linear(A, 1, no bias)
//   weights = softmax_j(score_j) (masked positions get 0),  context = Σ_j weights_j h_j
//
// Luong's decoder uses the *current* state s_t (Bahdanau's the previous one) and then builds
// h̃_t = tanh(W_c [context; s_t]); that belongs to the decoder, not to this module.
// Mask: [B, S] float, 1 = padding (masked out), 0 = a real token, as in BahdanauAttention.
#pragma once

#include <memory>
#include <string>

#include "autograd/random.hpp"
#include "nn/linear.hpp"
#include "nn/module.hpp"
#include "nn/scaled_dot_product_attention.hpp"

namespace glimpse::nn {

enum class LuongScore { Dot, General, Concat };

// "dot", "general", "concat".
std::string to_string(LuongScore score);

class LuongAttention : public Module {
 public:
  // attn_dim (A) is used by Concat only; 0 means A = dec_hidden.
  LuongAttention(LuongScore score, int64_t dec_hidden, int64_t enc_hidden, int64_t attn_dim = 0,
                 Generator& gen = default_generator(), Loc caller = Loc::current());

  // The raw scores: s [B, H_dec], hs [B, S, H_enc] → [B, S].
  Tensor score(const Tensor& s, const Tensor& hs, Loc caller = Loc::current()) const;

  // s [B, H_dec], hs [B, S, H_enc], mask [B, S] (optional, 1 = padding)
  // → context [B, H_enc], weights [B, S]. Emits {"scores", "weights", "context"} to the tracer.
  AttentionOutput forward(const Tensor& s, const Tensor& hs, const Tensor& mask = Tensor(),
                          Loc caller = Loc::current()) const;
  // What the score needs of the encoder states alone, computed once per batch (as
  // BahdanauAttention::project_keys): h_j for dot, W h_j for general, [B, S, ·]. Undefined for
  // concat, whose W mixes s and h_j inside the tanh.
  Tensor project_keys(const Tensor& hs, Loc caller = Loc::current()) const;
  // The same as forward(s, hs, mask), with keys = project_keys(hs) computed beforehand: a decoder
  // asks at every step, and the encoder states do not change between steps.
  AttentionOutput forward(const Tensor& s, const Tensor& hs, const Tensor& keys, const Tensor& mask,
                          Loc caller = Loc::current()) const;
  AttentionOutput operator()(const Tensor& s, const Tensor& hs, const Tensor& mask = Tensor(),
                             Loc caller = Loc::current()) const {
    return forward(s, hs, mask, caller);
  }

  std::string kind() const override { return "LuongAttention"; }

  LuongScore score_kind() const { return score_; }
  // Undefined (nullptr) where the scoring function has no such parameter.
  const Linear* W() const { return W_.get(); }
  const Linear* v() const { return v_.get(); }

 private:
  // softmax of the scores (masked positions get 0) and the weighted sum of hs; emits the step.
  AttentionOutput attend(const Tensor& scores, const Tensor& hs, const Tensor& mask) const;

  LuongScore score_;
  int64_t dec_hidden_, enc_hidden_;
  std::shared_ptr<Linear> W_, v_;
};

}  // namespace glimpse::nn
