// EXERCISE (lesson 13): write the causal mask and the KV cache append of causal self-attention:
// the keys and values of earlier positions kept and put before the new ones, and each query
// shown only the keys at or before its own position.
// This is your copy of nn/causal_self_attention.cpp with the exercise part removed. Build the
// lessons against it with  cmake -B build -DGLIMPSE_EXERCISES=causal_self_attention  and check
// it with  ctest --test-dir build -L exercise_causal_self_attention.
// The reference solution is nn/causal_self_attention.cpp: peek only when stuck.
//
// Lesson 13: causal self-attention with a key/value cache, composed of Linear, views, cat and
// scaled dot-product attention.
#include "nn/causal_self_attention.hpp"

#include <fmt/format.h>

#include "autograd/tape.hpp"
#include "nn/attention_mask.hpp"

namespace glimpse::nn {

namespace {

// [B, L, E] → [B, H, L, D] with D = E / H (views: no data is copied).
Tensor split_heads(const Tensor& x, int64_t H) {
  const int64_t D = x.size(2) / H;
  return x.reshape({x.size(0), x.size(1), H, D}).permute({0, 2, 1, 3});
}

// [B, H, T, D] → [B, T, H·D], the heads side by side again.
Tensor merge_heads(const Tensor& heads) {
  const int64_t B = heads.size(0), H = heads.size(1), T = heads.size(2), D = heads.size(3);
  return heads.permute({0, 2, 1, 3}).contiguous().reshape({B, T, H * D});
}

}  // namespace

CausalSelfAttention::CausalSelfAttention(int64_t embed_dim, int64_t num_heads, float dropout, Generator& gen,
                                         Loc caller)
    : embed_dim_(embed_dim), num_heads_(num_heads), dropout_(dropout), gen_(&gen) {
  const CallerScope scope(caller);
  glimpse::detail::check(
      embed_dim > 0 && num_heads > 0 && embed_dim % num_heads == 0, "CausalSelfAttention", caller, [&] {
        return fmt::format(
            "embed_dim must be a positive multiple of num_heads, got embed_dim {} and num_heads {}",
            embed_dim, num_heads);
      });
  glimpse::detail::check(dropout >= 0.0f && dropout <= 1.0f, "CausalSelfAttention", caller,
                         [&] { return fmt::format("dropout must be in [0, 1], got {}", dropout); });
  c_attn_ = register_module("c_attn", std::make_shared<Linear>(embed_dim, 3 * embed_dim, true, gen));
  c_proj_ = register_module("c_proj", std::make_shared<Linear>(embed_dim, embed_dim, true, gen));
  resid_dropout_ = register_module("resid_dropout", std::make_shared<Dropout>(dropout, gen));
}

AttentionOutput CausalSelfAttention::forward(const Tensor& x, KVCache* cache, Loc caller) const {
  const CallerScope scope(caller);
  glimpse::detail::check_defined({&x}, "CausalSelfAttention");
  const int64_t E = embed_dim_, H = num_heads_;
  glimpse::detail::check(x.dim() == 3 && x.size(2) == E, "CausalSelfAttention", caller, [&] {
    return fmt::format("expected x [B, T, {}] (batch first), got {}", E, to_string(x.shape()));
  });
  const int64_t B = x.size(0), T = x.size(1), P = cache ? cache->length() : 0;
  if (cache && P > 0)
    glimpse::detail::check(cache->keys.size(0) == B, "CausalSelfAttention", caller, [&] {
      return fmt::format("the cache holds a batch of {}, x a batch of {}", cache->keys.size(0), B);
    });

  // q, k, v of the new positions: one matmul, then E split three ways and into heads.
  const std::vector<Tensor> qkv = split(c_attn_->forward(x), E, 2);
  const Tensor q = split_heads(qkv[0], H);
  Tensor k = split_heads(qkv[1], H), v = split_heads(qkv[2], H);  // [B, H, T, D]
  // TODO(exercise): write the cache append yourself. With a cache, its P earlier positions' keys and
  // values come first, then the T new ones, along the positions' dim: k and v become [B, H, P+T, D]
  // (while P = 0 the cache's tensors are undefined and k, v stay as they are). Then the cache keeps
  // the k and v of all P+T positions for the next call. Without a cache there is nothing to do.
  // The equations and shapes are in the header; `ctest --test-dir build -L exercise_causal_self_attention`
  // checks your version.
  throw glimpse::Error("exercise", "the KV cache append is not written yet (docs/exercises.md)");
  Tensor mask;
  {
    NoGradGuard no_grad;  // the mask is a constant
    // TODO(exercise): write the causal mask yourself: [T, P+T], 0/1 with 1 = masked out (or additive,
    // 0 and −inf; see nn/attention_mask.hpp). Query i is position P+i: it sees keys 0 … P+i, not the
    // later ones. causal_mask(n) in nn/attention_mask.hpp is the [n, n] mask of P = 0.
    (void)T;
    throw glimpse::Error("exercise", "the causal mask is not written yet (docs/exercises.md)");
  }
  const float p = is_training() ? dropout_ : 0.0f;
  const AttentionOutput heads = scaled_dot_product_attention(q, k, v, mask, p, *gen_);  // [B, H, T, D]
  const Tensor context = resid_dropout_->forward(c_proj_->forward(merge_heads(heads.context)));
  if (tracing())
    emit_step({{"weights", mean(heads.weights, Shape{1}, false)},  // [B, T, P+T], the heads' average
               {"head_weights", heads.weights},                    // [B, H, T, P+T]
               {"context", context}});
  return {context, heads.weights};
}

}  // namespace glimpse::nn
