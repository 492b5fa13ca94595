// LuongDecoder (global attention, input feeding, a bridge from E = 5 to H = 4) against the
// equations written out in PyTorch (tests/fixtures/generate_luong_decoder.py), and decoding
// with its three-tensor state.
#include "nn/luong_decoder.hpp"

#include <gtest/gtest.h>

#include "attention_fixture.hpp"
#include "nn/decoding.hpp"
#include "nn/state.hpp"
#include "nn_test_util.hpp"

using namespace glimpse;

TEST(LuongDecoder, MatchesPyTorchForwardAndBackward) {
  const auto f = test::load_fixture("luong_decoder");
  Generator gen(1);
  nn::LuongDecoder decoder(7, 3, 4, 5, nn::LuongScore::General, gen);
  ASSERT_TRUE(decoder.has_bridge());
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

TEST(LuongDecoder, ItsStateIsHCAndHTilde) {
  Generator gen(2);
  nn::LuongDecoder decoder(6, 3, 4, 4, nn::LuongScore::Dot, gen);
  EXPECT_FALSE(decoder.has_bridge());  // E = H: h_0 is the encoder's final state itself
  const Tensor final = randn({2, 4}, gen);
  const nn::DecoderMemory memory = decoder.prepare({randn({2, 3, 4}, gen), final, Tensor()});
  const nn::DecoderState start = decoder.initial_state(memory);
  ASSERT_EQ(start.tensors.size(), 3u);
  EXPECT_EQ(start.hidden().to_vector(), final.to_vector());
  EXPECT_EQ(start.tensors[1].to_vector(), std::vector<float>(8, 0.0f));  // c_0 = 0
  EXPECT_EQ(start.tensors[2].to_vector(), std::vector<float>(8, 0.0f));  // h̃_0 = 0
  const nn::DecoderStep s = decoder.step(decoder.embed(IndexTensor({1, 1})), start, memory);
  ASSERT_EQ(s.state.tensors.size(), 3u);
  for (const Tensor& t : s.state.tensors) EXPECT_EQ(t.shape(), (Shape{2, 4}));
  // A step from a state of the wrong kind (a GRU decoder's one tensor) is an error, not a crash.
  EXPECT_THROW(decoder.step(decoder.embed(IndexTensor({1, 1})), nn::DecoderState{{final}}, memory), Error);
}

TEST(LuongDecoder, GreedyAndBeamSearchCarryItsState) {
  // Decoding knows nothing of {h, c, h̃}: beam width 1 must give greedy's tokens.
  Generator gen(3);
  auto encoder = std::make_shared<nn::Encoder>(6, 3, 5, false, gen);
  auto decoder = std::make_shared<nn::LuongDecoder>(6, 3, 4, 5, nn::LuongScore::Concat, gen);
  const nn::Seq2seq model(encoder, decoder);
  const std::vector<int64_t> source = {3, 4, 5, 3};
  const nn::GreedyOutput greedy = nn::greedy_decode(model, IndexTensor(source, {1, 4}), Tensor(), 6);
  const std::vector<nn::Hypothesis> beam = nn::beam_search(model, source, {.width = 1, .max_length = 6});
  ASSERT_FALSE(beam.empty());
  EXPECT_EQ(beam[0].tokens, greedy.sequences[0]);
  EXPECT_EQ(greedy.attention.shape()[2], 4);
}

TEST(LuongDecoder, BadSizesNameTheDecoderAndTheCallersLine) {
  const int line = __LINE__ + 2;
  try {
    nn::LuongDecoder(6, 3, 0, 5);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("hidden_size 0"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(fmt::format("luong_decoder_test.cpp:{}", line)), std::string::npos)
        << e.what();
  }
}
