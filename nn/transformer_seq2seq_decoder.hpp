// A Transformer decoder behind the seq2seq decoder interface (nn/seq2seq.hpp), so greedy and
// beam decoding (nn/decoding.hpp) drive it unchanged, beside the GRU and LSTM decoders.
// Introduced with issue 11 (the Transformer translates).
//
// A recurrent decoder carries s_t; a Transformer decoder re-reads everything it has produced, so
// its state is the target so far: DecoderState{h_t, x_1..t} with x_i the embedded tokens (one row
// per sequence, so beam search picks rows of it as of any state). Each step
//   x = [x_1 .. x_t] + positions (sinusoidal, or learned)             [B, t, d]
//   y = decoder(x, memory, causal_mask(t), memory_key_padding_mask)   (a TransformerDecoder)
//   h_t = y[:, t-1],  logits = out(h_t)
// The causal mask keeps each row's view what it was when that row was last, so step-by-step
// decoding equals one teacher-forced pass over the whole target (tested). The step reports the
// last layer's cross-attention (averaged over heads) as its attention over the source, and the
// memory it weights as its context. Each step recomputes the prefix: O(T²) for T steps, the
// price of keeping the interface; a KV cache would remove it. Training does not pay it: a
// teacher-forced forward reads all T tokens in one pass (forward_all).
//
// Children: "embedding" (<pad> = id 0 stays a zero vector), "positions" (learned positions only),
// "decoder" (layers.N..., norm), "out".
#pragma once

#include <memory>
#include <string>

#include "nn/embedding.hpp"
#include "nn/learned_positional_embedding.hpp"
#include "nn/linear.hpp"
#include "nn/seq2seq.hpp"
#include "nn/transformer.hpp"

namespace glimpse::nn {

class TransformerSeq2seqDecoder : public Seq2seqDecoder {
 public:
  // Reads encoder states of size d_model (the encoder's output_size()); num_layers decoder
  // layers, each TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
  // 1e-5, norm_first), made one by one from `gen`, then a final LayerNorm as nn.Transformer's.
  TransformerSeq2seqDecoder(int64_t vocab_size, int64_t d_model, int64_t nhead, int64_t num_layers,
                            int64_t dim_feedforward, float dropout = 0.1f,
                            const std::string& activation = "relu", bool norm_first = false,
                            Generator& gen = default_generator(),
                            Positions positions = Positions::sinusoidal(), Loc caller = Loc::current());

  DecoderMemory prepare(const EncoderOutput& encoded, Loc caller = Loc::current()) const override;
  Tensor embed(const IndexTensor& ids, Loc caller = Loc::current()) const override;
  // The state before the first step: {h_0 = 0} and no tokens yet.
  DecoderState initial_state(const DecoderMemory& memory, Loc caller = Loc::current()) const override;
  DecoderStep step(const Tensor& embedded, const DecoderState& state, const DecoderMemory& memory,
                   Loc caller = Loc::current()) const override;
  bool has_attention() const override { return true; }
  std::string kind() const override { return "TransformerSeq2seqDecoder"; }

  // The whole target at once, teacher-forced: embedded [B, T, d] → logits [B, T, V]; what the
  // steps compute one row at a time.
  Tensor forward_all(const Tensor& embedded, const DecoderMemory& memory, Loc caller = Loc::current()) const;

  // The same pass with what each layer saw: its output, its self- and cross-attention, every head's
  // (what lesson 12 draws). embedded [B, T, d] + positions → the decoder stack under the causal mask.
  TransformerDecoderOutput forward_layers(const Tensor& embedded, const DecoderMemory& memory,
                                          Loc caller = Loc::current()) const;

  const TransformerDecoder& decoder() const { return *decoder_; }

 protected:
  // Teacher forcing reads the whole target in one pass, forward_all's (the same numbers as the
  // steps, tested). A tracer then gets each layer's attention once, over the whole target, and
  // the decoder's step values (h, context, weights, logits) one step at a time as from step().
  std::optional<DecoderOutput> forward_teacher_forced(const IndexTensor& decoder_input,
                                                      const DecoderMemory& memory) const override;

 private:
  std::shared_ptr<Embedding> embedding_;
  std::shared_ptr<LearnedPositionalEmbedding> positions_;  // null: the sinusoids
  std::shared_ptr<TransformerDecoder> decoder_;
  std::shared_ptr<Linear> out_;
};

}  // namespace glimpse::nn
