// The GRU decoders meeting an encoder of another size: AttentionDecoder with a bridge
// s_0 = tanh(W_b h_S), and the fixed-vector Decoder reading a bidirectional encoder's forward
// half alone, against the equations written out in PyTorch
// (tests/fixtures/generate_bridged_decoders.py); and what the options do to a whole Seq2seq.
#include <gtest/gtest.h>

#include "attention_fixture.hpp"
#include "nn/decoding.hpp"
#include "nn/optim.hpp"
#include "nn/seq2seq.hpp"
#include "nn/state.hpp"
#include "nn/vocab.hpp"
#include "nn_test_util.hpp"
#include "support/error_message.hpp"

using namespace glimpse;

TEST(AttentionDecoderBridge, MatchesPyTorchForwardAndBackward) {
  const auto f = test::load_fixture("attention_decoder_bridge");
  Generator gen(1);
  nn::AttentionDecoder decoder(7, 3, 4, nn::DecoderOptions{.encoder_size = 6, .attention_dim = 5}, gen);
  ASSERT_TRUE(decoder.has_bridge());
  EXPECT_EQ(decoder.bridge().weight().shape(), (Shape{4, 6}));
  nn::load_state(decoder, test::fixture_params(f));
  Tensor states = test::leaf(f.at("states")), final = test::leaf(f.at("final"));
  const nn::DecoderMemory memory = decoder.prepare({states, final, f.at("mask")});
  const nn::DecoderOutput out = decoder.forward(test::to_index(f.at("tokens")), memory);
  EXPECT_TRUE(test::all_close(out.logits, f.at("logits")));
  EXPECT_TRUE(test::all_close(out.attention, f.at("attention")));
  test::fixture_loss(f, {{"logits", out.logits}, {"attention", out.attention}}).backward();
  EXPECT_TRUE(test::all_close(states.grad(), f.at("grad.states")));
  EXPECT_TRUE(test::all_close(final.grad(), f.at("grad.final")));
  for (auto& [name, p] : decoder.named_parameters())
    EXPECT_TRUE(test::all_close(p.grad(), f.at("grad.param." + name))) << name;
}

TEST(DecoderForwardOnly, MatchesPyTorchForwardAndBackward) {
  const auto f = test::load_fixture("decoder_forward_only");
  Generator gen(2);
  nn::Decoder decoder(7, 3, 4, {.encoder_size = 6, .final_state = nn::FinalState::ForwardOnly}, gen);
  ASSERT_TRUE(decoder.has_bridge());  // c = h→_S has 3 numbers, the decoder 4
  nn::load_state(decoder, test::fixture_params(f));
  Tensor final = test::leaf(f.at("final"));
  const nn::DecoderMemory memory =
      decoder.prepare({test::leaf(f.at("states")), final, f.at("mask"), /*directions=*/2});
  EXPECT_EQ(memory.final.shape(), (Shape{2, 3}));
  const nn::DecoderOutput out = decoder.forward(test::to_index(f.at("tokens")), memory);
  EXPECT_TRUE(test::all_close(out.logits, f.at("logits")));
  test::fixture_loss(f, {{"logits", out.logits}}).backward();
  EXPECT_TRUE(test::all_close(final.grad(), f.at("grad.final")));  // the backward half gets zeros
  for (auto& [name, p] : decoder.named_parameters())
    EXPECT_TRUE(test::all_close(p.grad(), f.at("grad.param." + name))) << name;
}

TEST(DecoderForwardOnly, ReadsTheForwardHalfOfABidirectionalEncoder) {
  // Encoder of hidden 5, bidirectional (E = 10); the decoder of 5 reads h→_S: no bridge, s_0 = c = h→_S.
  Generator gen(3);
  auto encoder = std::make_shared<nn::Encoder>(8, 4, 5, /*bidirectional=*/true, gen);
  auto decoder = std::make_shared<nn::Decoder>(
      8, 4, 5, nn::DecoderOptions{.encoder_size = 10, .final_state = nn::FinalState::ForwardOnly}, gen);
  EXPECT_FALSE(decoder->has_bridge());
  const nn::Seq2seq model(encoder, decoder);
  const IndexTensor source({3, 4, 5, 6, 7, 3}, {2, 3});
  const nn::EncoderOutput encoded = encoder->forward(source);
  EXPECT_EQ(encoded.directions, 2);
  const nn::DecoderMemory memory = model.encode(source);
  EXPECT_EQ(memory.final.to_vector(), encoded.final.narrow(1, 0, 5).to_vector());
  const nn::DecoderState start = decoder->initial_state(memory);
  EXPECT_EQ(start.hidden().to_vector(), encoded.final.narrow(1, 0, 5).to_vector());
  const nn::DecoderStep s = decoder->step(decoder->embed(IndexTensor({1, 1}, {2})), start, memory);
  EXPECT_EQ(s.context.to_vector(), memory.final.to_vector());  // c is the same at every step
  // And the whole model decodes and trains through it.
  const nn::GreedyOutput greedy = nn::greedy_decode(model, source, Tensor(), 4);
  EXPECT_EQ(greedy.tokens.shape[0], 2);
}

