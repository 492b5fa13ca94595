// Issue 11: the Transformer decoder behind the seq2seq decoder interface, driven by the same
// teacher forcing, greedy decoding and beam search as the GRU decoders.
#include "nn/transformer_seq2seq_decoder.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "nn/decoding.hpp"
#include "nn/optim.hpp"
#include "nn/tasks.hpp"
#include "nn_test_util.hpp"
#include "support/error_message.hpp"

using namespace glimpse;
using namespace glimpse::nn;

namespace {

// A GRU encoder of output size 8 and a 2-layer Transformer decoder of d_model 8.
Seq2seq small_model(int64_t vocab_size, Generator& gen) {
  auto encoder = std::make_shared<Encoder>(vocab_size, 6, 8, false, gen);
  auto decoder =
      std::make_shared<TransformerSeq2seqDecoder>(vocab_size, 8, 2, 2, 16, 0.0f, "relu", false, gen);
  return Seq2seq(encoder, decoder);
}

}  // namespace

TEST(TransformerSeq2seqDecoder, StepByStepEqualsOneTeacherForcedPass) {
  Generator gen(1);
  const Seq2seq model = small_model(9, gen);
  const auto& decoder = dynamic_cast<const TransformerSeq2seqDecoder&>(model.decoder());
  const DecoderMemory memory = model.encode(IndexTensor({3, 4, 5, 6, 7, 8, 3, 0}, {2, 4}),
                                            from_vector({1, 1, 1, 1, 1, 1, 1, 0}, {2, 4}));
  const IndexTensor input({1, 3, 4, 5, 1, 6, 6, 2}, {2, 4});
  // Teacher forcing through the interface reads the target at once (forward_all's pass) ...
  const DecoderOutput at_once = decoder.forward(input, memory);
  EXPECT_TRUE(test::all_close(at_once.logits, decoder.forward_all(decoder.embed(input), memory)));
  EXPECT_EQ(at_once.attention.shape(), (Shape{2, 4, 4}));
  for (int64_t t = 0; t < 4; ++t) EXPECT_EQ(at_once.attention.at({1, t, 3}), 0.0f);  // the padding
  // ... and gives what decoding gets one step at a time, logits and attention.
  DecoderState state = decoder.initial_state(memory);
  for (int64_t t = 0; t < 4; ++t) {
    const DecoderStep s =
        decoder.step(decoder.embed(IndexTensor({input[t], input[4 + t]}, {2})), state, memory);
    EXPECT_TRUE(test::all_close(s.logits, at_once.logits.select(1, t))) << t;
    EXPECT_TRUE(test::all_close(s.attention, at_once.attention.select(1, t))) << t;
    state = s.state;
  }
  // A free-running forward steps too, and its first step (<sos>, as the truth's) agrees.
  Generator coin(4);
  const DecoderOutput free_running = decoder.forward(input, memory, 0.0f, &coin);
  EXPECT_TRUE(test::all_close(free_running.logits.select(1, 0), at_once.logits.select(1, 0)));
}

TEST(TransformerSeq2seqDecoder, NamesAreTorchsUnderTheDecoder) {
  Generator gen(2);
  const Seq2seq model = small_model(9, gen);
  const auto names = test::parameter_names(model.decoder());
  EXPECT_EQ(names.front(), "embedding.weight");
  EXPECT_EQ(names[1], "decoder.layers.0.self_attn.in_proj_weight");
  EXPECT_EQ(names[names.size() - 3], "decoder.norm.bias");
  EXPECT_EQ(names.back(), "out.bias");
}

TEST(TransformerSeq2seqDecoder, GreedyAndBeamSearchDriveItUnchanged) {
  Generator gen(3);
  Seq2seq model = small_model(9, gen);
  model.eval();
  const IndexTensor source({3, 4, 5, 6, 7, 8, 0, 0}, {2, 4});
  const Tensor mask = from_vector({1, 1, 1, 1, 1, 1, 0, 0}, {2, 4});
  const GreedyOutput greedy = greedy_decode(model, source, mask, 6);
  const auto beams = beam_search(model, source, mask, BeamOptions{.width = 1, .max_length = 6});
  ASSERT_EQ(beams.size(), 2u);
  for (size_t b = 0; b < 2; ++b) EXPECT_EQ(beams[b].front().tokens, greedy.sequences[b]) << b;
  const auto wide = beam_search(model, source, mask, BeamOptions{.width = 3, .max_length = 6});
  for (const auto& hypotheses : wide) EXPECT_FALSE(hypotheses.empty());
  // Each hypothesis's attention covers its own sentence's real tokens.
  for (const auto& step : wide[1].front().attention) EXPECT_EQ(step.size(), 2u);
}

TEST(TransformerSeq2seqDecoder, LearnsToCopy) {
  CopyTask task(3, 5, 5);
  const Vocab vocab(task.source_tokens());
  Generator data_gen(4), init(5);
  Batcher batcher(generate(task, 2000, data_gen), vocab, vocab, 32, 4);
  auto encoder = std::make_shared<Encoder>(vocab.size(), 16, 16, false, init);
  auto decoder =
      std::make_shared<TransformerSeq2seqDecoder>(vocab.size(), 16, 2, 1, 32, 0.0f, "relu", false, init);
  Seq2seq model(encoder, decoder);
  const test::LossEnds loss = test::train_seq2seq(model, batcher, 400, 0.01f);
  EXPECT_LT(loss.last, 0.1f * loss.first) << "first " << loss.first << ", last " << loss.last;
  // Greedy decoding, through the interface's steps, copies held-out sequences.
  model.eval();
  const std::vector<Example> held_out = generate(task, 100, data_gen);
  const Batch batch = make_batch(held_out, vocab, vocab);
  const GreedyOutput out = greedy_decode(model, batch.source, batch.source_mask, batch.target_len() + 2);
  int correct = 0;
  for (size_t i = 0; i < held_out.size(); ++i)
    correct += vocab.decode(out.sequences[i]) == held_out[i].target;
  EXPECT_GE(correct, 90) << correct << " of 100 copied exactly";
}

TEST(TransformerSeq2seqDecoder, AStateOfTheWrongBatchNamesTheDecoderAndTheCallersLine) {
  Generator gen(6);
  const Seq2seq model = small_model(9, gen);
  const DecoderMemory memory = model.encode(IndexTensor({3, 4, 5, 6}, {2, 2}));
  const int line = __LINE__ + 2;  // the call is on the line after the lambda opens
  const std::string msg = test::error_message([&] {
    model.decoder().step(zeros({3, 8}), DecoderState{{zeros({3, 8})}}, memory);
  });
  EXPECT_EQ(msg.rfind("TransformerSeq2seqDecoder: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("[3, 8]"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("transformer_seq2seq_decoder_test.cpp:{}", line)), std::string::npos) << msg;
}
