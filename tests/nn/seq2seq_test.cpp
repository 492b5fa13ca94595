// Seq2seq: shapes, the shared decoder interface, teacher forcing ratios, padding masks, gradients.
#include "nn/seq2seq.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <set>

#include "autograd/tape.hpp"
#include "nn/luong_decoder.hpp"
#include "nn/vocab.hpp"
#include "support/fixtures.hpp"

using namespace glimpse;
using namespace glimpse::nn;

namespace {

constexpr int64_t kVocab = 9;
constexpr int64_t kEmb = 5;
constexpr int64_t kHidden = 6;

std::shared_ptr<Seq2seq> make_model(bool attention, bool bidirectional = false, uint64_t seed = 3) {
  Generator gen(seed);
  auto encoder = std::make_shared<Encoder>(kVocab, kEmb, kHidden, bidirectional, gen);
  const int64_t E = encoder->output_size();
  std::shared_ptr<Seq2seqDecoder> decoder;
  if (attention) decoder = std::make_shared<AttentionDecoder>(kVocab, kEmb, E, 4, gen);
  else decoder = std::make_shared<Decoder>(kVocab, kEmb, E, gen);
  return std::make_shared<Seq2seq>(encoder, decoder);
}

Example ex(std::vector<std::string> source, std::vector<std::string> target) {
  Example e;
  e.source = std::move(source);
  e.target = std::move(target);
  return e;
}

// Two sentences of different lengths: the first is padded.
Batch two_sentences() {
  static const Vocab vocab({"a", "b", "c", "d", "e"});
  std::vector<Example> examples = {ex({"a", "b", "c"}, {"c", "b", "a"}), ex({"e", "d", "c", "b", "a"}, {"a", "e"})};
  return make_batch(examples, vocab, vocab);
}

}  // namespace

TEST(Seq2seq, ParameterNamesFollowTheModules) {
  auto model = make_model(true);
  std::set<std::string> names;
  for (const auto& [name, p] : model->named_parameters()) names.insert(name);
  for (const char* expected : {"encoder.embedding.weight", "encoder.gru.weight_ih_l0", "decoder.embedding.weight",
                               "decoder.attention.W.weight", "decoder.attention.U.weight", "decoder.attention.U.bias",
                               "decoder.attention.v.weight", "decoder.cell.weight_ih", "decoder.out.weight",
                               "decoder.out.bias"})
    EXPECT_EQ(names.count(expected), 1u) << expected;
  auto plain = make_model(false);
  for (const auto& [name, p] : plain->named_parameters()) EXPECT_EQ(name.find("attention"), std::string::npos) << name;
}

TEST(Seq2seq, ShapesForBothDecodersThroughOneInterface) {
  const Batch batch = two_sentences();  // S = 5, T = 4
  for (bool attention : {false, true}) {
    for (bool bidirectional : {false, true}) {
      auto model = make_model(attention, bidirectional);
      const Seq2seqDecoder& decoder = model->decoder();
      EXPECT_EQ(decoder.has_attention(), attention);
      const EncoderOutput enc = model->encoder().forward(batch.source, batch.source_mask);
      const int64_t E = bidirectional ? 2 * kHidden : kHidden;
      EXPECT_EQ(enc.states.shape(), (Shape{2, 5, E}));
      EXPECT_EQ(enc.final.shape(), (Shape{2, E}));
      EXPECT_EQ(enc.padding_mask.to_vector(), (std::vector<float>{0, 0, 0, 1, 1, 0, 0, 0, 0, 0}));
      const DecoderOutput out = model->forward(batch);
      EXPECT_EQ(out.logits.shape(), (Shape{2, 4, kVocab}));
      if (attention) {
        EXPECT_EQ(out.attention.shape(), (Shape{2, 4, 5}));
      } else {
        EXPECT_FALSE(out.attention.defined());
      }
      const Tensor loss = model->loss(batch);
      EXPECT_EQ(loss.dim(), 0);
      EXPECT_TRUE(std::isfinite(loss.item()));
    }
  }
}

TEST(Seq2seq, DecoderSizeMustMatchTheEncoder) {
  Generator gen(1);
  auto encoder = std::make_shared<Encoder>(kVocab, kEmb, kHidden, /*bidirectional=*/true, gen);
  auto decoder = std::make_shared<AttentionDecoder>(kVocab, kEmb, kHidden, 0, gen);
  try {
    Seq2seq model(encoder, decoder);
    FAIL() << "expected glimpse::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("size 6, but the encoder's output size is 12"), std::string::npos)
        << e.what();
  }
}

