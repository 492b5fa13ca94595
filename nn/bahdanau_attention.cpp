// Lesson 06: additive attention, composed of Linear, tanh, masked softmax and matmul — its
// backward comes from the tape.
#include "nn/bahdanau_attention.hpp"

#include <fmt/format.h>

#include "nn/masked_softmax.hpp"

namespace glimpse::nn {

BahdanauAttention::BahdanauAttention(int64_t dec_hidden, int64_t enc_hidden, int64_t attn_dim, Generator& gen,
                                     Loc caller)
    : W_(register_module("W", std::make_shared<Linear>(dec_hidden, attn_dim, false, gen, caller))),
      U_(register_module("U", std::make_shared<Linear>(enc_hidden, attn_dim, true, gen, caller))),
      v_(register_module("v", std::make_shared<Linear>(attn_dim, 1, false, gen, caller))) {}

Tensor BahdanauAttention::project_keys(const Tensor& hs, Loc caller) const {
  const CallerScope scope(caller);
  glimpse::detail::check(hs.dim() == 3 && hs.size(2) == U_->in_features(), "BahdanauAttention", caller, [&] {
    return fmt::format("encoder states must be [B, S, {}], got {}", U_->in_features(), to_string(hs.shape()));
  });
  return U_->forward(hs);
}

AttentionOutput BahdanauAttention::forward(const Tensor& s, const Tensor& hs, const Tensor& keys,
                                           const Tensor& mask, Loc caller) const {
  const CallerScope scope(caller);
  glimpse::detail::check_defined({&s, &hs, &keys}, "BahdanauAttention");
  const int64_t batch = hs.dim() == 3 ? hs.size(0) : -1, src_len = hs.dim() == 3 ? hs.size(1) : -1;
  glimpse::detail::check(
      s.dim() == 2 && s.size(0) == batch && s.size(1) == W_->in_features() &&
          hs.size(2) == U_->in_features() && keys.defined() && keys.dim() == 3 && keys.size(0) == batch &&
          keys.size(1) == src_len && keys.size(2) == W_->out_features(),
      "BahdanauAttention", caller, [&] {
        return fmt::format(
            "expected s [B, {}], hs [B, S, {}] and keys = project_keys(hs) [B, S, {}]; got s {}, hs {}, keys {}",
            W_->in_features(), U_->in_features(), W_->out_features(), to_string(s.shape()), to_string(hs.shape()),
            keys.defined() ? to_string(keys.shape()) : std::string("undefined"));
      });
  glimpse::detail::check(!mask.defined() || mask.shape() == Shape{batch, src_len}, "BahdanauAttention",
                         caller, [&] {
                           return fmt::format("the padding mask must be [B, S] = [{}, {}], got {}", batch,
                                              src_len, to_string(mask.shape()));
                         });
  // score_j = vᵀ tanh(W s + U h_j): W s [B, A] is broadcast over the S encoder states.
  const Tensor energy = tanh(W_->forward(s).unsqueeze(1) + keys);  // [B, S, A]
  const Tensor scores = v_->forward(energy).squeeze(2);            // [B, S]
  const Tensor weights = masked_softmax(scores, mask, 1);
  // context = Σ_j weights_j h_j, as a batched [1, S] · [S, H_enc] product.
  const Tensor context = matmul(weights.unsqueeze(1), hs).squeeze(1);  // [B, H_enc]
  emit_step({{"scores", scores}, {"weights", weights}, {"context", context}});
  return {context, weights};
}

AttentionOutput BahdanauAttention::forward(const Tensor& s, const Tensor& hs, Loc caller) const {
  const CallerScope scope(caller);
  glimpse::detail::check_defined({&s, &hs}, "BahdanauAttention");
  return forward(s, hs, project_keys(hs), Tensor());
}

}  // namespace glimpse::nn
