// Multi-head attention: several scaled dot-product attentions side by side, each looking at the
// sequence through its own learned projections, their contexts joined and projected back.
// Introduced in lesson 10 (the Transformer; Vaswani et al. 2017), torch.nn.MultiheadAttention.
//
//   q = query·W_qᵀ + b_q,  k = key·W_kᵀ + b_k,  v = value·W_vᵀ + b_v      [B, T|S, E]
//   split E into H heads of D = E/H:                                      [B, H, T|S, D]
//   head_h = softmax(q_h k_hᵀ / √D, masked) v_h                           [B, H, T, D]
//   context = concat_h(head_h) · W_oᵀ + b_o                               [B, T, E]
//
// PyTorch's parameter layout, so state dicts carry over: in_proj_weight [3E, E] stacks W_q, W_k,
// W_v (in that order), in_proj_bias [3E]; out_proj is a Linear (out_proj.weight, out_proj.bias).
// Inputs are batch first (batch_first=True in PyTorch).
//
// Masks, read as every Glimpse mask (nn/attention_mask.hpp): 0/1 with 1 = masked out (PyTorch's
// boolean masks, True = not allowed), or additive floats (0, −0.5, −inf) added to the scores
// (PyTorch's float masks). Both masks given: combined as PyTorch combines them.
//   key_padding_mask [B, S]: 1 (or −inf) where the key is padding.
//   attn_mask [T, S] (same for every batch element and head), [B·H, T, S] (PyTorch's 3-D form)
//   or anything broadcastable to [B, H, T, S], e.g. causal_mask(T).
// A query that may see no key at all gets zero weights and a context of out_proj's bias
// (PyTorch gives NaN).
#pragma once

#include <memory>
#include <string>

#include "autograd/random.hpp"
#include "nn/linear.hpp"
#include "nn/module.hpp"

namespace glimpse::nn {

// PyTorch's (attn_output, attn_output_weights).
struct MultiheadAttentionOutput {
  Tensor context;  // [B, T, E], after out_proj
  Tensor weights;  // [B, T, S] averaged over heads (average_attn_weights = true), [B, H, T, S] each
                   // head's own (false); undefined when need_weights = false
};

class MultiheadAttention : public Module {
 public:
  // embed_dim E must be divisible by num_heads H. dropout is applied to the attention weights
  // in training mode (masks drawn from `gen`, which must outlive the module); the returned
  // weights are the ones before dropout, so their rows sum to 1. Initialised as PyTorch does:
  // in_proj_weight Xavier-uniform, out_proj.weight as a Linear, both biases 0.
  MultiheadAttention(int64_t embed_dim, int64_t num_heads, float dropout = 0.0f,
                     Generator& gen = default_generator(), Loc caller = Loc::current());

  // query [B, T, E], key and value [B, S, E]; masks optional (undefined Tensor = none). The
  // arguments in PyTorch's order. Emits {"weights", "head_weights", "context"} to the tracer
  // whatever need_weights says.
  MultiheadAttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                   const Tensor& key_padding_mask = Tensor(), bool need_weights = true,
                                   const Tensor& attn_mask = Tensor(), bool average_attn_weights = true,
                                   Loc caller = Loc::current()) const;
  MultiheadAttentionOutput operator()(const Tensor& query, const Tensor& key, const Tensor& value,
                                      const Tensor& key_padding_mask = Tensor(), bool need_weights = true,
                                      const Tensor& attn_mask = Tensor(), bool average_attn_weights = true,
                                      Loc caller = Loc::current()) const {
    return forward(query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights,
                   caller);
  }

  std::string kind() const override { return "MultiheadAttention"; }

  int64_t embed_dim() const { return embed_dim_; }
  int64_t num_heads() const { return num_heads_; }
  int64_t head_dim() const { return embed_dim_ / num_heads_; }
  float dropout() const { return dropout_; }
  const Tensor& in_proj_weight() const { return in_proj_weight_; }
  const Tensor& in_proj_bias() const { return in_proj_bias_; }
  const Linear& out_proj() const { return *out_proj_; }

 private:
  int64_t embed_dim_, num_heads_;
  float dropout_;
  Generator* gen_;  // not owned
  Tensor in_proj_weight_, in_proj_bias_;
  std::shared_ptr<Linear> out_proj_;
};

}  // namespace glimpse::nn
