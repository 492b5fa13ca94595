// Causal self-attention with a key/value cache: the attention of a GPT (nanoGPT's
// CausalSelfAttention). Introduced in lesson 13 (a GPT in a minute).
//
//   q, k, v = split_E(x · c_attn.weightᵀ + c_attn.bias)        x [B, T, E] → three [B, T, E]
//   split E into H heads of D = E/H:                           [B, H, T, D]
//   with a cache of P positions:  k = cat(cache.keys, k), v = cat(cache.values, v)   [B, H, P+T, D]
//   head_h = softmax(q_h k_hᵀ / √D, causal) v_h                query i sits at position P+i and
//                                                              sees keys 0 … P+i only
//   y = concat_h(head_h) · c_proj.weightᵀ + c_proj.bias        [B, T, E]
//
// The cache holds, per layer, the projected keys and values of every position seen so far. A
// new token then costs one query row: its own q, k, v, and its scores against the cached keys.
// Without a cache (P = 0) this is the usual masked self-attention over the whole sequence.
//
// Parameters carry nanoGPT's names: c_attn.{weight,bias} [3E, E], [3E] (W_q, W_k, W_v stacked in
// that order, as PyTorch's in_proj_weight) and c_proj.{weight,bias}.
#pragma once

#include <memory>
#include <string>

#include "autograd/random.hpp"
#include "nn/dropout.hpp"
#include "nn/linear.hpp"
#include "nn/module.hpp"
#include "nn/scaled_dot_product_attention.hpp"

namespace glimpse::nn {

// One layer's cache: the keys and values of the P positions seen so far, [B, H, P, D] each
// (both undefined while P = 0). forward appends the new positions' keys and values.
struct KVCache {
  Tensor keys, values;
  int64_t length() const { return keys.defined() ? keys.size(2) : 0; }
  void clear() { keys = values = Tensor(); }
};

class CausalSelfAttention : public Module {
 public:
  // embed_dim E must be divisible by num_heads H. dropout is applied to the attention weights
  // and to the output in training mode (masks drawn from `gen`, which must outlive the module).
  CausalSelfAttention(int64_t embed_dim, int64_t num_heads, float dropout = 0.0f,
                      Generator& gen = default_generator(), Loc caller = Loc::current());

  // x [B, T, E] → context [B, T, E] and each head's weights [B, H, T, P+T]. With `cache` (not
  // owned), x holds positions P … P+T−1 after the P cached ones, and the cache grows by T.
  // Emits {"weights", "head_weights", "context"} to the tracer, as MultiheadAttention does.
  AttentionOutput forward(const Tensor& x, KVCache* cache = nullptr, Loc caller = Loc::current()) const;
  AttentionOutput operator()(const Tensor& x, KVCache* cache = nullptr, Loc caller = Loc::current()) const {
    return forward(x, cache, caller);
  }

  std::string kind() const override { return "CausalSelfAttention"; }

  int64_t embed_dim() const { return embed_dim_; }
  int64_t num_heads() const { return num_heads_; }
  int64_t head_dim() const { return embed_dim_ / num_heads_; }
  const Linear& c_attn() const { return *c_attn_; }
  const Linear& c_proj() const { return *c_proj_; }

 private:
  int64_t embed_dim_, num_heads_;
  float dropout_;
  Generator* gen_;  // not owned
  std::shared_ptr<Linear> c_attn_, c_proj_;
  std::shared_ptr<Dropout> resid_dropout_;
};

}  // namespace glimpse::nn
