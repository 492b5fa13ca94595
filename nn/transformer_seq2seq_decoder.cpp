// Issue 11: the Transformer decoder as a Seq2seqDecoder, its state the target so far.
#include "nn/transformer_seq2seq_decoder.hpp"

#include <fmt/format.h>

#include "nn/attention_mask.hpp"
#include "nn/positional_encoding.hpp"
#include "nn/vocab.hpp"

namespace glimpse::nn {

using glimpse::detail::check;

TransformerSeq2seqDecoder::TransformerSeq2seqDecoder(int64_t vocab_size, int64_t d_model, int64_t nhead,
                                                     int64_t num_layers, int64_t dim_feedforward,
                                                     float dropout, const std::string& activation,
                                                     bool norm_first, Generator& gen, Positions positions,
                                                     Loc caller)
    : Seq2seqDecoder(vocab_size, d_model, d_model) {
  const CallerScope scope(caller);
  embedding_ =
      register_module("embedding", std::make_shared<Embedding>(vocab_size, d_model, Vocab::kPad, gen));
  if (positions.is_learned())
    positions_ = register_module(
        "positions", std::make_shared<LearnedPositionalEmbedding>(positions.learned_max_len, d_model, gen));
  decoder_ = register_module("decoder", std::make_shared<TransformerDecoder>(
                                            [&] {
                                              return std::make_shared<TransformerDecoderLayer>(
                                                  d_model, nhead, dim_feedforward, dropout, activation, 1e-5f,
                                                  norm_first, gen);
                                            },
                                            num_layers, std::make_shared<LayerNorm>(d_model)));
  out_ = register_module("out", std::make_shared<Linear>(d_model, vocab_size, true, gen));
}

DecoderMemory TransformerSeq2seqDecoder::prepare(const EncoderOutput& encoded, Loc caller) const {
  const CallerScope scope(caller);
  return take_encoder_output("TransformerSeq2seqDecoder", encoded);  // attention reads memory.states
}

Tensor TransformerSeq2seqDecoder::embed(const IndexTensor& ids, Loc caller) const {
  const CallerScope scope(caller);
  return embedding_->forward(ids);
}

DecoderState TransformerSeq2seqDecoder::initial_state(const DecoderMemory& memory, Loc caller) const {
  const CallerScope scope(caller);
  return {{zeros({memory.states.size(0), hidden_size()})}};  // h_0; the tokens join at each step
}

TransformerDecoderOutput TransformerSeq2seqDecoder::forward_layers(const Tensor& embedded,
                                                                   const DecoderMemory& memory,
                                                                   Loc caller) const {
  const CallerScope scope(caller);
  check(embedded.dim() == 3 && embedded.size(0) == memory.states.size(0) && embedded.size(2) == hidden_size(),
        "TransformerSeq2seqDecoder", caller, [&] {
          return fmt::format("expects the embedded target [{}, T, {}], got {}", memory.states.size(0),
                             hidden_size(), to_string(embedded.shape()));
        });
  const int64_t T = embedded.size(1);
  const Tensor x = add_positions(embedded, positions_.get());
  return decoder_->forward(x, memory.states, causal_mask(T), Tensor(), Tensor(), memory.padding_mask);
}

Tensor TransformerSeq2seqDecoder::forward_all(const Tensor& embedded, const DecoderMemory& memory,
                                              Loc caller) const {
  const CallerScope scope(caller);
  return out_->forward(forward_layers(embedded, memory).output);
}

std::optional<DecoderOutput> TransformerSeq2seqDecoder::forward_teacher_forced(
    const IndexTensor& decoder_input, const DecoderMemory& memory) const {
  const TransformerDecoderOutput y = forward_layers(embed(decoder_input), memory);
  DecoderOutput out{out_->forward(y.output), y.layers.back().cross_weights};  // as step() reports
  if (tracing()) {
    const Tensor context = matmul(out.attention, memory.states);  // [B, T, E]
    for (int64_t t = 0; t < out.logits.size(1); ++t) {
      StepScope step(t);
      emit_step({{"h", y.output.select(1, t)},
                 {"context", context.select(1, t)},
                 {"weights", out.attention.select(1, t)},
                 {"logits", out.logits.select(1, t)}});
    }
  }
  return out;
}

DecoderStep TransformerSeq2seqDecoder::step(const Tensor& embedded, const DecoderState& state,
                                            const DecoderMemory& memory, Loc caller) const {
  const CallerScope scope(caller);
  check_step("TransformerSeq2seqDecoder", embedded, hidden_size(), state, memory);
  // The target so far: the tokens of earlier steps (state.tensors[1], from step 2 on) and this one.
  const Tensor token = embedded.unsqueeze(1);                                                  // [B, 1, d]
  const Tensor tokens = state.tensors.size() > 1 ? cat({state.tensors[1], token}, 1) : token;  // [B, t, d]
  const int64_t t = tokens.size(1);
  const TransformerDecoderOutput y = forward_layers(tokens, memory);
  const Tensor h = y.output.select(1, t - 1);                                     // [B, d]
  const Tensor logits = out_->forward(h);                                         // [B, V]
  const Tensor weights = y.layers.back().cross_weights.select(1, t - 1);          // [B, S]
  const Tensor context = matmul(weights.unsqueeze(1), memory.states).squeeze(1);  // [B, E]
  emit_step({{"h", h}, {"context", context}, {"weights", weights}, {"logits", logits}});
  return {logits, {{h, tokens}}, context, weights};
}

}  // namespace glimpse::nn
