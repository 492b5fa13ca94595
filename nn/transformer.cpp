// Issue 11: the encoder-decoder Transformer, stacks of the encoder and decoder blocks.
#include "nn/transformer.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <utility>

#include "nn/attention_mask.hpp"
#include "nn/init.hpp"

namespace glimpse::nn {

Tensor generate_square_subsequent_mask(int64_t sz, Loc caller) {
  const CallerScope scope(caller);
  return additive_mask(causal_mask(sz, caller), "generate_square_subsequent_mask", caller);
}

namespace {

void check_num_layers(int64_t num_layers, const char* op, Loc caller) {
  glimpse::detail::check(num_layers >= 1, op, caller,
                         [&] { return fmt::format("num_layers must be at least 1, got {}", num_layers); });
}

}  // namespace

// ---- TransformerEncoder ----------------------------------------------------------------------

TransformerEncoder::TransformerEncoder(const TransformerEncoderLayer& encoder_layer, int64_t num_layers,
                                       std::shared_ptr<LayerNorm> norm, Loc caller) {
  add_layers([&] { return encoder_layer.clone(caller); }, num_layers, std::move(norm), caller);
}

TransformerEncoder::TransformerEncoder(const LayerFactory& make_layer, int64_t num_layers,
                                       std::shared_ptr<LayerNorm> norm, Loc caller) {
  add_layers(make_layer, num_layers, std::move(norm), caller);
}

void TransformerEncoder::add_layers(const LayerFactory& make_layer, int64_t num_layers,
                                    std::shared_ptr<LayerNorm> norm, Loc caller) {
  const CallerScope scope(caller);
  check_num_layers(num_layers, "TransformerEncoder", caller);
  // "layers.0", "layers.1", …: PyTorch's ModuleList names, so the dotted paths match its state_dict.
  for (int64_t i = 0; i < num_layers; ++i)
    layers_.push_back(register_module(fmt::format("layers.{}", i), make_layer()));
  if (norm) norm_ = register_module("norm", std::move(norm));
}

TransformerEncoderOutput TransformerEncoder::forward(const Tensor& src, const Tensor& mask,
                                                     const Tensor& src_key_padding_mask, Loc caller) const {
  const CallerScope scope(caller);
  TransformerEncoderOutput out;
  Tensor x = src;
  for (const auto& layer : layers_) {
    out.layers.push_back(layer->forward(x, mask, src_key_padding_mask));
    x = out.layers.back().output;
  }
  out.output = norm_ ? norm_->forward(x) : x;
  return out;
}

// ---- TransformerDecoder ----------------------------------------------------------------------

TransformerDecoder::TransformerDecoder(const TransformerDecoderLayer& decoder_layer, int64_t num_layers,
                                       std::shared_ptr<LayerNorm> norm, Loc caller) {
  add_layers([&] { return decoder_layer.clone(caller); }, num_layers, std::move(norm), caller);
}

TransformerDecoder::TransformerDecoder(const LayerFactory& make_layer, int64_t num_layers,
                                       std::shared_ptr<LayerNorm> norm, Loc caller) {
  add_layers(make_layer, num_layers, std::move(norm), caller);
}

void TransformerDecoder::add_layers(const LayerFactory& make_layer, int64_t num_layers,
                                    std::shared_ptr<LayerNorm> norm, Loc caller) {
  const CallerScope scope(caller);
  check_num_layers(num_layers, "TransformerDecoder", caller);
  for (int64_t i = 0; i < num_layers; ++i)
    layers_.push_back(register_module(fmt::format("layers.{}", i), make_layer()));
  if (norm) norm_ = register_module("norm", std::move(norm));
}

TransformerDecoderOutput TransformerDecoder::forward(const Tensor& tgt, const Tensor& memory,
                                                     const Tensor& tgt_mask, const Tensor& memory_mask,
                                                     const Tensor& tgt_key_padding_mask,
                                                     const Tensor& memory_key_padding_mask,
                                                     Loc caller) const {
  const CallerScope scope(caller);
  TransformerDecoderOutput out;
  Tensor x = tgt;
  for (const auto& layer : layers_) {
    out.layers.push_back(
        layer->forward(x, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask));
    x = out.layers.back().output;
  }
  out.output = norm_ ? norm_->forward(x) : x;
  return out;
}

// ---- Transformer -----------------------------------------------------------------------------

Transformer::Transformer(int64_t d_model, int64_t nhead, int64_t num_encoder_layers,
                         int64_t num_decoder_layers, int64_t dim_feedforward, float dropout,
                         const std::string& activation, float layer_norm_eps, bool norm_first, Generator& gen,
                         Loc caller)
    : d_model_(d_model), nhead_(nhead) {
  const CallerScope scope(caller);
  const TransformerEncoderLayer encoder_layer(d_model, nhead, dim_feedforward, dropout, activation,
                                              layer_norm_eps, norm_first, gen, caller);
  encoder_ =
      register_module("encoder", std::make_shared<TransformerEncoder>(
                                     encoder_layer, num_encoder_layers,
                                     std::make_shared<LayerNorm>(d_model, layer_norm_eps, true), caller));
  const TransformerDecoderLayer decoder_layer(d_model, nhead, dim_feedforward, dropout, activation,
                                              layer_norm_eps, norm_first, gen, caller);
  decoder_ =
      register_module("decoder", std::make_shared<TransformerDecoder>(
                                     decoder_layer, num_decoder_layers,
                                     std::make_shared<LayerNorm>(d_model, layer_norm_eps, true), caller));
  // PyTorch's _reset_parameters: Xavier/Glorot uniform for every matrix, U(-b, b) with
  // b = √(6 / (fan_in + fan_out)); biases and norms keep their values.
  for (auto& [name, p] : named_parameters()) {
    if (p.dim() < 2) continue;
    const float bound = std::sqrt(6.0f / static_cast<float>(p.size(0) + p.size(1)));
    init::uniform_(p, -bound, bound, gen);
  }
}

TransformerOutput Transformer::forward(const Tensor& src, const Tensor& tgt, const Tensor& src_mask,
                                       const Tensor& tgt_mask, const Tensor& memory_mask,
                                       const Tensor& src_key_padding_mask, const Tensor& tgt_key_padding_mask,
                                       const Tensor& memory_key_padding_mask, Loc caller) const {
  const CallerScope scope(caller);
  glimpse::detail::check_defined({&src, &tgt}, "Transformer");
  glimpse::detail::check(
      src.dim() == 3 && tgt.dim() == 3 && src.size(0) == tgt.size(0) && src.size(2) == d_model_ &&
          tgt.size(2) == d_model_,
      "Transformer", caller, [&] {
        return fmt::format(
            "expected src [B, S, {0}] and tgt [B, T, {0}] (batch first, one B), got src {1} and tgt {2}",
            d_model_, to_string(src.shape()), to_string(tgt.shape()));
      });
  TransformerOutput out;
  out.encoder = encoder_->forward(src, src_mask, src_key_padding_mask);
  out.decoder = decoder_->forward(tgt, out.encoder.output, tgt_mask, memory_mask, tgt_key_padding_mask,
                                  memory_key_padding_mask);
  out.output = out.decoder.output;
  return out;
}

}  // namespace glimpse::nn