TEST(DecoderOptions, BothDirectionsIsTheDefaultAndNeedsNoBridgeWhenSizesMatch) {
  // A bidirectional encoder of 3 (E = 6) and a decoder of 6 reading all of it: lesson 05's model
  // with both directions; the defaults of the plain constructors.
  Generator gen(4);
  auto encoder = std::make_shared<nn::Encoder>(8, 4, 3, true, gen);
  auto decoder = std::make_shared<nn::Decoder>(8, 4, 6, gen);
  EXPECT_FALSE(decoder->has_bridge());
  EXPECT_EQ(decoder->final_state(), nn::FinalState::BothDirections);
  const nn::Seq2seq model(encoder, decoder);
  const IndexTensor source({3, 4, 5}, {1, 3});
  EXPECT_EQ(model.encode(source).final.to_vector(), encoder->forward(source).final.to_vector());
}

TEST(AttentionDecoderBridge, ASmallerDecoderOnABidirectionalEncoderTrains) {
  Generator gen(5);
  auto encoder = std::make_shared<nn::Encoder>(9, 4, 6, true, gen);  // E = 12
  auto decoder = std::make_shared<nn::AttentionDecoder>(9, 4, 5, nn::DecoderOptions{.encoder_size = 12}, gen);
  EXPECT_TRUE(decoder->has_bridge());
  nn::Seq2seq model(encoder, decoder);
  const nn::Vocab vocab({"a", "b", "c", "d", "e"});  // 4 special tokens + 5: V = 9
  const std::vector<nn::Example> examples = {{{"a", "b", "c", "d"}, {"d", "c"}, {}},
                                             {{"e", "a", "b"}, {"b", "e"}, {}}};
  const nn::Batch batch = nn::make_batch(examples, vocab, vocab);
  nn::Adam adam(model.parameters(), {.lr = 0.05f});
  const float before = model.loss(batch).item();
  for (int step = 0; step < 30; ++step) {
    adam.zero_grad();
    Tensor loss = model.loss(batch);
    loss.backward();
    for (auto& [name, p] : model.named_parameters())
      ASSERT_TRUE(p.grad().defined()) << name;  // every parameter, the bridge's too, gets a gradient
    adam.step();
  }
  EXPECT_LT(model.loss(batch).item(), 0.5f * before);
}

TEST(DecoderOptions, ForwardOnlyOnAOneDirectionEncoderIsAnErrorThatSaysWhy) {
  Generator gen(6);
  auto encoder = std::make_shared<nn::Encoder>(8, 4, 6, /*bidirectional=*/false, gen);
  auto decoder = std::make_shared<nn::Decoder>(
      8, 4, 3, nn::DecoderOptions{.encoder_size = 6, .final_state = nn::FinalState::ForwardOnly}, gen);
  const nn::Seq2seq model(encoder, decoder);
  const std::string message = test::error_message([&] { (void)model.encode(IndexTensor({3, 4}, {1, 2})); });
  EXPECT_NE(message.find("this encoder has one direction"), std::string::npos) << message;
  // An odd encoder_size cannot be split into two directions.
  const std::string odd = test::error_message(
      [&] { nn::Decoder(8, 4, 3, {.encoder_size = 7, .final_state = nn::FinalState::ForwardOnly}); });
  EXPECT_NE(odd.find("encoder_size must be even"), std::string::npos) << odd;
  // An encoder of the wrong size names both sizes.
  auto wrong = std::make_shared<nn::AttentionDecoder>(8, 4, 3, nn::DecoderOptions{.encoder_size = 5}, gen);
  const std::string sizes = test::error_message([&] {
    (void)wrong->prepare(encoder->forward(IndexTensor({3}, {1, 1})));
  });
  EXPECT_NE(sizes.find("[B, S, 5]"), std::string::npos) << sizes;
  EXPECT_NE(sizes.find("[1, 1, 6]"), std::string::npos) << sizes;
}
