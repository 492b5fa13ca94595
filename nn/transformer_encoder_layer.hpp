// One Transformer encoder block: self-attention, then a position-wise feed-forward network, each
// wrapped in a residual connection and layer normalisation. Introduced in lesson 10 (the
// Transformer), torch.nn.TransformerEncoderLayer with batch_first=True.
//
// Post-norm (the paper's and PyTorch's default, norm_first = false):
//   x = norm1(x + dropout1(self_attn(x, x, x)))
//   x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))
// Pre-norm (norm_first = true; trains more easily in deep stacks):
//   x = x + dropout1(self_attn(norm1(x)))
//   x = x + dropout2(linear2(dropout(activation(linear1(norm2(x))))))
// activation is "relu" (the default) or "gelu" (x·Φ(x), the exact form), as in PyTorch.
//
// Children and their parameters carry PyTorch's state_dict names: self_attn.in_proj_weight,
// self_attn.in_proj_bias, self_attn.out_proj.{weight,bias}, linear1.{weight,bias},
// linear2.{weight,bias}, norm1.{weight,bias}, norm2.{weight,bias} (dropout, dropout1 and
// dropout2 have none). Masks follow MultiheadAttention: 0/1 (1 = masked out) or additive floats.
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

struct TransformerEncoderLayerOutput {
  Tensor output;        // [B, T, d_model]
  Tensor weights;       // [B, T, T] self-attention weights, averaged over heads
  Tensor head_weights;  // [B, nhead, T, T] each head's weights
};

class TransformerEncoderLayer : public Module {
 public:
  // PyTorch's arguments in PyTorch's order and with its defaults (batch_first is always true):
  // dim_feedforward 2048, dropout 0.1, activation "relu", layer_norm_eps 1e-5, post-norm.
  // Dropout masks come from `gen`, which must outlive the layer.
  TransformerEncoderLayer(int64_t d_model, int64_t nhead, int64_t dim_feedforward = 2048,
                          float dropout = 0.1f, const std::string& activation = "relu",
                          float layer_norm_eps = 1e-5f, bool norm_first = false,
                          Generator& gen = default_generator(), Loc caller = Loc::current());

  // src [B, T, d_model]; src_mask broadcastable to [T, T] (e.g. causal_mask(T)); src_key_padding_mask
  // [B, T] (1 = padding). Emits {"output", "weights"} to the tracer (self_attn emits its own step).
  TransformerEncoderLayerOutput forward(const Tensor& src, const Tensor& src_mask = Tensor(),
                                        const Tensor& src_key_padding_mask = Tensor(),
                                        Loc caller = Loc::current()) const;
  TransformerEncoderLayerOutput operator()(const Tensor& src, const Tensor& src_mask = Tensor(),
                                           const Tensor& src_key_padding_mask = Tensor(),
                                           Loc caller = Loc::current()) const {
    return forward(src, src_mask, src_key_padding_mask, caller);
  }

  // A new layer of the same configuration with a copy of this one's parameter values (what
  // PyTorch's TransformerEncoder gets from copy.deepcopy of the layer it is given).
  std::shared_ptr<TransformerEncoderLayer> clone(Loc caller = Loc::current()) const;

  std::string kind() const override { return "TransformerEncoderLayer"; }

  bool norm_first() const { return norm_first_; }
  const std::string& activation() const { return activation_; }
  const MultiheadAttention& self_attn() const { return *self_attn_; }
  const Linear& linear1() const { return *linear1_; }
  const Linear& linear2() const { return *linear2_; }
  const LayerNorm& norm1() const { return *norm1_; }
  const LayerNorm& norm2() const { return *norm2_; }

 private:
  // The feed-forward block: dropout(activation(linear1(x))) through linear2.
  Tensor feed_forward(const Tensor& x) const;

  std::string activation_;
  bool norm_first_;
  Generator* gen_;  // not owned; for clone()
  std::shared_ptr<MultiheadAttention> self_attn_;
  std::shared_ptr<Linear> linear1_;
  std::shared_ptr<Dropout> dropout_;
  std::shared_ptr<Linear> linear2_;
  std::shared_ptr<LayerNorm> norm1_, norm2_;
  std::shared_ptr<Dropout> dropout1_, dropout2_;
};

}  // namespace glimpse::nn
