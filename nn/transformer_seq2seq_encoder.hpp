// A Transformer encoder behind the seq2seq encoder interface (nn/seq2seq.hpp), beside the GRU and
// LSTM Encoder, so nn::Seq2seq can pair it with any decoder (TransformerSeq2seqDecoder for the
// encoder-decoder Transformer of issue 11's lesson 12).
//
//   x       = emb(source) + positions           sinusoidal, as in "Attention Is All You Need", or learned
//   h_1..h_S = encoder(x, src_key_padding_mask)  a TransformerEncoder stack: padding is never attended to
//   final   = mean of h_j over the real tokens   for decoders that start from one vector
//
// A recurrent encoder's final state has read the whole source in order; a Transformer's states
// have each read all of it at once, so no one position is "the last": the mean stands in for it.
// The embeddings are not scaled by √d (the decoder's are not either).
//
// Children: "embedding" (<pad> = id 0 stays a zero vector), "positions" (learned positions only,
// nn/learned_positional_embedding.hpp) and "encoder" (layers.N..., norm).
#pragma once

#include <memory>
#include <string>

#include "nn/embedding.hpp"
#include "nn/learned_positional_embedding.hpp"
#include "nn/seq2seq.hpp"
#include "nn/transformer.hpp"

namespace glimpse::nn {

class TransformerSeq2seqEncoder : public Seq2seqEncoder {
 public:
  // num_layers layers, each TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
  // activation, 1e-5, norm_first), made one by one from `gen`, then a final LayerNorm as
  // nn.Transformer's encoder has.
  TransformerSeq2seqEncoder(int64_t vocab_size, int64_t d_model, int64_t nhead, int64_t num_layers,
                            int64_t dim_feedforward, float dropout = 0.1f,
                            const std::string& activation = "relu", bool norm_first = false,
                            Generator& gen = default_generator(),
                            Positions positions = Positions::sinusoidal(), Loc caller = Loc::current());

  EncoderOutput forward(const IndexTensor& source, const Tensor& source_mask = Tensor(),
                        Loc caller = Loc::current()) const override;
  // The stack's own output: h_1..h_S (what forward() hands on as states) with every layer's
  // attention weights, averaged and per head (layers[l].head_weights [B, nhead, S, S]), for a
  // lesson that reads where each word of the source looks (lesson 12: where "it" looks).
  TransformerEncoderOutput forward_layers(const IndexTensor& source, const Tensor& source_mask = Tensor(),
                                          Loc caller = Loc::current()) const;
  int64_t output_size() const override { return d_model_; }
  std::string kind() const override { return "TransformerSeq2seqEncoder"; }

  const TransformerEncoder& encoder() const { return *encoder_; }

 private:
  int64_t d_model_;
  std::shared_ptr<Embedding> embedding_;
  std::shared_ptr<LearnedPositionalEmbedding> positions_;  // null: the sinusoids
  std::shared_ptr<TransformerEncoder> encoder_;
};

}  // namespace glimpse::nn
