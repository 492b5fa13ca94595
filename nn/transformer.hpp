// The encoder-decoder Transformer (Vaswani et al. 2017) as torch.nn builds it: a stack of encoder
// layers turns the source into the memory, a stack of decoder layers reads the target so far and
// attends to the memory. Introduced with issue 11 (the Transformer translates); batch first.
//
//   memory = encoder(src)            = norm(layer_N(… layer_1(src)))
//   output = decoder(tgt, memory)    = norm(layer_N(… layer_1(tgt, memory), memory))
//
// State-dict names are PyTorch's: layers.0.self_attn.in_proj_weight, …, norm.weight in a stack;
// encoder.layers.N.…, encoder.norm.…, decoder.layers.N.…, decoder.norm.… in a Transformer. Every
// layer's and head's self- and cross-attention reaches the tracer from the attention modules
// (paths like decoder.layers.1.multihead_attn) and is returned, layer by layer, in the outputs.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "autograd/random.hpp"
#include "nn/layer_norm.hpp"
#include "nn/module.hpp"
#include "nn/transformer_decoder_layer.hpp"
#include "nn/transformer_encoder_layer.hpp"

namespace glimpse::nn {

// [sz, sz] additive mask, 0 on and below the diagonal and −inf above it: position t may attend to
// 0..t only. torch.nn.Transformer.generate_square_subsequent_mask (causal_mask(sz) is the 0/1 form).
Tensor generate_square_subsequent_mask(int64_t sz, Loc caller = Loc::current());

struct TransformerEncoderOutput {
  Tensor output;                                      // [B, S, d_model], after the final norm if any
  std::vector<TransformerEncoderLayerOutput> layers;  // each layer's output and attention weights
};

class TransformerEncoder : public Module {
 public:
  using LayerFactory = std::function<std::shared_ptr<TransformerEncoderLayer>()>;
  // num_layers copies of encoder_layer, as PyTorch's deep copies: every layer starts from the same
  // values. norm (optional) is applied to the last layer's output.
  TransformerEncoder(const TransformerEncoderLayer& encoder_layer, int64_t num_layers,
                     std::shared_ptr<LayerNorm> norm = nullptr, Loc caller = Loc::current());
  // num_layers layers, each made by one call of make_layer (so each with its own initial values).
  TransformerEncoder(const LayerFactory& make_layer, int64_t num_layers,
                     std::shared_ptr<LayerNorm> norm = nullptr, Loc caller = Loc::current());

  // src [B, S, d_model]; mask and src_key_padding_mask as TransformerEncoderLayer's, given to every layer.
  TransformerEncoderOutput forward(const Tensor& src, const Tensor& mask = Tensor(),
                                   const Tensor& src_key_padding_mask = Tensor(),
                                   Loc caller = Loc::current()) const;
  TransformerEncoderOutput operator()(const Tensor& src, const Tensor& mask = Tensor(),
                                      const Tensor& src_key_padding_mask = Tensor(),
                                      Loc caller = Loc::current()) const {
    return forward(src, mask, src_key_padding_mask, caller);
  }

  std::string kind() const override { return "TransformerEncoder"; }
  int64_t num_layers() const { return static_cast<int64_t>(layers_.size()); }
  const TransformerEncoderLayer& layer(int64_t i) const { return *layers_.at(static_cast<size_t>(i)); }
  const LayerNorm* norm() const { return norm_.get(); }  // nullptr without a final norm

 private:
  void add_layers(const LayerFactory& make_layer, int64_t num_layers, std::shared_ptr<LayerNorm> norm,
                  Loc caller);

  std::vector<std::shared_ptr<TransformerEncoderLayer>> layers_;
  std::shared_ptr<LayerNorm> norm_;
};

struct TransformerDecoderOutput {
  Tensor output;                                      // [B, T, d_model], after the final norm if any
  std::vector<TransformerDecoderLayerOutput> layers;  // each layer's output, self- and cross-attention
};

class TransformerDecoder : public Module {
 public:
  using LayerFactory = std::function<std::shared_ptr<TransformerDecoderLayer>()>;
  // As TransformerEncoder: copies of decoder_layer (PyTorch's deep copies), or layers from a factory.
  TransformerDecoder(const TransformerDecoderLayer& decoder_layer, int64_t num_layers,
                     std::shared_ptr<LayerNorm> norm = nullptr, Loc caller = Loc::current());
  TransformerDecoder(const LayerFactory& make_layer, int64_t num_layers,
                     std::shared_ptr<LayerNorm> norm = nullptr, Loc caller = Loc::current());

