// Issue 11: the Transformer encoder as a Seq2seqEncoder, written as the equations in its header.
#include "nn/transformer_seq2seq_encoder.hpp"

#include <fmt/format.h>

#include "nn/positional_encoding.hpp"
#include "nn/vocab.hpp"

namespace glimpse::nn {

using glimpse::detail::check;

TransformerSeq2seqEncoder::TransformerSeq2seqEncoder(int64_t vocab_size, int64_t d_model, int64_t nhead,
                                                     int64_t num_layers, int64_t dim_feedforward,
                                                     float dropout, const std::string& activation,
                                                     bool norm_first, Generator& gen, Loc caller)
    : d_model_(d_model) {
  const CallerScope scope(caller);
  embedding_ =
      register_module("embedding", std::make_shared<Embedding>(vocab_size, d_model, Vocab::kPad, gen));
  const auto make_layer = [&] {
    return std::make_shared<TransformerEncoderLayer>(d_model, nhead, dim_feedforward, dropout, activation,
                                                     1e-5f, norm_first, gen);
  };
  encoder_ = register_module("encoder", std::make_shared<TransformerEncoder>(
                                            make_layer, num_layers, std::make_shared<LayerNorm>(d_model)));
}

TransformerEncoderOutput TransformerSeq2seqEncoder::forward_layers(const IndexTensor& source,
                                                                   const Tensor& source_mask,
                                                                   Loc caller) const {
  const CallerScope scope(caller);
  check(source.shape.size() == 2 && source.shape[1] >= 1, "TransformerSeq2seqEncoder", [&] {
    return fmt::format("expects source ids [batch, length >= 1], got {}", to_string(source.shape));
  });
  check(!source_mask.defined() || source_mask.shape() == source.shape, "TransformerSeq2seqEncoder", [&] {
    return fmt::format("source_mask must have the source's shape {} (1 = real token), got {}",
                       to_string(source.shape), to_string(source_mask.shape()));
  });
  const int64_t S = source.shape[1];
  const Tensor x = embedding_->forward(source) + sinusoidal_encoding(S, d_model_);  // [B, S, d]
  // attention's convention: 1 = padding
  return encoder_->forward(x, Tensor(), source_mask.defined() ? 1.0f - source_mask : Tensor());
}

EncoderOutput TransformerSeq2seqEncoder::forward(const IndexTensor& source, const Tensor& source_mask,
                                                 Loc caller) const {
  const CallerScope scope(caller);
  EncoderOutput out;
  out.states = forward_layers(source, source_mask).output;
  if (source_mask.defined()) out.padding_mask = 1.0f - source_mask;  // attention's convention: 1 = padding
  // The mean over the real tokens: padding rows count 0 in the sum and in the count.
  if (source_mask.defined()) {
    const Tensor real = source_mask.unsqueeze(2);  // [B, S, 1]
    out.final = (out.states * real).sum({1}) / real.sum({1});
  } else {
    out.final = out.states.mean({1});
  }
  return out;
}

}  // namespace glimpse::nn
