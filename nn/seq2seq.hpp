// Sequence to sequence: an Encoder reads the source, a decoder writes the target token by token.
// Introduced in lesson 05 (the fixed-vector bottleneck: Decoder) and lesson 06 (attention:
// AttentionDecoder); lesson 07 reads the AttentionDecoder's weights as alignments.
//
//   Encoder          embedding → GRU (optionally bidirectional) → one state per source token
//                    h_1..h_S [B, S, E] and a final state [B, E] (E = H, or 2H bidirectional).
//   Decoder          (Cho et al. 2014) sees the source only through the final state c = h_S:
//                        s_t = GRU([emb(y_{t-1}); c], s_{t-1}),  logits_t = out([s_t; c])
//                    Everything the source says must squeeze through one vector of size E
//                    (or E/2: a bidirectional encoder's forward half alone, FinalState::ForwardOnly).
//   AttentionDecoder (Bahdanau et al. 2015) recomputes c at every step from *all* states:
//                        c_t, α_t = attention(s_{t-1}, h_1..h_S)     (padding gets weight 0)
//                        s_t = GRU([emb(y_{t-1}); c_t], s_{t-1}),  logits_t = out([s_t; c_t])
//                    — the model of the PyTorch reference program of bench/seq2seq.cpp.
// Both decoders start from s_0 = the encoder's final state when their hidden size H is E, and
// from s_0 = tanh(W_b h_S) through a bridge layer when it is not (Bahdanau et al.'s
// s_0 = tanh(W_s h←_1), with the final state in place of h←_1). They share one interface,
// Seq2seqDecoder, so lessons 05 and 06 swap one for the other and change nothing else: the only
// difference between them is whether c is fixed or attended.
//
// Masks: Batch::source_mask has 1 for real tokens. The encoder uses it so padding does not change
// the GRU state (its final state is the state after the last real token), and turns it into
// attention's convention (1 = padding, see nn/attention_mask.hpp) for the decoder.
//
// Every decoder step runs inside StepScope(t), so the tracer sees each step's GRU gates,
// attention weights and logits tagged with the target position t.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "autograd/random.hpp"
#include "nn/bahdanau_attention.hpp"
#include "nn/batch.hpp"
#include "nn/embedding.hpp"
#include "nn/gru_cell.hpp"
#include "nn/linear.hpp"
#include "nn/module.hpp"
#include "nn/rnn.hpp"

namespace glimpse::nn {

// What the encoder hands to a decoder.
struct EncoderOutput {
  Tensor states;        // [B, S, E]: the state after each source token (padding: carried over)
  Tensor final;         // [B, E]: the state after the last real token (both directions, side by side)
  Tensor padding_mask;  // [B, S]: 1 = padding (attention's convention); undefined when none given
  int64_t directions = 1;  // 2 for a bidirectional encoder: final = [h→_S; h←_1]
};

// What a decoder needs of an encoder: source ids in, EncoderOutput out, and the size E of its
// states. Encoder (below: a GRU or LSTM) is one; TransformerSeq2seqEncoder
// (nn/transformer_seq2seq_encoder.hpp) is another.
class Seq2seqEncoder : public Module {
 public:
  // source [B, S] ids; source_mask [B, S] with 1 = real token (optional: no padding).
  virtual EncoderOutput forward(const IndexTensor& source, const Tensor& source_mask = Tensor(),
                                Loc caller = Loc::current()) const = 0;
  // E: the size of each state and of the final state.
  virtual int64_t output_size() const = 0;
};

// The recurrence an Encoder runs over the source.
enum class EncoderCell { GRU, LSTM };

class Encoder : public Seq2seqEncoder {
 public:
  // Children "embedding" (<pad> = id 0 stays a zero vector) and "gru".
  Encoder(int64_t vocab_size, int64_t embedding_dim, int64_t hidden_size, bool bidirectional = false,
          Generator& gen = default_generator(), Loc caller = Loc::current());
  // The same with the recurrence chosen: children "embedding" and "gru" or "lstm". An LSTM's
  // final state handed on is its h (the cell state c stays inside the encoder).
  Encoder(EncoderCell cell, int64_t vocab_size, int64_t embedding_dim, int64_t hidden_size,
          bool bidirectional = false, Generator& gen = default_generator(), Loc caller = Loc::current());