TEST(Seq2seq, LossIsTheMeanCrossEntropyOverRealTargetTokens) {
  const Batch batch = two_sentences();
  auto model = make_model(true);
  NoGradGuard no_grad;
  const std::vector<float> logits = model->forward(batch).logits.to_vector();  // [2, 4, V]
  double total = 0;
  int count = 0;
  for (int64_t i = 0; i < 2 * 4; ++i) {
    const int64_t y = batch.decoder_target.values[i];
    if (y == kIgnoreIndex) continue;
    double m = -1e30, z = 0;
    for (int64_t v = 0; v < kVocab; ++v) m = std::max<double>(m, logits[i * kVocab + v]);
    for (int64_t v = 0; v < kVocab; ++v) z += std::exp(logits[i * kVocab + v] - m);
    total += -(logits[i * kVocab + y] - m - std::log(z));
    ++count;
  }
  EXPECT_EQ(count, 4 + 3);
  EXPECT_NEAR(model->loss(batch).item(), total / count, 1e-5);
}

TEST(Seq2seq, EveryParameterGetsAGradient) {
  const Batch batch = two_sentences();
  for (bool attention : {false, true}) {
    auto model = make_model(attention, /*bidirectional=*/true);
    model->zero_grad();
    model->loss(batch).backward();
    for (const auto& [name, p] : model->named_parameters()) {
      ASSERT_TRUE(p.grad().defined()) << name;
      double norm = 0;
      for (float g : p.grad().to_vector()) norm += std::abs(g);
      EXPECT_GT(norm, 0.0) << name;
    }
  }
}

TEST(Seq2seq, TeacherForcingRatioOneReadsTheTruthRatioZeroReadsItsOwnPredictions) {
  Batch batch = two_sentences();
  Batch changed = batch;  // the same batch, but different true inputs after <sos>
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t t = 1; t < 4; ++t) changed.decoder_input.values[b * 4 + t] = 4 + (t + b) % 5;
  auto model = make_model(true);
  NoGradGuard no_grad;

  // Ratio 1: the inputs are the truth, so changing them changes the output.
  const std::vector<float> forced = model->forward(batch, 1.0f).logits.to_vector();
  EXPECT_NE(forced, model->forward(changed, 1.0f).logits.to_vector());

  // Ratio 0: only <sos> is read; later steps read the argmax of the previous step.
  const DecoderOutput free_running = model->forward(batch, 0.0f);
  EXPECT_EQ(free_running.logits.to_vector(), model->forward(changed, 0.0f).logits.to_vector());
  // ... which is what feeding the argmax by hand gives.
  const DecoderMemory memory = model->encode(batch.source, batch.source_mask);
  const IndexTensor predicted = argmax(free_running.logits, 2);  // [2, 4]
  IndexTensor by_hand = batch.decoder_input;
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t t = 1; t < 4; ++t) by_hand.values[b * 4 + t] = predicted.values[b * 4 + t - 1];
  EXPECT_EQ(free_running.logits.to_vector(), model->decoder().forward(by_hand, memory, 1.0f).logits.to_vector());

  // A ratio in between flips a seeded coin per step: same seed, same result; it needs a generator.
  Generator g1(9), g2(9);
  EXPECT_EQ(model->forward(changed, 0.5f, &g1).logits.to_vector(),
            model->forward(changed, 0.5f, &g2).logits.to_vector());
  EXPECT_THROW(model->forward(batch, 0.5f), Error);
  EXPECT_THROW(model->forward(batch, 1.5f), Error);
  // Over many seeds, both kinds of step happen.
  std::set<std::vector<float>> outcomes;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Generator g(seed);
    outcomes.insert(model->forward(changed, 0.5f, &g).logits.to_vector());
  }
  EXPECT_GT(outcomes.size(), 2u);
}

TEST(Seq2seq, PaddingChangesNothingForRealTokensAndGetsZeroAttention) {
  static const Vocab vocab({"a", "b", "c", "d", "e"});
  const std::vector<Example> alone = {ex({"a", "b", "c"}, {"c", "b", "a"})};
  const std::vector<Example> padded = {ex({"a", "b", "c"}, {"c", "b", "a"}),
                                       ex({"e", "d", "c", "b", "a", "e", "d"}, {"c", "b", "a"})};
  const Batch single = make_batch(alone, vocab, vocab);  // S = 3, no padding
  const Batch both = make_batch(padded, vocab, vocab);   // S = 7, row 0 has 4 padding positions
  for (bool bidirectional : {false, true}) {
    auto model = make_model(true, bidirectional);
    NoGradGuard no_grad;
    const DecoderOutput a = model->forward(single);
    const DecoderOutput b = model->forward(both);
    // Row 0's attention: [T=4, S=7]; the first 3 columns equal the unpadded run, the rest are 0.
    const std::vector<float> wa = a.attention.to_vector();  // [1, 4, 3]
    const std::vector<float> wb = b.attention.to_vector();  // [2, 4, 7]
    for (int64_t t = 0; t < 4; ++t) {
      for (int64_t s = 0; s < 3; ++s) EXPECT_NEAR(wb[t * 7 + s], wa[t * 3 + s], 1e-6) << "t=" << t << " s=" << s;
      for (int64_t s = 3; s < 7; ++s) EXPECT_EQ(wb[t * 7 + s], 0.0f) << "t=" << t << " s=" << s;
    }
    // And so the predictions for row 0 are the same.
    const std::vector<float> la = a.logits.to_vector();
    const std::vector<float> lb = b.logits.to_vector();
    for (int64_t i = 0; i < 4 * kVocab; ++i) EXPECT_NEAR(lb[i], la[i], 1e-5) << i;
    // The encoder's final state is the state after the last *real* token.
    EXPECT_TRUE(test::all_close(model->encoder().forward(both.source, both.source_mask).final.select(0, 0),
                                model->encoder().forward(single.source, single.source_mask).final.select(0, 0),
                                1e-5f, 1e-6f));
  }
}

