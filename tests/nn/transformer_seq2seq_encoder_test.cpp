// Issue 11: the Transformer encoder behind the seq2seq encoder interface: padding is never read,
// the final state is the mean over real tokens, and with the Transformer decoder it makes an
// all-Transformer nn::Seq2seq that greedy decoding and beam search drive unchanged.
#include "nn/transformer_seq2seq_encoder.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "nn/decoding.hpp"
#include "nn/optim.hpp"
#include "nn/tasks.hpp"
#include "nn/transformer_seq2seq_decoder.hpp"
#include "nn_test_util.hpp"
#include "support/error_message.hpp"

using namespace glimpse;
using namespace glimpse::nn;

TEST(TransformerSeq2seqEncoder, PaddingChangesNoRealPositionAndFinalIsTheirMean) {
  Generator gen(1);
  const TransformerSeq2seqEncoder encoder(9, 8, 2, 2, 16, 0.0f, "relu", false, gen);
  EXPECT_EQ(encoder.output_size(), 8);
  // The sentence 3 4 5 alone, and padded to 5 beside a longer one.
  const EncoderOutput alone = encoder.forward(IndexTensor({3, 4, 5}, {1, 3}));
  const EncoderOutput padded = encoder.forward(IndexTensor({3, 4, 5, 0, 0, 6, 7, 8, 6, 7}, {2, 5}),
                                               from_vector({1, 1, 1, 0, 0, 1, 1, 1, 1, 1}, {2, 5}));
  EXPECT_EQ(padded.states.shape(), (Shape{2, 5, 8}));
  EXPECT_EQ(padded.padding_mask.to_vector(), (std::vector<float>{0, 0, 0, 1, 1, 0, 0, 0, 0, 0}));
  EXPECT_TRUE(
      test::all_close(padded.states.select(0, 0).narrow(0, 0, 3), alone.states.select(0, 0), 1e-5f, 1e-6f));
  EXPECT_TRUE(test::all_close(padded.final.select(0, 0), alone.final.select(0, 0), 1e-5f, 1e-6f));
  EXPECT_TRUE(test::all_close(alone.final, alone.states.mean({1}), 1e-5f, 1e-6f));
}

TEST(TransformerSeq2seqEncoder, ForwardLayersGivesTheStatesAndEveryHeadsWeights) {
  Generator gen(2);
  const TransformerSeq2seqEncoder encoder(9, 8, 2, 3, 16, 0.0f, "relu", false, gen);
  const IndexTensor source({3, 4, 5, 0, 6, 7, 8, 6}, {2, 4});
  const Tensor mask = from_vector({1, 1, 1, 0, 1, 1, 1, 1}, {2, 4});
  const TransformerEncoderOutput layers = encoder.forward_layers(source, mask);
  EXPECT_TRUE(test::all_close(layers.output, encoder.forward(source, mask).states, 0.0f, 0.0f));
  ASSERT_EQ(layers.layers.size(), 3u);
  for (const TransformerEncoderLayerOutput& layer : layers.layers) {
    ASSERT_EQ(layer.head_weights.shape(), (Shape{2, 2, 4, 4}));
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t t = 0; t < 4; ++t) {
        EXPECT_EQ(layer.head_weights.at({0, h, t, 3}), 0.0f);  // padding is never looked at
        float sum = 0;
        for (int64_t s = 0; s < 4; ++s) sum += layer.head_weights.at({1, h, t, s});
        EXPECT_NEAR(sum, 1.0f, 1e-5f);
      }
  }
}

TEST(TransformerSeq2seqEncoder, AnAllTransformerSeq2seqLearnsToReverse) {
  ReverseTask task(3, 5, 5);
  const Vocab vocab(task.source_tokens());
  Generator data_gen(4), init(5);
  Batcher batcher(generate(task, 2000, data_gen), vocab, vocab, 32, 4);
  auto encoder =
      std::make_shared<TransformerSeq2seqEncoder>(vocab.size(), 16, 2, 1, 32, 0.0f, "relu", false, init);
  auto decoder =
      std::make_shared<TransformerSeq2seqDecoder>(vocab.size(), 16, 2, 1, 32, 0.0f, "relu", false, init);
  Seq2seq model(encoder, decoder);
  EXPECT_EQ(&model.encoder(), encoder.get());
  const test::LossEnds loss = test::train_seq2seq(model, batcher, 400, 0.01f);
  EXPECT_LT(loss.last, 0.1f * loss.first) << "first " << loss.first << ", last " << loss.last;
  model.eval();
  const std::vector<Example> held_out = generate(task, 100, data_gen);
  const Batch batch = make_batch(held_out, vocab, vocab);
  const GreedyOutput out = greedy_decode(model, batch.source, batch.source_mask, batch.target_len() + 2);
  int correct = 0;
  for (size_t i = 0; i < held_out.size(); ++i)
    correct += vocab.decode(out.sequences[i]) == held_out[i].target;
  EXPECT_GE(correct, 90) << correct << " of 100 reversed exactly";
  // Beam search of width 1 is greedy decoding here too.
  const auto beams = beam_search(model, batch.source, batch.source_mask, {.width = 1, .max_length = 8});
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(beams[i][0].tokens, out.sequences[i]) << "sentence " << i;
}

TEST(TransformerSeq2seqEncoder, ABadSourceNamesTheEncoderAndTheCallersLine) {
  Generator gen(2);
  const TransformerSeq2seqEncoder encoder(9, 8, 2, 1, 16, 0.0f, "relu", false, gen);
  const int line = __LINE__ + 1;
  const std::string msg = test::error_message([&] { (void)encoder.forward(IndexTensor({3, 4}, {2})); });
  EXPECT_EQ(msg.rfind("TransformerSeq2seqEncoder: ", 0), 0u) << msg;
  EXPECT_NE(msg.find(fmt::format("transformer_seq2seq_encoder_test.cpp:{}", line)), std::string::npos) << msg;
  const std::string mask = test::error_message([&] {
    (void)encoder.forward(IndexTensor({3, 4}, {1, 2}), from_vector({1, 1, 1}, {1, 3}));
  });
  EXPECT_NE(mask.find("source_mask must have the source's shape [1, 2]"), std::string::npos) << mask;
}