  // source [B, S] ids; source_mask [B, S] with 1 = real token (optional: no padding).
  EncoderOutput forward(const IndexTensor& source, const Tensor& source_mask = Tensor(),
                        Loc caller = Loc::current()) const override;

  std::string kind() const override { return "Encoder"; }
  // E: the size of each state and of the final state (2·hidden_size when bidirectional).
  int64_t output_size() const override { return output_size_; }
  bool bidirectional() const { return lstm_ ? lstm_->bidirectional() : gru_->bidirectional(); }
  EncoderCell cell() const { return lstm_ ? EncoderCell::LSTM : EncoderCell::GRU; }

 private:
  std::shared_ptr<Embedding> embedding_;
  std::shared_ptr<GRU> gru_;  // one of these two is set
  std::shared_ptr<LSTM> lstm_;
  int64_t output_size_;
};

// What a decoder reads from the source at every step, prepared once per batch.
struct DecoderMemory {
  Tensor states;        // [B, S, E] encoder states
  Tensor final;         // [B, C] the part of the encoder's final state the decoder reads (C = E, or
                        // E/2 for FinalState::ForwardOnly): s_0 or the bridge's input, Decoder's c
  Tensor padding_mask;  // [B, S] 1 = padding, or undefined
  Tensor keys;          // [B, S, A] attention's U·h_j, computed once (undefined for Decoder)
};

// A decoder's recurrent state, of the decoder's own making: {s} for the GRU decoders here,
// {h, c, h̃} for LuongDecoder's LSTM with input feeding (nn/luong_decoder.hpp). Every tensor has
// one row per sequence, [B, ...], so greedy and beam decoding carry it, and pick rows of it,
// without knowing what it holds.
struct DecoderState {
  std::vector<Tensor> tensors;
  // The decoder's hidden state s_t, the one lessons print and the tracer draws: the first tensor.
  const Tensor& hidden() const { return tensors.front(); }
  // The state of the sequences `rows` (beam search follows each hypothesis's parent).
  DecoderState rows(const IndexTensor& rows) const;
};

// One decoder step's results.
struct DecoderStep {
  Tensor logits;       // [B, V] scores for the next token
  DecoderState state;  // the new state (state.hidden() = s_t)
  Tensor context;      // [B, E] what the decoder saw of the source: c (Decoder) or c_t (attention)
  Tensor attention;    // [B, S] weights over the source positions; undefined for Decoder
};

// A whole teacher-forced (or partly free-running) pass.
struct DecoderOutput {
  Tensor logits;     // [B, T, V]
  Tensor attention;  // [B, T, S]; undefined for Decoder
};

// Which part of the encoder's final state a decoder reads. A bidirectional encoder's is
// [h→_S; h←_1]: the forward direction after the last token beside the backward one after the first.
enum class FinalState {
  BothDirections,  // all of it (for a one-direction encoder, its only direction)
  ForwardOnly,     // h→_S alone, the left-to-right reading (a bidirectional encoder only)
};

// How a decoder of hidden size H meets its encoder. The defaults are lessons 05 and 06's: E = H,
// the whole final state, no bridge.
struct DecoderOptions {
  int64_t encoder_size = 0;  // E, the encoder's output_size(); 0: E = H
  FinalState final_state = FinalState::BothDirections;
  int64_t attention_dim = 0;  // AttentionDecoder's A; 0: A = H
};

// The interface both decoders implement (lesson 05 vs lesson 06).
class Seq2seqDecoder : public Module {
 public:
  // Per-batch preparation: copies the encoder output, and (attention) projects the keys.
  virtual DecoderMemory prepare(const EncoderOutput& encoded, Loc caller = Loc::current()) const = 0;
  // Embeds token ids of any shape (ids.shape + [embedding_dim]).
  virtual Tensor embed(const IndexTensor& ids, Loc caller = Loc::current()) const = 0;
  // The state before the first step: {s_0}, s_0 = memory.final, or tanh(W_b memory.final) through
  // the bridge when its size is not H. A decoder of another kind (LSTM, input feeding) makes its own.
  virtual DecoderState initial_state(const DecoderMemory& memory, Loc caller = Loc::current()) const;
  // One step from the embedded previous token [B, embedding_dim] and the state before it.
  virtual DecoderStep step(const Tensor& embedded, const DecoderState& state, const DecoderMemory& memory,
                           Loc caller = Loc::current()) const = 0;
  virtual bool has_attention() const = 0;
  int64_t vocab_size() const { return vocab_size_; }
  int64_t hidden_size() const { return hidden_size_; }
  // E: the size of the encoder states (and final state) it reads.
  int64_t encoder_size() const { return encoder_size_; }
  FinalState final_state() const { return final_state_; }
  bool has_bridge() const { return bridge_ != nullptr; }
  const Linear& bridge() const;  // W_b (an error when there is none)

