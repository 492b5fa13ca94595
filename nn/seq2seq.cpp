// Lessons 05-07: encoder, the two decoders and teacher forcing, composed of nn modules and
// autograd ops only — every gradient comes from the tape.
#include "nn/seq2seq.hpp"

#include <fmt/format.h>

#include <utility>
#include <vector>

#include "nn/vocab.hpp"

namespace glimpse::nn {

using glimpse::detail::check;

namespace {

// Column t of a [B, T] id tensor, as a [B] id tensor.
IndexTensor column(const IndexTensor& ids, int64_t t) {
  const int64_t B = ids.shape[0], T = ids.shape[1];
  std::vector<int64_t> out(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) out[b] = ids.values[b * T + t];
  return IndexTensor(std::move(out), {B});
}

}  // namespace

// ---- Encoder -------------------------------------------------------------------------------

Encoder::Encoder(int64_t vocab_size, int64_t embedding_dim, int64_t hidden_size, bool bidirectional,
                 Generator& gen, Loc caller)
    : Encoder(EncoderCell::GRU, vocab_size, embedding_dim, hidden_size, bidirectional, gen, caller) {}

Encoder::Encoder(EncoderCell cell, int64_t vocab_size, int64_t embedding_dim, int64_t hidden_size,
                 bool bidirectional, Generator& gen, Loc caller)
    : output_size_(bidirectional ? 2 * hidden_size : hidden_size) {
  const CallerScope scope(caller);
  embedding_ =
      register_module("embedding", std::make_shared<Embedding>(vocab_size, embedding_dim, Vocab::kPad, gen));
  if (cell == EncoderCell::LSTM)
    lstm_ =
        register_module("lstm", std::make_shared<LSTM>(embedding_dim, hidden_size, 1, bidirectional, gen));
  else
    gru_ = register_module("gru", std::make_shared<GRU>(embedding_dim, hidden_size, 1, bidirectional, gen));
}

EncoderOutput Encoder::forward(const IndexTensor& source, const Tensor& source_mask, Loc caller) const {
  const CallerScope scope(caller);
  check(source.shape.size() == 2 && source.shape[1] >= 1, "Encoder", caller, [&] {
    return fmt::format("expects source ids [batch, length >= 1], got {}", to_string(source.shape));
  });
  check(!source_mask.defined() || source_mask.shape() == source.shape, "Encoder", caller, [&] {
    return fmt::format("source_mask must have the source's shape {} (1 = real token), got {}",
                       to_string(source.shape), to_string(source_mask.shape()));
  });
  const Tensor embedded = embedding_->forward(source);                       // [B, S, embedding_dim]
  // Padding keeps the state: the final one is the state after the last real token.
  const RecurrentOutput r =
      lstm_ ? lstm_->forward(embedded, {}, source_mask) : gru_->forward(embedded, Tensor(), source_mask);
  EncoderOutput out;
  out.states = r.output;
  out.final = r.last();
  out.directions = bidirectional() ? 2 : 1;
  // Attention's masks say where *not* to look: 1 = padding.
  if (source_mask.defined()) out.padding_mask = 1.0f - source_mask;
  return out;
}

// ---- the decoder interface -----------------------------------------------------------------

DecoderState DecoderState::rows(const IndexTensor& rows) const {
  DecoderState picked;
  for (const Tensor& t : tensors) picked.tensors.push_back(index_select(t, 0, rows));
  return picked;
}

DecoderState Seq2seqDecoder::initial_state(const DecoderMemory& memory, Loc caller) const {
  const CallerScope scope(caller);
  return {{start_state(memory)}};  // s_0: the encoder's summary of the source
}

void Seq2seqDecoder::add_bridge_if_needed(Generator& gen) {
  if (final_size() != hidden_size_)
    bridge_ = register_module("bridge", std::make_shared<Linear>(final_size(), hidden_size_, true, gen));
}

const Linear& Seq2seqDecoder::bridge() const {
  check(bridge_ != nullptr, kind().c_str(), [&] {
    return fmt::format("has no bridge: the final state it reads has its hidden size {}", hidden_size_);
  });
  return *bridge_;
}

Tensor Seq2seqDecoder::start_state(const DecoderMemory& memory) const {
  check(memory.final.defined(), kind().c_str(),
        [] { return std::string("the memory is empty: build it with prepare(encoder output)"); });
  return bridge_ ? tanh(bridge_->forward(memory.final)) : memory.final;
}

DecoderMemory Seq2seqDecoder::take_encoder_output(const char* who, const EncoderOutput& encoded) const {
  const auto shape_of = [](const Tensor& t) {
    return t.defined() ? to_string(t.shape()) : std::string("undefined");
  };
  const int64_t E = encoder_size_;
  check(encoded.states.defined() && encoded.states.dim() == 3 && encoded.states.size(2) == E &&
            encoded.final.defined() && encoded.final.dim() == 2 && encoded.final.size(1) == E,
        who, [&] {
          return fmt::format(
              "expects encoder states [B, S, {0}] and a final state [B, {0}] (its encoder_size), "
              "got {1} and {2}",
              E, shape_of(encoded.states), shape_of(encoded.final));
        });
  DecoderMemory memory{encoded.states, encoded.final, encoded.padding_mask, Tensor()};
  if (final_state_ == FinalState::ForwardOnly) {
    check(encoded.directions == 2, who, [] {
      return std::string(
          "FinalState::ForwardOnly reads the forward half of a bidirectional encoder's final "
          "state, but this encoder has one direction: use FinalState::BothDirections");
    });
    memory.final = encoded.final.narrow(1, 0, E / 2);  // [h→_S; h←_1] → h→_S
  }
  return memory;
}

void Seq2seqDecoder::check_step(const char* who, const Tensor& embedded, int64_t embedding_dim,
                                const DecoderState& state, const DecoderMemory& memory) const {
  check(memory.states.defined() && memory.final.defined(), who,
        [] { return std::string("the memory is empty: build it with prepare(encoder output)"); });
  check(!state.tensors.empty() && state.hidden().defined(), who,
        [] { return std::string("the state is empty: start from initial_state(memory)"); });
  const Tensor& hidden = state.hidden();
  const int64_t B = memory.final.size(0);
  check(embedded.dim() == 2 && embedded.size(0) == B && embedded.size(1) == embedding_dim &&
            hidden.dim() == 2 && hidden.size(0) == B && hidden.size(1) == hidden_size_,
        who, [&] {
          return fmt::format("expects the embedded previous token [{}, {}] and the state [{}, {}], got {} and {}", B,
                             embedding_dim, B, hidden_size_, to_string(embedded.shape()),
                             to_string(hidden.shape()));
        });
}

DecoderOutput Seq2seqDecoder::forward(const IndexTensor& decoder_input, const DecoderMemory& memory,
                                      float teacher_forcing_ratio, Generator* gen, Loc caller) const {
  const CallerScope scope(caller);
  check(memory.final.defined(), kind().c_str(), caller,
        [] { return std::string("the memory is empty: build it with prepare(encoder output)"); });
  const int64_t B = memory.final.size(0);
  check(decoder_input.shape.size() == 2 && decoder_input.shape[0] == B && decoder_input.shape[1] >= 1,
        kind().c_str(), caller, [&] {
          return fmt::format("expects decoder_input [{}, steps >= 1] (batch from the memory), got {}", B,
                             to_string(decoder_input.shape));
        });
  check(teacher_forcing_ratio >= 0.0f && teacher_forcing_ratio <= 1.0f, kind().c_str(), caller, [&] {
    return fmt::format("teacher_forcing_ratio is {}, must be within [0, 1]", teacher_forcing_ratio);
  });
  const bool always_forced = teacher_forcing_ratio >= 1.0f;
  const bool coin_flips = teacher_forcing_ratio > 0.0f && !always_forced;
  check(!coin_flips || gen != nullptr, kind().c_str(), caller, [&] {
    return fmt::format("teacher_forcing_ratio {} needs a Generator to decide each step", teacher_forcing_ratio);
  });

  if (always_forced)
    if (std::optional<DecoderOutput> at_once = forward_teacher_forced(decoder_input, memory)) return *at_once;

  const int64_t T = decoder_input.shape[1];
  // Fully teacher-forced: every input is known up front, so embed them all in one op.
  const Tensor all_embedded = always_forced ? embed(decoder_input) : Tensor();  // [B, T, emb]
  DecoderState state = initial_state(memory);
  IndexTensor predicted;         // the previous step's argmax, for free-running steps
  std::vector<Tensor> logits, attention;
  for (int64_t t = 0; t < T; ++t) {
    StepScope scope(t);
    Tensor embedded;
    if (always_forced) {
      embedded = all_embedded.select(1, t);
    } else {
      // Step 0 always reads <sos>; later steps read the truth with probability `ratio`.
      const bool forced = t == 0 || (coin_flips && gen->uniform() < teacher_forcing_ratio);
      embedded = embed(forced ? column(decoder_input, t) : predicted);
    }
    DecoderStep s = step(embedded, state, memory);
    state = std::move(s.state);
    if (!always_forced) predicted = argmax(s.logits, 1, false);
    logits.push_back(s.logits);
    if (s.attention.defined()) attention.push_back(s.attention);
  }
  DecoderOutput out;
  out.logits = stack(logits, 1);                                // [B, T, V]
  if (!attention.empty()) out.attention = stack(attention, 1);  // [B, T, S]
  return out;
}

// ---- Decoder: the fixed-vector bottleneck --------------------------------------------------

Decoder::Decoder(int64_t vocab_size, int64_t embedding_dim, int64_t hidden_size, Generator& gen, Loc caller)
    : Decoder(vocab_size, embedding_dim, hidden_size, DecoderOptions{}, gen, caller) {}

namespace {

// The sizes every decoder constructor checks, and E = options.encoder_size or H.
int64_t checked_encoder_size(const char* who, int64_t vocab_size, int64_t embedding_dim, int64_t hidden_size,
                             const DecoderOptions& options) {
  check(vocab_size > 0 && embedding_dim > 0 && hidden_size > 0 && options.encoder_size >= 0 &&
            options.attention_dim >= 0,
        who, [&] {
          return fmt::format(
              "sizes must be positive (encoder_size and attention_dim: 0 for the hidden size), got "
              "vocab_size {}, embedding_dim {}, hidden_size {}, encoder_size {}, attention_dim {}",
              vocab_size, embedding_dim, hidden_size, options.encoder_size, options.attention_dim);
        });
  const int64_t E = options.encoder_size > 0 ? options.encoder_size : hidden_size;
  check(options.final_state != FinalState::ForwardOnly || E % 2 == 0, who, [&] {
    return fmt::format(
        "FinalState::ForwardOnly takes the forward half of a bidirectional encoder's final "
        "state, so encoder_size must be even (twice the encoder's hidden size), got {}",
        E);
  });
  return E;
}

}  // namespace

Decoder::Decoder(int64_t vocab_size, int64_t embedding_dim, int64_t hidden_size,
                 const DecoderOptions& options, Generator& gen, Loc caller)
    : Seq2seqDecoder(vocab_size, hidden_size,
                     checked_encoder_size("Decoder", vocab_size, embedding_dim, hidden_size, options),
                     options.final_state) {
  const CallerScope scope(caller);
  const int64_t H = hidden_size, C = final_size();
  embedding_ =
      register_module("embedding", std::make_shared<Embedding>(vocab_size, embedding_dim, Vocab::kPad, gen));
  add_bridge_if_needed(gen);
  cell_ = register_module("cell", std::make_shared<GRUCell>(embedding_dim + C, H, gen));
  out_ = register_module("out", std::make_shared<Linear>(H + C, vocab_size, true, gen));
}

DecoderMemory Decoder::prepare(const EncoderOutput& encoded, Loc caller) const {
  const CallerScope scope(caller);
  return take_encoder_output("Decoder", encoded);
}

Tensor Decoder::embed(const IndexTensor& ids, Loc caller) const {
  const CallerScope scope(caller);
  return embedding_->forward(ids);
}

DecoderStep Decoder::step(const Tensor& embedded, const DecoderState& state, const DecoderMemory& memory,
                          Loc caller) const {
  const CallerScope scope(caller);
  check_step("Decoder", embedded, embedding_->embedding_dim(), state, memory);
  const Tensor& hidden = state.hidden();
  const Tensor& c = memory.final;  // the same context at every step: all the decoder knows of the source
  const Tensor h = cell_->forward(cat({embedded, c}, 1), hidden);
  const Tensor logits = out_->forward(cat({h, c}, 1));
  emit_step({{"h", h}, {"context", c}, {"logits", logits}});
  return {logits, {{h}}, c, Tensor()};
}

// ---- AttentionDecoder ----------------------------------------------------------------------

AttentionDecoder::AttentionDecoder(int64_t vocab_size, int64_t embedding_dim, int64_t hidden_size,
                                   int64_t attention_dim, Generator& gen, Loc caller)
    : AttentionDecoder(vocab_size, embedding_dim, hidden_size, DecoderOptions{.attention_dim = attention_dim},
                       gen, caller) {}

AttentionDecoder::AttentionDecoder(int64_t vocab_size, int64_t embedding_dim, int64_t hidden_size,
                                   const DecoderOptions& options, Generator& gen, Loc caller)
    : Seq2seqDecoder(
          vocab_size, hidden_size,
          checked_encoder_size("AttentionDecoder", vocab_size, embedding_dim, hidden_size, options),
          options.final_state) {
  const CallerScope scope(caller);
  const int64_t H = hidden_size, E = encoder_size();
  const int64_t A = options.attention_dim > 0 ? options.attention_dim : H;
  embedding_ =
      register_module("embedding", std::make_shared<Embedding>(vocab_size, embedding_dim, Vocab::kPad, gen));
  add_bridge_if_needed(gen);
  attention_ = register_module("attention", std::make_shared<BahdanauAttention>(H, E, A, gen));
  cell_ = register_module("cell", std::make_shared<GRUCell>(embedding_dim + E, H, gen));
  out_ = register_module("out", std::make_shared<Linear>(H + E, vocab_size, true, gen));
}

DecoderMemory AttentionDecoder::prepare(const EncoderOutput& encoded, Loc caller) const {
  const CallerScope scope(caller);
  DecoderMemory memory = take_encoder_output("AttentionDecoder", encoded);
  // U·h_j does not depend on the decoder step: project the keys once per batch (as the anchor does).
  memory.keys = attention_->project_keys(memory.states);
  return memory;
}

Tensor AttentionDecoder::embed(const IndexTensor& ids, Loc caller) const {
  const CallerScope scope(caller);
  return embedding_->forward(ids);
}

DecoderStep AttentionDecoder::step(const Tensor& embedded, const DecoderState& state,
                                   const DecoderMemory& memory, Loc caller) const {
  const CallerScope scope(caller);
  check_step("AttentionDecoder", embedded, embedding_->embedding_dim(), state, memory);
  const Tensor& hidden = state.hidden();
  // The previous state asks: which source positions matter now?
  const AttentionOutput a = attention_->forward(hidden, memory.states, memory.keys, memory.padding_mask);
  const Tensor h = cell_->forward(cat({embedded, a.context}, 1), hidden);
  const Tensor logits = out_->forward(cat({h, a.context}, 1));
  emit_step({{"h", h}, {"context", a.context}, {"weights", a.weights}, {"logits", logits}});
  return {logits, {{h}}, a.context, a.weights};
}

// ---- Seq2seq -------------------------------------------------------------------------------

Seq2seq::Seq2seq(std::shared_ptr<Seq2seqEncoder> encoder, std::shared_ptr<Seq2seqDecoder> decoder,
                 Loc caller) {
  const CallerScope scope(caller);
  check(encoder && decoder, "Seq2seq", caller, [] { return std::string("needs an encoder and a decoder"); });
  check(encoder->output_size() == decoder->encoder_size(), "Seq2seq", caller, [&] {
    return fmt::format(
        "the decoder reads encoder states of size {}, but the encoder's output size is {} ({})",
        decoder->encoder_size(), encoder->output_size(),
        "give the decoder that size, or use one with a bridge layer such as LuongDecoder");
  });
  encoder_ = register_module("encoder", std::move(encoder));
  decoder_ = register_module("decoder", std::move(decoder));
}

DecoderMemory Seq2seq::encode(const IndexTensor& source, const Tensor& source_mask, Loc caller) const {
  const CallerScope scope(caller);
  return decoder_->prepare(encoder_->forward(source, source_mask));
}

DecoderOutput Seq2seq::forward(const Batch& batch, float teacher_forcing_ratio, Generator* gen,
                               Loc caller) const {
  const CallerScope scope(caller);
  return decoder_->forward(batch.decoder_input, encode(batch.source, batch.source_mask),
                           teacher_forcing_ratio, gen);
}

Tensor Seq2seq::loss(const Batch& batch, float teacher_forcing_ratio, Generator* gen, Loc caller) const {
  const CallerScope scope(caller);
  return sequence_cross_entropy(forward(batch, teacher_forcing_ratio, gen).logits, batch.decoder_target,
                                batch.ignore_index);
}

Tensor sequence_cross_entropy(const Tensor& logits, const IndexTensor& targets, int64_t ignore_index,
                              Loc caller) {
  const CallerScope scope(caller);
  check(logits.dim() == 3 && targets.shape.size() == 2 && targets.shape[0] == logits.size(0) &&
            targets.shape[1] == logits.size(1),
        "sequence_cross_entropy", caller, [&] {
          return fmt::format("expects logits [B, T, V] and targets [B, T], got {} and {}", to_string(logits.shape()),
                             to_string(targets.shape));
        });
  const int64_t N = logits.size(0) * logits.size(1);
  return cross_entropy(logits.reshape({N, logits.size(2)}), IndexTensor(targets.values, {N}), ignore_index,
                       LossReduction::mean);
}

}  // namespace glimpse::nn
