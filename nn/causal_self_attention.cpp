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
  if (cache) {
    if (P > 0) {
      k = cat({cache->keys, k}, 2);  // [B, H, P+T, D]: the cached positions, then the new ones
      v = cat({cache->values, v}, 2);
    }
    cache->keys = k;
    cache->values = v;
  }

  // Query i (position P+i) may see keys 0 … P+i: rows P … P+T−1 of the causal mask of P+T.
  Tensor mask;
  {
    NoGradGuard no_grad;  // the mask is a constant
    mask = causal_mask(P + T).narrow(0, P, T);
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
