// Lesson 10: the Transformer encoder block, composed of modules that are composed of autograd ops.
#include "nn/transformer_encoder_layer.hpp"

#include <fmt/format.h>

#include "nn/state.hpp"

namespace glimpse::nn {

TransformerEncoderLayer::TransformerEncoderLayer(int64_t d_model, int64_t nhead, int64_t dim_feedforward,
                                                 float dropout, const std::string& activation,
                                                 float layer_norm_eps, bool norm_first, Generator& gen,
                                                 Loc caller)
    : activation_(activation), norm_first_(norm_first), gen_(&gen) {
  const CallerScope scope(caller);
  glimpse::detail::check(dim_feedforward > 0, "TransformerEncoderLayer", caller, [&] {
    return fmt::format("dim_feedforward must be positive, got {}", dim_feedforward);
  });
  glimpse::detail::check(
      activation == "relu" || activation == "gelu", "TransformerEncoderLayer", caller,
      [&] { return fmt::format("activation must be \"relu\" or \"gelu\", got \"{}\"", activation); });
  // Registered in PyTorch's order, so named_parameters() lists them as its state_dict does.
  self_attn_ =
      register_module("self_attn", std::make_shared<MultiheadAttention>(d_model, nhead, dropout, gen));
  linear1_ = register_module("linear1", std::make_shared<Linear>(d_model, dim_feedforward, true, gen));
  dropout_ = register_module("dropout", std::make_shared<Dropout>(dropout, gen));
  linear2_ = register_module("linear2", std::make_shared<Linear>(dim_feedforward, d_model, true, gen));
  norm1_ = register_module("norm1", std::make_shared<LayerNorm>(d_model, layer_norm_eps, true));
  norm2_ = register_module("norm2", std::make_shared<LayerNorm>(d_model, layer_norm_eps, true));
  dropout1_ = register_module("dropout1", std::make_shared<Dropout>(dropout, gen));
  dropout2_ = register_module("dropout2", std::make_shared<Dropout>(dropout, gen));
}

Tensor TransformerEncoderLayer::feed_forward(const Tensor& x) const {
  const Tensor h = linear1_->forward(x);
  return linear2_->forward(dropout_->forward(activation_ == "gelu" ? gelu(h) : relu(h)));
}

TransformerEncoderLayerOutput TransformerEncoderLayer::forward(const Tensor& src, const Tensor& src_mask,
                                                               const Tensor& src_key_padding_mask,
                                                               Loc caller) const {
  const CallerScope scope(caller);
  glimpse::detail::check_defined({&src}, "TransformerEncoderLayer");
  const int64_t d_model = self_attn_->embed_dim();
  glimpse::detail::check(src.dim() == 3 && src.size(2) == d_model, "TransformerEncoderLayer", caller, [&] {
    return fmt::format("expected src [B, T, {}] (batch first), got {}", d_model, to_string(src.shape()));
  });
  Tensor x = src;
  MultiheadAttentionOutput attn;
  if (norm_first_) {
    const Tensor normed = norm1_->forward(x);
    attn = self_attn_->forward(normed, normed, normed, src_key_padding_mask, true, src_mask, false);
    x = x + dropout1_->forward(attn.context);
    x = x + dropout2_->forward(feed_forward(norm2_->forward(x)));
  } else {
    attn = self_attn_->forward(x, x, x, src_key_padding_mask, true, src_mask, false);
    x = norm1_->forward(x + dropout1_->forward(attn.context));
    x = norm2_->forward(x + dropout2_->forward(feed_forward(x)));
  }
  const Tensor weights = mean(attn.weights, Shape{1}, false);  // attn.weights is per head: [B, H, T, T]
  emit_step({{"output", x}, {"weights", weights}});
  return {x, weights, attn.weights};
}

std::shared_ptr<TransformerEncoderLayer> TransformerEncoderLayer::clone(Loc caller) const {
  const CallerScope scope(caller);
  auto copy = std::make_shared<TransformerEncoderLayer>(self_attn_->embed_dim(), self_attn_->num_heads(),
                                                        linear1_->out_features(), dropout_->p(), activation_,
                                                        norm1_->eps(), norm_first_, *gen_, caller);
  load_state(*copy, state_dict(*this), true, caller);
  copy->train(is_training());
  return copy;
}

}  // namespace glimpse::nn