  // Runs T = decoder_input.shape[1] steps from s_0 = memory.final. Step 0 reads decoder_input[:, 0]
  // (<sos>); each later step reads the true previous token (teacher forcing) with probability
  // `teacher_forcing_ratio`, else the model's own previous prediction (argmax), decided once per
  // step for the whole batch by `gen`. Ratio 1 (the default) never needs `gen`; a ratio below 1
  // without a generator is an error.
  // A decoder that can read the whole target in one pass (the Transformer's, under a causal mask)
  // does so when every step is teacher-forced; the recurrent ones step.
  DecoderOutput forward(const IndexTensor& decoder_input, const DecoderMemory& memory,
                        float teacher_forcing_ratio = 1.0f, Generator* gen = nullptr,
                        Loc caller = Loc::current()) const;

 protected:
  // The teacher-forced pass in one go, equal to T steps; nullopt (the default): step one by one.
  virtual std::optional<DecoderOutput> forward_teacher_forced(const IndexTensor& decoder_input,
                                                              const DecoderMemory& memory) const {
    (void)decoder_input, (void)memory;
    return std::nullopt;
  }
  Seq2seqDecoder(int64_t vocab_size, int64_t hidden_size, int64_t encoder_size,
                 FinalState final_state = FinalState::BothDirections)
      : vocab_size_(vocab_size),
        hidden_size_(hidden_size),
        encoder_size_(encoder_size),
        final_state_(final_state) {}
  // C: the size of memory.final, the part of the encoder's final state read.
  int64_t final_size() const {
    return final_state_ == FinalState::ForwardOnly ? encoder_size_ / 2 : encoder_size_;
  }
  // Registers the child "bridge", Linear(C, H), when C ≠ H (call it where the child belongs).
  void add_bridge_if_needed(Generator& gen);
  // s_0: memory.final, through the bridge when there is one.
  Tensor start_state(const DecoderMemory& memory) const;
  // Checks an encoder output's sizes and keeps the part of its final state this decoder reads.
  DecoderMemory take_encoder_output(const char* who, const EncoderOutput& encoded) const;
  // Checks the sizes common to both decoders' step().
  void check_step(const char* who, const Tensor& embedded, int64_t embedding_dim, const DecoderState& state,
                  const DecoderMemory& memory) const;

 private:
  int64_t vocab_size_;
  int64_t hidden_size_;
  int64_t encoder_size_;
  FinalState final_state_;
  std::shared_ptr<Linear> bridge_;
};

// The decoder without attention: the fixed-vector bottleneck (Cho et al. 2014).
// Children "embedding", "bridge" (Linear(C, H), only when C ≠ H), "cell" (GRUCell(embedding_dim
// + C, H)), "out" (Linear(H + C, V)); C is the size of the context c (see DecoderOptions).
class Decoder : public Seq2seqDecoder {
 public:
  // hidden_size must equal the encoder's output_size().
  Decoder(int64_t vocab_size, int64_t embedding_dim, int64_t hidden_size,
          Generator& gen = default_generator(), Loc caller = Loc::current());
  // Any encoder: options.encoder_size = E and which part of its final state is c.
  Decoder(int64_t vocab_size, int64_t embedding_dim, int64_t hidden_size, const DecoderOptions& options,
          Generator& gen = default_generator(), Loc caller = Loc::current());

