// EXERCISE (lesson 12): write the decoder layer's forward: masked self-attention over the target,
// cross-attention whose queries come from the target and whose keys and values come from the
// memory, and the feed-forward, each with its residual and its norm, post-norm and pre-norm.
// This is your copy of nn/transformer_decoder_layer.cpp with the exercise part removed. Build the
// lessons against it with  cmake -B build -DGLIMPSE_EXERCISES=transformer_decoder_layer  and check
// it with  ctest --test-dir build -L exercise_transformer_decoder_layer.
// The reference solution is nn/transformer_decoder_layer.cpp: peek only when stuck.
//
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
  // TODO(exercise): write this yourself: the three sublayers, each with its residual and its norm,
  // in both orders (the equations are in the header and in docs/lessons/12_transformer_translates.md).
  // 1. masked self-attention over the target: queries, keys and values all from x, with tgt_mask
  //    and tgt_key_padding_mask; 2. cross-attention: queries from x, keys and values from memory,
  //    with memory_mask and memory_key_padding_mask; 3. feed_forward. Call each attention as
  //    self_attn_->forward(query, key, value, key_padding_mask, true, attn_mask, false), so that
  //    self.weights and cross.weights hold each head's weights, and put each sublayer's output
  //    through its dropout (dropout1_, dropout2_, dropout3_) before the residual sum.
  //    `ctest --test-dir build -L exercise_transformer_decoder_layer` checks your version.
  (void)tgt_mask, (void)memory_mask, (void)tgt_key_padding_mask, (void)memory_key_padding_mask;
  throw glimpse::Error("exercise", "TransformerDecoderLayer::forward is not written yet (docs/exercises.md)");
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
