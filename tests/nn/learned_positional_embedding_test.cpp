// Issue 11: learned positions, x + P[0:T], and the Transformer seq2seq modules that can use them.
#include "nn/learned_positional_embedding.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "nn/transformer_seq2seq_decoder.hpp"
#include "nn/transformer_seq2seq_encoder.hpp"
#include "nn_test_util.hpp"
#include "support/error_message.hpp"

using namespace glimpse;
using namespace glimpse::nn;

TEST(LearnedPositionalEmbedding, AddsRowTOfItsTableAtPositionT) {
  Generator gen(1);
  LearnedPositionalEmbedding positions(5, 3, gen);
  const Tensor x = randn({2, 4, 3}, gen);
  const Tensor y = positions(x);
  ASSERT_EQ(y.shape(), (Shape{2, 4, 3}));
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t t = 0; t < 4; ++t)
      for (int64_t j = 0; j < 3; ++j)
        EXPECT_EQ(y.at({b, t, j}), x.at({b, t, j}) + positions.weight().at({t, j})) << b << t << j;
  EXPECT_EQ(test::parameter_names(positions), std::vector<std::string>{"weight"});
}

TEST(LearnedPositionalEmbedding, GradientsReachTheUsedRowsOnly) {
  Generator gen(2);
  LearnedPositionalEmbedding positions(6, 3, gen);
  EXPECT_TRUE(test::gradcheck([&](const std::vector<Tensor>& in) { return positions(in[0]) * in[0]; },
                              {test::leaf(randn({2, 4, 3}, gen))}));
  LearnedPositionalEmbedding fresh(6, 3, gen);
  fresh(randn({2, 4, 3}, gen)).sum().backward();
  const Tensor& g = fresh.weight().grad();
  for (int64_t t = 0; t < 6; ++t) EXPECT_EQ(g.at({t, 0}), t < 4 ? 2.0f : 0.0f) << t;  // 2 = the batch
}

TEST(LearnedPositionalEmbedding, APositionPastMaxLenIsAnErrorThatSaysSo) {
  LearnedPositionalEmbedding positions(3, 4);
  const std::string message = test::error_message([&] { (void)positions(zeros({1, 5, 4})); });
  EXPECT_NE(message.find("LearnedPositionalEmbedding"), std::string::npos) << message;
  EXPECT_NE(message.find("5 positions, but only 3 are learned"), std::string::npos) << message;
  EXPECT_THROW((void)positions(zeros({1, 2, 5})), Error);
  EXPECT_THROW(LearnedPositionalEmbedding(0, 4), Error);
}

TEST(LearnedPositionalEmbedding, ATransformerSeq2seqWithLearnedPositionsStepsAsItReadsAtOnce) {
  Generator gen(3);
  auto encoder = std::make_shared<TransformerSeq2seqEncoder>(9, 8, 2, 1, 16, 0.0f, "relu", false, gen,
                                                             Positions::learned(6));
  auto decoder = std::make_shared<TransformerSeq2seqDecoder>(9, 8, 2, 1, 16, 0.0f, "relu", false, gen,
                                                             Positions::learned(6));
  const Seq2seq model(encoder, decoder);
  const auto names = test::parameter_names(model);
  EXPECT_NE(std::find(names.begin(), names.end(), "encoder.positions.weight"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "decoder.positions.weight"), names.end());

  const DecoderMemory memory = model.encode(IndexTensor({3, 4, 5, 6, 7, 8, 3, 0}, {2, 4}),
                                            from_vector({1, 1, 1, 1, 1, 1, 1, 0}, {2, 4}));
  const IndexTensor input({1, 3, 4, 5, 1, 6, 6, 2}, {2, 4});
  const Tensor at_once = decoder->forward(input, memory).logits;
  DecoderState state = decoder->initial_state(memory);
  for (int64_t t = 0; t < 4; ++t) {
    const DecoderStep s =
        decoder->step(decoder->embed(IndexTensor({input[t], input[4 + t]}, {2})), state, memory);
    EXPECT_TRUE(test::all_close(s.logits, at_once.select(1, t))) << t;
    state = s.state;
  }
  // Past the table there is no position to add: decoding 7 tokens stops with the module's error.
  EXPECT_THROW((void)model.encode(IndexTensor({3, 4, 5, 6, 7, 8, 3}, {1, 7})), Error);
}
