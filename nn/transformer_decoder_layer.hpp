// One Transformer decoder block: masked self-attention over the target so far, cross-attention
// over the encoder's output (the memory), then a position-wise feed-forward network, each wrapped
// in a residual connection and layer normalisation. Introduced with the encoder-decoder
// Transformer (issue 11), torch.nn.TransformerDecoderLayer with batch_first=True.
//
// Post-norm (the paper's and PyTorch's default, norm_first = false):
//   x = norm1(x + dropout1(self_attn(x, x, x, tgt_mask)))
//   x = norm2(x + dropout2(multihead_attn(x, memory, memory, memory_mask)))
//   x = norm3(x + dropout3(linear2(dropout(activation(linear1(x))))))
// Pre-norm (norm_first = true):
//   x = x + dropout1(self_attn(norm1(x), norm1(x), norm1(x), tgt_mask))
//   x = x + dropout2(multihead_attn(norm2(x), memory, memory, memory_mask))
//   x = x + dropout3(linear2(dropout(activation(linear1(norm3(x))))))
// The memory itself is never normalised here (the encoder's final norm does that).
//
// Children and their parameters carry PyTorch's state_dict names, in its order: self_attn.*,
// multihead_attn.* (in_proj_weight, in_proj_bias, out_proj.{weight,bias}), linear1, linear2,
// norm1, norm2, norm3 (dropout, dropout1..3 have none). Masks follow MultiheadAttention: 0/1
// (1 = masked out) or additive floats, e.g. causal_mask(T) or generate_square_subsequent_mask(T).
#pragma once

#include <memory>
#include <string>

#include "autograd/random.hpp"
#include "nn/dropout.hpp"
#include "nn/layer_norm.hpp"
#include "nn/linear.hpp"
#include "nn/module.hpp"
#include "nn/multi_head_attention.hpp"

namespace glimpse::nn {

struct TransformerDecoderLayerOutput {
  Tensor output;              // [B, T, d_model]
  Tensor self_weights;        // [B, T, T] masked self-attention weights, averaged over heads
  Tensor self_head_weights;   // [B, nhead, T, T] each head's
  Tensor cross_weights;       // [B, T, S] cross-attention weights over the memory, averaged
  Tensor cross_head_weights;  // [B, nhead, T, S] each head's
};

class TransformerDecoderLayer : public Module {
 public:
  // PyTorch's arguments in PyTorch's order and with its defaults (batch_first is always true):
  // dim_feedforward 2048, dropout 0.1, activation "relu", layer_norm_eps 1e-5, post-norm.
  // Dropout masks come from `gen`, which must outlive the layer.
  TransformerDecoderLayer(int64_t d_model, int64_t nhead, int64_t dim_feedforward = 2048,
                          float dropout = 0.1f, const std::string& activation = "relu",
                          float layer_norm_eps = 1e-5f, bool norm_first = false,
                          Generator& gen = default_generator(), Loc caller = Loc::current());

  // tgt [B, T, d_model], memory [B, S, d_model]; tgt_mask broadcastable to [T, T] (e.g.
  // causal_mask(T)), memory_mask to [T, S]; tgt_key_padding_mask [B, T] and
  // memory_key_padding_mask [B, S] (1 = padding). Emits {"output", "self_weights",
  // "cross_weights"} to the tracer; self_attn and multihead_attn emit their own steps (each head).
  TransformerDecoderLayerOutput forward(const Tensor& tgt, const Tensor& memory,
                                        const Tensor& tgt_mask = Tensor(),
                                        const Tensor& memory_mask = Tensor(),
                                        const Tensor& tgt_key_padding_mask = Tensor(),
                                        const Tensor& memory_key_padding_mask = Tensor(),
                                        Loc caller = Loc::current()) const;
  TransformerDecoderLayerOutput operator()(const Tensor& tgt, const Tensor& memory,
                                           const Tensor& tgt_mask = Tensor(),
                                           const Tensor& memory_mask = Tensor(),
                                           const Tensor& tgt_key_padding_mask = Tensor(),
                                           const Tensor& memory_key_padding_mask = Tensor(),
                                           Loc caller = Loc::current()) const {
    return forward(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask, caller);
  }

  // A new layer of the same configuration with a copy of this one's parameter values (what
  // PyTorch's stacks get from copy.deepcopy of the layer they are given).
  std::shared_ptr<TransformerDecoderLayer> clone(Loc caller = Loc::current()) const;

  std::string kind() const override { return "TransformerDecoderLayer"; }

  bool norm_first() const { return norm_first_; }
  const std::string& activation() const { return activation_; }
  const MultiheadAttention& self_attn() const { return *self_attn_; }
  const MultiheadAttention& multihead_attn() const { return *multihead_attn_; }
  const Linear& linear1() const { return *linear1_; }
  const Linear& linear2() const { return *linear2_; }
  const LayerNorm& norm1() const { return *norm1_; }
  const LayerNorm& norm2() const { return *norm2_; }
  const LayerNorm& norm3() const { return *norm3_; }

 private:
  // The feed-forward block: dropout(activation(linear1(x))) through linear2.
  Tensor feed_forward(const Tensor& x) const;

  std::string activation_;
  bool norm_first_;
  Generator* gen_;  // not owned; for clone()
  std::shared_ptr<MultiheadAttention> self_attn_, multihead_attn_;
  std::shared_ptr<Linear> linear1_;
  std::shared_ptr<Dropout> dropout_;
  std::shared_ptr<Linear> linear2_;
  std::shared_ptr<LayerNorm> norm1_, norm2_, norm3_;
  std::shared_ptr<Dropout> dropout1_, dropout2_, dropout3_;
};

}  // namespace glimpse::nn