  DecoderMemory prepare(const EncoderOutput& encoded, Loc caller = Loc::current()) const override;
  Tensor embed(const IndexTensor& ids, Loc caller = Loc::current()) const override;
  DecoderStep step(const Tensor& embedded, const DecoderState& state, const DecoderMemory& memory,
                   Loc caller = Loc::current()) const override;
  bool has_attention() const override { return false; }
  std::string kind() const override { return "Decoder"; }

 private:
  std::shared_ptr<Embedding> embedding_;
  std::shared_ptr<GRUCell> cell_;
  std::shared_ptr<Linear> out_;
};

// The decoder with Bahdanau attention. Children "embedding", "bridge" (Linear(C, H), only when
// C ≠ H), "attention" (BahdanauAttention(H, E, A)), "cell" (GRUCell(embedding_dim + E, H)),
// "out" (Linear(H + E, V)).
class AttentionDecoder : public Seq2seqDecoder {
 public:
  // hidden_size must equal the encoder's output_size(); attention_dim = A (0: same as hidden_size).
  AttentionDecoder(int64_t vocab_size, int64_t embedding_dim, int64_t hidden_size, int64_t attention_dim = 0,
                   Generator& gen = default_generator(), Loc caller = Loc::current());
  // Any encoder: options.encoder_size = E (a bridge makes s_0 when the final state read is not H).
  AttentionDecoder(int64_t vocab_size, int64_t embedding_dim, int64_t hidden_size,
                   const DecoderOptions& options, Generator& gen = default_generator(),
                   Loc caller = Loc::current());

  DecoderMemory prepare(const EncoderOutput& encoded, Loc caller = Loc::current()) const override;
  Tensor embed(const IndexTensor& ids, Loc caller = Loc::current()) const override;
  DecoderStep step(const Tensor& embedded, const DecoderState& state, const DecoderMemory& memory,
                   Loc caller = Loc::current()) const override;
  bool has_attention() const override { return true; }
  std::string kind() const override { return "AttentionDecoder"; }

  const BahdanauAttention& attention() const { return *attention_; }

 private:
  std::shared_ptr<Embedding> embedding_;
  std::shared_ptr<BahdanauAttention> attention_;
  std::shared_ptr<GRUCell> cell_;
  std::shared_ptr<Linear> out_;
};

// Encoder + decoder, as one module: parameters "encoder.…" and "decoder.…"
// ("decoder.attention.W.weight").
class Seq2seq : public Module {
 public:
  Seq2seq(std::shared_ptr<Seq2seqEncoder> encoder, std::shared_ptr<Seq2seqDecoder> decoder,
          Loc caller = Loc::current());

  // Encodes `source` and prepares the decoder's memory.
  DecoderMemory encode(const IndexTensor& source, const Tensor& source_mask = Tensor(),
                       Loc caller = Loc::current()) const;
  // Logits [B, T, V] (and attention [B, T, S]) for a batch, teacher-forced with the given ratio.
  DecoderOutput forward(const Batch& batch, float teacher_forcing_ratio = 1.0f, Generator* gen = nullptr,
                        Loc caller = Loc::current()) const;
  // Mean cross-entropy over the batch's real target tokens (padding is ignore_index).
  Tensor loss(const Batch& batch, float teacher_forcing_ratio = 1.0f, Generator* gen = nullptr,
              Loc caller = Loc::current()) const;

  std::string kind() const override { return "Seq2seq"; }
  const Seq2seqEncoder& encoder() const { return *encoder_; }
  const Seq2seqDecoder& decoder() const { return *decoder_; }

 private:
  std::shared_ptr<Seq2seqEncoder> encoder_;
  std::shared_ptr<Seq2seqDecoder> decoder_;
};

// logits [B, T, V] and targets [B, T] (ignore_index where padded) → mean cross-entropy.
Tensor sequence_cross_entropy(const Tensor& logits, const IndexTensor& targets,
                              int64_t ignore_index = kIgnoreIndex, Loc caller = Loc::current());

}  // namespace glimpse::nn