TEST(Seq2seq, StepsAreTaggedWithTheirTimeIndex) {
  struct Recorder : StepObserver {
    std::vector<std::pair<std::string, int64_t>> seen;
    void on_step(const StepRecord& r) override { seen.emplace_back(r.kind, r.step); }
  } recorder;
  auto model = make_model(true);
  const Batch batch = two_sentences();
  add_step_observer(&recorder);
  model->forward(batch);
  remove_step_observer(&recorder);
  std::vector<int64_t> attention_steps, decoder_steps;
  for (const auto& [kind, step] : recorder.seen) {
    if (kind == "BahdanauAttention") attention_steps.push_back(step);
    if (kind == "AttentionDecoder") decoder_steps.push_back(step);
  }
  EXPECT_EQ(attention_steps, (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(decoder_steps, (std::vector<int64_t>{0, 1, 2, 3}));
}

TEST(Seq2seq, AnLSTMEncoderIsEmbeddingThenLSTM) {
  // The same seed draws the same parameters in the same order, so the encoder must give exactly
  // what Embedding followed by nn::LSTM gives, padding included (the final state is the one
  // after the last real token), and name its parameters as torch.nn.LSTM does.
  for (bool bidirectional : {false, true}) {
    SCOPED_TRACE(bidirectional ? "bidirectional" : "forward only");
    Generator g1(5), g2(5);
    Encoder encoder(EncoderCell::LSTM, kVocab, kEmb, kHidden, bidirectional, g1);
    Embedding embedding(kVocab, kEmb, Vocab::kPad, g2);
    LSTM lstm(kEmb, kHidden, 1, bidirectional, g2);
    EXPECT_EQ(encoder.cell(), EncoderCell::LSTM);
    EXPECT_EQ(encoder.output_size(), bidirectional ? 2 * kHidden : kHidden);
    bool named_as_torch = false;
    for (const auto& [name, p] : encoder.named_parameters()) named_as_torch |= name == "lstm.weight_ih_l0";
    EXPECT_TRUE(named_as_torch);
    const IndexTensor source({3, 4, 5, 6, 4, 3, 0, 0}, {2, 4});
    std::vector<float>
        real;  // 1 = a real token; built from the ids, not from a literal list (see decoding_test.cpp)
    for (int64_t id : source.values) real.push_back(id == Vocab::kPad ? 0.0f : 1.0f);
    const Tensor mask = from_vector(real, {2, 4});
    const EncoderOutput out = encoder.forward(source, mask);
    const RecurrentOutput by_hand = lstm.forward(embedding.forward(source), {}, mask);
    EXPECT_EQ(out.states.to_vector(), by_hand.output.to_vector());
    EXPECT_EQ(out.final.to_vector(), by_hand.last().to_vector());
  }
}

TEST(Seq2seq, AnLSTMEncoderFeedsALuongDecoderOfAnotherSize) {
  // Encoder E = 2·6 (bidirectional LSTM), decoder H = 5: the bridge makes the decoder's start.
  Generator gen(6);
  auto encoder = std::make_shared<Encoder>(EncoderCell::LSTM, kVocab, kEmb, kHidden, true, gen);
  auto decoder =
      std::make_shared<LuongDecoder>(kVocab, kEmb, 5, encoder->output_size(), LuongScore::General, gen);
  Seq2seq model(encoder, decoder);
  const DecoderMemory memory = model.encode(IndexTensor({3, 4, 5}, {1, 3}));
  EXPECT_EQ(decoder->initial_state(memory).hidden().shape(), (Shape{1, 5}));
  const Tensor loss = sequence_cross_entropy(decoder->forward(IndexTensor({1, 4}, {1, 2}), memory).logits,
                                             IndexTensor({4, 2}, {1, 2}));
  loss.backward();
  for (const auto& [name, p] : model.named_parameters()) {
    if (name.rfind("encoder.lstm.weight", 0) == 0) {
      EXPECT_TRUE(p.grad().defined()) << name;
    }
  }
}
