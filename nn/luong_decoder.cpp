// Lesson 08: Luong's decoder, written as the equations in luong_decoder.hpp.
#include "nn/luong_decoder.hpp"

#include <fmt/format.h>

#include "nn/vocab.hpp"

namespace glimpse::nn {

using glimpse::detail::check;

LuongDecoder::LuongDecoder(int64_t vocab_size, int64_t embedding_dim, int64_t hidden_size,
                           int64_t encoder_size, LuongScore score, Generator& gen, Loc caller)
    : Seq2seqDecoder(vocab_size, hidden_size, encoder_size) {
  const CallerScope scope(caller);
  check(vocab_size > 0 && embedding_dim > 0 && hidden_size > 0 && encoder_size > 0, "LuongDecoder", [&] {
    return fmt::format(
        "sizes must be positive, got vocab_size {}, embedding_dim {}, hidden_size {}, encoder_size {}",
        vocab_size, embedding_dim, hidden_size, encoder_size);
  });
  const int64_t H = hidden_size, E = encoder_size;
  embedding_ =
      register_module("embedding", std::make_shared<Embedding>(vocab_size, embedding_dim, Vocab::kPad, gen));
  add_bridge_if_needed(gen);  // Linear(E, H) when E ≠ H
  cell_ = register_module("cell", std::make_shared<LSTMCell>(embedding_dim + H, H, gen));
  attention_ = register_module("attention", std::make_shared<LuongAttention>(score, H, E, 0, gen));
  combine_ = register_module("combine", std::make_shared<Linear>(E + H, H, false, gen));
  out_ = register_module("out", std::make_shared<Linear>(H, vocab_size, true, gen));
}

DecoderMemory LuongDecoder::prepare(const EncoderOutput& encoded, Loc caller) const {
  const CallerScope scope(caller);
  DecoderMemory memory = take_encoder_output("LuongDecoder", encoded);
  // What the score needs of the encoder states (W h_j for general) does not change between
  // steps: project it once per batch.
  memory.keys = attention_->project_keys(memory.states);
  return memory;
}

Tensor LuongDecoder::embed(const IndexTensor& ids, Loc caller) const {
  const CallerScope scope(caller);
  return embedding_->forward(ids);
}

DecoderState LuongDecoder::initial_state(const DecoderMemory& memory, Loc caller) const {
  const CallerScope scope(caller);
  const Tensor h0 = start_state(memory);  // tanh(W_b h_S) through the bridge, else h_S
  const Tensor zero = zeros(h0.shape());
  return {{h0, zero, zero}};  // {h, c, h̃}
}

DecoderStep LuongDecoder::step(const Tensor& embedded, const DecoderState& state, const DecoderMemory& memory,
                               Loc caller) const {
  const CallerScope scope(caller);
  check(state.tensors.size() == 3, "LuongDecoder", [&] {
    return fmt::format("expects the state {{h, c, h̃}} of initial_state(), got {} tensors",
                       state.tensors.size());
  });
  check_step("LuongDecoder", embedded, embedding_->embedding_dim(), state, memory);
  const Tensor& h_tilde_previous = state.tensors[2];
  // Input feeding: the previous attentional state goes in beside the previous token.
  const LSTMState hc =
      cell_->forward(cat({embedded, h_tilde_previous}, 1), {state.tensors[0], state.tensors[1]});
  // The current state asks: which source positions matter now?
  const AttentionOutput a = attention_->forward(hc.h, memory.states, memory.keys, memory.padding_mask);
  const Tensor h_tilde = tanh(combine_->forward(cat({a.context, hc.h}, 1)));
  const Tensor logits = out_->forward(h_tilde);
  emit_step({{"h", hc.h},
             {"c", hc.c},
             {"context", a.context},
             {"weights", a.weights},
             {"h_tilde", h_tilde},
             {"logits", logits}});
  return {logits, {{hc.h, hc.c, h_tilde}}, a.context, a.weights};
}

}  // namespace glimpse::nn
