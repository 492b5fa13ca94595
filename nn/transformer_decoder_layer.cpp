// Issue 11: the Transformer decoder block, the encoder block plus cross-attention over the memory.
#include "nn/transformer_decoder_layer.hpp"

#include <fmt/format.h>

#include "nn/state.hpp"

namespace glimpse::nn {

TransformerDecoderLayer::TransformerDecoderLayer(int64_t d_model, int64_t nhead, int64_t dim_feedforward,
                                                 float dropout, const std::string& activation,
                                                 float layer_norm_eps, bool norm_first, Generator& gen,
                                                 Loc caller)
    : activation_(activation), norm_first_(norm_first), gen_(&gen) {
  const CallerScope scope(caller);
  glimpse::detail::check(dim_feedforward > 0, "TransformerDecoderLayer", caller, [&] {
    return fmt::format("dim_feedforward must be positive, got {}", dim_feedforward);
  });
  glimpse::detail::check(
      activation == "relu" || activation == "gelu", "TransformerDecoderLayer", caller,
      [&] { return fmt::format("activation must be \"relu\" or \"gelu\", got \"{}\"", activation); });
  // Registered in PyTorch's order, so named_parameters() lists them as its state_dict does.
  self_attn_ =
      register_module("self_attn", std::make_shared<MultiheadAttention>(d_model, nhead, dropout, gen));
  multihead_attn_ =
      register_module("multihead_attn", std::make_shared<MultiheadAttention>(d_model, nhead, dropout, gen));
  linear1_ = register_module("linear1", std::make_shared<Linear>(d_model, dim_feedforward, true, gen));
  dropout_ = register_module("dropout", std::make_shared<Dropout>(dropout, gen));
  linear2_ = register_module("linear2", std::make_shared<Linear>(dim_feedforward, d_model, true, gen));
  norm1_ = register_module("norm1", std::make_shared<LayerNorm>(d_model, layer_norm_eps, true));
  norm2_ = register_module("norm2", std::make_shared<LayerNorm>(d_model, layer_norm_eps, true));
  norm3_ = register_module("norm3", std::make_shared<LayerNorm>(d_model, layer_norm_eps, true));
  dropout1_ = register_module("dropout1", std::make_shared<Dropout>(dropout, gen));
  dropout2_ = register_module("dropout2", std::make_shared<Dropout>(dropout, gen));
  dropout3_ = register_module("dropout3", std::make_shared<Dropout>(dropout, gen));
}

Tensor TransformerDecoderLayer::feed_forward(const Tensor& x) const {
  const Tensor h = linear1_->forward(x);
  return linear2_->forward(dropout_->forward(activation_ == "gelu" ? gelu(h) : relu(h)));
}

TransformerDecoderLayerOutput TransformerDecoderLayer::forward(
    const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask, const Tensor& memory_mask,
    const Tensor& tgt_key_padding_mask, const Tensor& memory_key_padding_mask, Loc caller) const {
  const CallerScope scope(caller);
  glimpse::detail::check_defined({&tgt, &memory}, "TransformerDecoderLayer");
  const int64_t d_model = self_attn_->embed_dim();
  glimpse::detail::check(tgt.dim() == 3 && tgt.size(2) == d_model, "TransformerDecoderLayer", caller, [&] {
    return fmt::format("expected tgt [B, T, {}] (batch first), got {}", d_model, to_string(tgt.shape()));
  });
  glimpse::detail::check(memory.dim() == 3 && memory.size(0) == tgt.size(0) && memory.size(2) == d_model,
                         "TransformerDecoderLayer", caller, [&] {
                           return fmt::format(
                               "expected memory [{}, S, {}] (batch first, the batch of tgt {}), got {}",
                               tgt.size(0), d_model, to_string(tgt.shape()), to_string(memory.shape()));
                         });
  Tensor x = tgt;
  MultiheadAttentionOutput self, cross;
  if (norm_first_) {
    const Tensor q = norm1_->forward(x);
    self = self_attn_->forward(q, q, q, tgt_key_padding_mask, true, tgt_mask, false);
    x = x + dropout1_->forward(self.context);
    cross = multihead_attn_->forward(norm2_->forward(x), memory, memory, memory_key_padding_mask, true,
                                     memory_mask, false);
    x = x + dropout2_->forward(cross.context);
    x = x + dropout3_->forward(feed_forward(norm3_->forward(x)));
  } else {
    self = self_attn_->forward(x, x, x, tgt_key_padding_mask, true, tgt_mask, false);
    x = norm1_->forward(x + dropout1_->forward(self.context));
    cross = multihead_attn_->forward(x, memory, memory, memory_key_padding_mask, true, memory_mask, false);
    x = norm2_->forward(x + dropout2_->forward(cross.context));
    x = norm3_->forward(x + dropout3_->forward(feed_forward(x)));
  }
  // The attention weights come per head, [B, H, T, T|S]; their mean over heads is PyTorch's default.
  const Tensor self_weights = mean(self.weights, Shape{1}, false);
  const Tensor cross_weights = mean(cross.weights, Shape{1}, false);
  emit_step({{"output", x}, {"self_weights", self_weights}, {"cross_weights", cross_weights}});
  return {x, self_weights, self.weights, cross_weights, cross.weights};
}

std::shared_ptr<TransformerDecoderLayer> TransformerDecoderLayer::clone(Loc caller) const {
  const CallerScope scope(caller);
  auto copy = std::make_shared<TransformerDecoderLayer>(self_attn_->embed_dim(), self_attn_->num_heads(),
                                                        linear1_->out_features(), dropout_->p(), activation_,
                                                        norm1_->eps(), norm_first_, *gen_, caller);
  load_state(*copy, state_dict(*this), true, caller);
  copy->train(is_training());
  return copy;
}

}  // namespace glimpse::nn