  // tgt [B, T, d_model], memory [B, S, d_model]; masks as TransformerDecoderLayer's, given to every layer.
  TransformerDecoderOutput forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = Tensor(),
                                   const Tensor& memory_mask = Tensor(),
                                   const Tensor& tgt_key_padding_mask = Tensor(),
                                   const Tensor& memory_key_padding_mask = Tensor(),
                                   Loc caller = Loc::current()) const;
  TransformerDecoderOutput operator()(const Tensor& tgt, const Tensor& memory,
                                      const Tensor& tgt_mask = Tensor(), const Tensor& memory_mask = Tensor(),
                                      const Tensor& tgt_key_padding_mask = Tensor(),
                                      const Tensor& memory_key_padding_mask = Tensor(),
                                      Loc caller = Loc::current()) const {
    return forward(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask, caller);
  }

  std::string kind() const override { return "TransformerDecoder"; }
  int64_t num_layers() const { return static_cast<int64_t>(layers_.size()); }
  const TransformerDecoderLayer& layer(int64_t i) const { return *layers_.at(static_cast<size_t>(i)); }
  const LayerNorm* norm() const { return norm_.get(); }

 private:
  void add_layers(const LayerFactory& make_layer, int64_t num_layers, std::shared_ptr<LayerNorm> norm,
                  Loc caller);

  std::vector<std::shared_ptr<TransformerDecoderLayer>> layers_;
  std::shared_ptr<LayerNorm> norm_;
};

struct TransformerOutput {
  Tensor output;  // [B, T, d_model], the decoder's (torch.nn.Transformer returns only this)
  TransformerEncoderOutput encoder;  // encoder.output is the memory
  TransformerDecoderOutput decoder;
};

class Transformer : public Module {
 public:
  // torch.nn.Transformer's arguments in its order and with its defaults (batch_first always true):
  // both stacks end in a LayerNorm (encoder.norm, decoder.norm), and every weight matrix is then
  // re-initialised Xavier-uniform from `gen`, as PyTorch's _reset_parameters does.
  Transformer(int64_t d_model = 512, int64_t nhead = 8, int64_t num_encoder_layers = 6,
              int64_t num_decoder_layers = 6, int64_t dim_feedforward = 2048, float dropout = 0.1f,
              const std::string& activation = "relu", float layer_norm_eps = 1e-5f, bool norm_first = false,
              Generator& gen = default_generator(), Loc caller = Loc::current());

  // src [B, S, d_model], tgt [B, T, d_model] (already embedded, positions added); masks in PyTorch's
  // order: src_mask [S, S], tgt_mask [T, T] (e.g. generate_square_subsequent_mask(T)), memory_mask
  // [T, S], and key padding masks [B, S], [B, T], [B, S].
  TransformerOutput forward(const Tensor& src, const Tensor& tgt, const Tensor& src_mask = Tensor(),
                            const Tensor& tgt_mask = Tensor(), const Tensor& memory_mask = Tensor(),
                            const Tensor& src_key_padding_mask = Tensor(),
                            const Tensor& tgt_key_padding_mask = Tensor(),
                            const Tensor& memory_key_padding_mask = Tensor(),
                            Loc caller = Loc::current()) const;
  TransformerOutput operator()(const Tensor& src, const Tensor& tgt, const Tensor& src_mask = Tensor(),
                               const Tensor& tgt_mask = Tensor(), const Tensor& memory_mask = Tensor(),
                               const Tensor& src_key_padding_mask = Tensor(),
                               const Tensor& tgt_key_padding_mask = Tensor(),
                               const Tensor& memory_key_padding_mask = Tensor(),
                               Loc caller = Loc::current()) const {
    return forward(src, tgt, src_mask, tgt_mask, memory_mask, src_key_padding_mask, tgt_key_padding_mask,
                   memory_key_padding_mask, caller);
  }

  static Tensor generate_square_subsequent_mask(int64_t sz, Loc caller = Loc::current()) {
    return nn::generate_square_subsequent_mask(sz, caller);
  }

  std::string kind() const override { return "Transformer"; }
  int64_t d_model() const { return d_model_; }
  int64_t nhead() const { return nhead_; }
  const TransformerEncoder& encoder() const { return *encoder_; }
  const TransformerDecoder& decoder() const { return *decoder_; }

 private:
  int64_t d_model_, nhead_;
  std::shared_ptr<TransformerEncoder> encoder_;
  std::shared_ptr<TransformerDecoder> decoder_;
};

}  // namespace glimpse::nn
