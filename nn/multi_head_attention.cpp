// Lesson 10: multi-head attention, composed of matmul, views and scaled dot-product attention.
#include "nn/multi_head_attention.hpp"

#include <fmt/format.h>

#include <cmath>

#include "autograd/tape.hpp"
#include "nn/attention_mask.hpp"
#include "nn/init.hpp"
#include "nn/scaled_dot_product_attention.hpp"

namespace glimpse::nn {

namespace {

// [B, L, E] → [B, H, L, D] with D = E / H: head h gets features h·D … h·D + D − 1 of every
// position. A reshape and a permute (views: no data is copied).
Tensor split_heads(const Tensor& x, int64_t H) {
  const int64_t D = x.size(2) / H;
  return x.reshape({x.size(0), x.size(1), H, D}).permute({0, 2, 1, 3});
}

// The inverse: [B, H, T, D] → [B, T, H·D], the heads side by side again. After a permute the
// tensor is not contiguous: make it so before the reshape.
Tensor merge_heads(const Tensor& heads) {
  const int64_t B = heads.size(0), H = heads.size(1), T = heads.size(2), D = heads.size(3);
  return heads.permute({0, 2, 1, 3}).contiguous().reshape({B, T, H * D});
}

}  // namespace

MultiheadAttention::MultiheadAttention(int64_t embed_dim, int64_t num_heads, float dropout, Generator& gen,
                                       Loc caller)
    : embed_dim_(embed_dim), num_heads_(num_heads), dropout_(dropout), gen_(&gen) {
  const CallerScope scope(caller);
  glimpse::detail::check(
      embed_dim > 0 && num_heads > 0 && embed_dim % num_heads == 0, "MultiheadAttention", caller, [&] {
        return fmt::format(
            "embed_dim must be a positive multiple of num_heads, got embed_dim {} and num_heads {}",
            embed_dim, num_heads);
      });
  glimpse::detail::check(dropout >= 0.0f && dropout <= 1.0f, "MultiheadAttention", caller,
                         [&] { return fmt::format("dropout must be in [0, 1], got {}", dropout); });
  in_proj_weight_ = register_parameter("in_proj_weight", zeros({3 * embed_dim, embed_dim}));
  in_proj_bias_ = register_parameter("in_proj_bias", zeros({3 * embed_dim}));
  out_proj_ = register_module("out_proj", std::make_shared<Linear>(embed_dim, embed_dim, true, gen));
  // Xavier/Glorot uniform: U(-b, b), b = √(6 / (fan_in + fan_out)) with fan_in = E, fan_out = 3E.
  const float bound = std::sqrt(6.0f / static_cast<float>(embed_dim + 3 * embed_dim));
  init::uniform_(in_proj_weight_, -bound, bound, gen);
  Tensor out_bias = out_proj_->bias();
  init::zeros_(out_bias);
}

MultiheadAttentionOutput MultiheadAttention::forward(const Tensor& query, const Tensor& key,
                                                     const Tensor& value, const Tensor& key_padding_mask,
                                                     bool need_weights, const Tensor& attn_mask,
                                                     bool average_attn_weights, Loc caller) const {
  const CallerScope scope(caller);
  glimpse::detail::check_defined({&query, &key, &value}, "MultiheadAttention");
  const int64_t E = embed_dim_, H = num_heads_;  // D = head_dim() = E / H
  glimpse::detail::check(query.dim() == 3 && key.dim() == 3 && value.dim() == 3 && query.size(2) == E &&
                             key.size(2) == E && value.size(2) == E && key.size(0) == query.size(0) &&
                             value.size(0) == query.size(0) && key.size(1) == value.size(1),
                         "MultiheadAttention", caller, [&] {
                           return fmt::format(
                               "expected query [B, T, {0}], key and value [B, S, {0}] (batch first), got query {1}, "
                               "key {2}, value {3}",
                               E, to_string(query.shape()), to_string(key.shape()), to_string(value.shape()));
                         });
  const int64_t B = query.size(0), T = query.size(1), S = key.size(1);

  // The mask for the [B, H, T, S] scores: key padding and attn_mask together (nn/attention_mask.hpp).
  Tensor mask;
  {
    NoGradGuard no_grad;  // masks are constants
    if (key_padding_mask.defined()) {
      glimpse::detail::check(key_padding_mask.shape() == Shape{B, S}, "MultiheadAttention", caller, [&] {
        return fmt::format("key_padding_mask must be [B, S] = [{}, {}], got {}", B, S,
                           to_string(key_padding_mask.shape()));
      });
      mask = key_padding_mask.reshape({B, 1, 1, S});
    }
    if (attn_mask.defined()) {
      Tensor am = attn_mask;
      if (am.dim() == 3 && am.size(0) == B * H) am = am.reshape({B, H, T, S});  // PyTorch's [B·H, T, S]
      glimpse::detail::check(am.dim() <= 4 && broadcast_shapes(am.shape(), Shape{B, H, T, S},
                                                               "MultiheadAttention") == Shape{B, H, T, S},
                             "MultiheadAttention", caller, [&] {
                               return fmt::format("attn_mask must be [T, S], [B·H, T, S] or broadcast to "
                                                  "[B, H, T, S] = [{}, {}, {}, {}], got {}",
                                                  B, H, T, S, to_string(attn_mask.shape()));
                             });
      mask = mask.defined() ? combine_masks(mask, am, "MultiheadAttention") : am;
    }
  }

  // Project, then split E into H heads of D: [B, L, E] → [B, L, H, D] → [B, H, L, D].
  auto project = [&](const Tensor& x, int64_t part) {
    const Tensor w = in_proj_weight_.narrow(0, part * E, E);  // rows of W_q, W_k or W_v
    const Tensor b = in_proj_bias_.narrow(0, part * E, E);
    const Tensor y = matmul(x, w.t()) + b;
    return split_heads(y, H);
  };
  const Tensor q = project(query, 0), k = project(key, 1), v = project(value, 2);

  const float p = is_training() ? dropout_ : 0.0f;
  const AttentionOutput heads = scaled_dot_product_attention(q, k, v, mask, p, *gen_);  // [B, H, T, D]
  // Join the heads again: [B, H, T, D] → [B, T, H, D] → [B, T, E].
  const Tensor joined = merge_heads(heads.context);
  const Tensor context = out_proj_->forward(joined);
  // The average over heads, for the caller who asked for it and for a listening tracer.
  const Tensor averaged = average_attn_weights || tracing() ? mean(heads.weights, Shape{1}, false) : Tensor();
  emit_step({{"weights", averaged}, {"head_weights", heads.weights}, {"context", context}});  // [B, T, S], [B, H, T, S]
  if (!need_weights) return {context, Tensor()};
  return {context, average_attn_weights ? averaged : heads.weights};
}

}  // namespace glimpse::nn
