// LuongDecoder: global attention with input feeding (Luong, Pham & Manning 2015, Eq. 5-8 and
// §3.3), beside the Bahdanau decoder of nn/seq2seq.hpp. Introduced in lesson 08 (scoring).
//
//   h_t, c_t = LSTM([emb(y_{t-1}); h̃_{t-1}], (h_{t-1}, c_{t-1}))   input feeding: h̃ goes back in
//   a_t      = softmax_j score(h_t, h̄_j)        Eq. 7: dot, general or concat (nn/luong_attention.hpp)
//   ctx_t    = Σ_j a_tj h̄_j                     the context vector
//   h̃_t      = tanh(W_c [ctx_t; h_t])            Eq. 5, the attentional hidden state
//   logits_t = W_s h̃_t                          Eq. 6 (softmax in the loss)
//
// Two differences from Bahdanau's decoder: attention reads the *current* state h_t (Bahdanau's
// the previous one), and the state the decoder carries is {h, c, h̃}, not one vector. Its size H
// is the decoder's own: when it differs from the encoder's E, a bridge layer makes the start,
// h_0 = tanh(W_b h_S) (Bahdanau et al.'s s_0 = tanh(W_s h←_1)); c_0 = 0 and h̃_0 = 0.
#pragma once

#include <memory>
#include <string>

#include "nn/linear.hpp"
#include "nn/lstm_cell.hpp"
#include "nn/luong_attention.hpp"
#include "nn/seq2seq.hpp"

namespace glimpse::nn {

// Children "embedding", "bridge" (Linear(E, H), only when E ≠ H), "cell" (LSTMCell(embedding_dim
// + H, H)), "attention" (LuongAttention(score, H, E)), "combine" (W_c: Linear(E + H, H, no bias))
// and "out" (W_s: Linear(H, V)).
class LuongDecoder : public Seq2seqDecoder {
 public:
  LuongDecoder(int64_t vocab_size, int64_t embedding_dim, int64_t hidden_size, int64_t encoder_size,
               LuongScore score = LuongScore::General, Generator& gen = default_generator(),
               Loc caller = Loc::current());

  DecoderMemory prepare(const EncoderOutput& encoded, Loc caller = Loc::current()) const override;
  Tensor embed(const IndexTensor& ids, Loc caller = Loc::current()) const override;
  // {h_0, c_0, h̃_0}: see the top of this file.
  DecoderState initial_state(const DecoderMemory& memory, Loc caller = Loc::current()) const override;
  // state = {h, c, h̃}; emits {"h", "c", "context", "weights", "h_tilde", "logits"} to the tracer.
  DecoderStep step(const Tensor& embedded, const DecoderState& state, const DecoderMemory& memory,
                   Loc caller = Loc::current()) const override;
  bool has_attention() const override { return true; }
  std::string kind() const override { return "LuongDecoder"; }

  const LuongAttention& attention() const { return *attention_; }

 private:
  std::shared_ptr<Embedding> embedding_;
  std::shared_ptr<LSTMCell> cell_;
  std::shared_ptr<LuongAttention> attention_;
  std::shared_ptr<Linear> combine_, out_;
};

}  // namespace glimpse::nn
