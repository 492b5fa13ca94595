// Greedy decoding and beam search on small untrained models: shapes, k = 1 equals greedy,
// hypotheses' scores are their log-probabilities.
#include "nn/decoding.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "autograd/tape.hpp"

using namespace glimpse;
using namespace glimpse::nn;

namespace {

constexpr int64_t kVocab = 8;

std::shared_ptr<Seq2seq> make_model(bool attention, uint64_t seed) {
  Generator gen(seed);
  auto encoder = std::make_shared<Encoder>(kVocab, 4, 6, false, gen);
  std::shared_ptr<Seq2seqDecoder> decoder;
  if (attention)
    decoder = std::make_shared<AttentionDecoder>(kVocab, 4, 6, 0, gen);
  else
    decoder = std::make_shared<Decoder>(kVocab, 4, 6, gen);
  return std::make_shared<Seq2seq>(encoder, decoder);
}

std::vector<int64_t> random_source(Generator& gen, int64_t length) {
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < length; ++i)
    ids.push_back(Vocab::kNumSpecial + gen.integer(kVocab - Vocab::kNumSpecial));
  return ids;
}

// Σ log p(y_t) of `tokens` (+ <eos> when `with_eos`), teacher-forced.
double sequence_log_prob(const Seq2seq& model, const std::vector<int64_t>& source,
                         const std::vector<int64_t>& tokens, bool with_eos) {
  NoGradGuard no_grad;
  const auto S = static_cast<int64_t>(source.size());
  const auto T = static_cast<int64_t>(tokens.size()) + (with_eos ? 1 : 0);
  std::vector<int64_t> input = {Vocab::kSos};
  input.insert(input.end(), tokens.begin(), tokens.end());
  input.resize(static_cast<size_t>(T));
  const DecoderMemory memory = model.encode(IndexTensor(source, {1, S}));
  const Tensor log_p = log_softmax(model.decoder().forward(IndexTensor(input, {1, T}), memory).logits, 2);
  double total = 0;
  for (int64_t t = 0; t < T; ++t) {
    const int64_t y = t < static_cast<int64_t>(tokens.size()) ? tokens[t] : Vocab::kEos;
    total += log_p.at({0, t, y});
  }
  return total;
}

}  // namespace

TEST(GreedyDecode, ShapesAndPaddingAfterEos) {
  for (bool attention : {false, true}) {
    auto model = make_model(attention, 1);
    // Two sources, the second padded. No float literal {1, 1, 1, 1, 1, 1, 0, 0} here: GCC 12.2
    // with -mavx512f (GLIMPSE_NATIVE on this machine) at -O2 miscompiles that very initializer
    // list into eight 1s in this file.
    const Vocab vocab({"a", "b", "c", "d"});
    Example first, second;
    first.source = {"a", "b", "c", "d"};
    second.source = {"b", "c"};
    const Batch batch = make_batch(std::vector<Example>{first, second}, vocab, vocab);
    ASSERT_EQ(batch.source_mask.at({1, 1}), 1.0f);
    ASSERT_EQ(batch.source_mask.at({1, 2}), 0.0f);
    const GreedyOutput out = greedy_decode(*model, batch.source, batch.source_mask, 6);
    ASSERT_EQ(out.tokens.shape.size(), 2u);
    EXPECT_EQ(out.tokens.shape[0], 2);
    const int64_t T = out.tokens.shape[1];
    EXPECT_GE(T, 1);
    EXPECT_LE(T, 6);
    if (attention) {
      EXPECT_EQ(out.attention.shape(), (Shape{2, T, 4}));
      for (int64_t t = 0; t < T; ++t) {  // row 1 never looks at its padding
        EXPECT_EQ(out.attention.at({1, t, 2}), 0.0f);
        EXPECT_EQ(out.attention.at({1, t, 3}), 0.0f);
      }
    } else {
      EXPECT_FALSE(out.attention.defined());
    }
    ASSERT_EQ(out.sequences.size(), 2u);
    for (int64_t b = 0; b < 2; ++b) {
      // sequences[b] is the row up to its first <eos>; after it, <pad>.
      const auto n = static_cast<int64_t>(out.sequences[b].size());
      for (int64_t t = 0; t < n; ++t) EXPECT_EQ(out.tokens.values[b * T + t], out.sequences[b][t]);
      if (n < T) {
        EXPECT_EQ(out.tokens.values[b * T + n], Vocab::kEos);
        for (int64_t t = n + 1; t < T; ++t) EXPECT_EQ(out.tokens.values[b * T + t], Vocab::kPad);
      }
    }
  }
}

TEST(GreedyDecode, StopsWhenEveryRowHasEnded) {
  auto model = make_model(true, 2);
  // Make <eos> the runaway favourite: a large bias on its output logit.
  {
    NoGradGuard no_grad;
    for (auto& [name, p] : model->named_parameters())
      if (name == "decoder.out.bias") p.data()[Vocab::kEos] = 100.0f;
  }
  const GreedyOutput out = greedy_decode(*model, IndexTensor({4, 5}, {1, 2}), Tensor(), 10);
  EXPECT_EQ(out.tokens.shape[1], 1);
  EXPECT_EQ(out.tokens.values, (std::vector<int64_t>{Vocab::kEos}));
  EXPECT_TRUE(out.sequences[0].empty());
}

TEST(GreedyDecode, EachRowStopsAtItsOwnMaximumLength) {
  // <eos> made impossible, so every row runs to its limit: 2 steps for row 0, 5 for row 1.
  auto model = make_model(true, 3);
  {
    NoGradGuard no_grad;
    for (auto& [name, p] : model->named_parameters())
      if (name == "decoder.out.bias") p.data()[Vocab::kEos] = -100.0f;
  }
  const IndexTensor sources({4, 5, 6, 5, 4, 6}, {2, 3});
  const GreedyOutput out = greedy_decode(*model, sources, Tensor(), std::vector<int64_t>{2, 5});
  ASSERT_EQ(out.tokens.shape, (Shape{2, 5}));
  EXPECT_EQ(out.sequences[0].size(), 2u);
  EXPECT_EQ(out.sequences[1].size(), 5u);
  for (int64_t t = 2; t < 5; ++t) EXPECT_EQ(out.tokens.values[t], Vocab::kPad) << t;
  // Row 1 is what decoding it alone with max_length 5 gives; one length for all is the old call.
  const GreedyOutput alone = greedy_decode(*model, IndexTensor({5, 4, 6}, {1, 3}), Tensor(), 5);
  EXPECT_EQ(out.sequences[1], alone.sequences[0]);
  const GreedyOutput same = greedy_decode(*model, sources, Tensor(), std::vector<int64_t>{5, 5});
  EXPECT_EQ(same.tokens.values, greedy_decode(*model, sources, Tensor(), 5).tokens.values);
  EXPECT_THROW(greedy_decode(*model, sources, Tensor(), std::vector<int64_t>{2}), Error);
  EXPECT_THROW(greedy_decode(*model, sources, Tensor(), std::vector<int64_t>{2, 0}), Error);
}

TEST(BeamSearch, WidthOneIsGreedy) {
  Generator gen(5);
  for (bool attention : {false, true}) {
    for (uint64_t seed = 0; seed < 4; ++seed) {
      auto model = make_model(attention, seed);
      for (int i = 0; i < 3; ++i) {
        const std::vector<int64_t> source = random_source(gen, 3 + i);
        const auto S = static_cast<int64_t>(source.size());
        const GreedyOutput greedy = greedy_decode(*model, IndexTensor(source, {1, S}), Tensor(), 8);
        BeamOptions options;
        options.width = 1;
        options.max_length = 8;
        const std::vector<Hypothesis> beam = beam_search(*model, source, options);
        ASSERT_EQ(beam.size(), 1u);
        EXPECT_EQ(beam[0].tokens, greedy.sequences[0]);
        EXPECT_EQ(beam[0].finished, greedy.tokens.values.back() == Vocab::kEos);
        if (attention) {  // the same attention, step by step
          const int64_t T = greedy.tokens.shape[1];
          ASSERT_EQ(static_cast<int64_t>(beam[0].attention.size()), T);
          for (int64_t t = 0; t < T; ++t)
            for (int64_t s = 0; s < S; ++s)
              EXPECT_NEAR(beam[0].attention[t][s], greedy.attention.at({0, t, s}), 1e-6);
        }
      }
    }
  }
}

TEST(BeamSearch, HypothesesAreRankedAndScoredByTheirLogProbability) {
  Generator gen(8);
  for (bool normalize : {false, true}) {
    auto model = make_model(true, 11);
    const std::vector<int64_t> source = random_source(gen, 5);
    BeamOptions options;
    options.width = 3;
    options.max_length = 6;
    options.length_normalize = normalize;
    const std::vector<Hypothesis> beam = beam_search(*model, source, options);
    ASSERT_GE(beam.size(), 1u);
    ASSERT_LE(beam.size(), 3u);
    for (size_t i = 0; i < beam.size(); ++i) {
      const Hypothesis& h = beam[i];
      if (i > 0) {
        EXPECT_GE(beam[i - 1].score, h.score);
      }
      EXPECT_NEAR(h.log_prob, sequence_log_prob(*model, source, h.tokens, h.finished), 1e-4);
      const double length = static_cast<double>(h.tokens.size() + (h.finished ? 1 : 0));
      EXPECT_NEAR(h.score, normalize ? h.log_prob / length : h.log_prob, 1e-5);
      EXPECT_EQ(h.attention.size(), static_cast<size_t>(length));
      for (const auto& row : h.attention) {
        double sum = 0;
        for (float w : row) sum += w;
        EXPECT_NEAR(sum, 1.0, 1e-5);
      }
      if (!h.finished) {
        EXPECT_EQ(static_cast<int64_t>(h.tokens.size()), options.max_length);
      }
    }
  }
}

TEST(BeamSearch, AWiderBeamFindsAtLeastAsProbableAFinishedOutputHere) {
  // Not a theorem for beam search in general, but on these small models a beam of 4 should never
  // end up worse than greedy on the unnormalised score; a failure here points at a search bug.
  Generator gen(13);
  for (uint64_t seed = 0; seed < 5; ++seed) {
    auto model = make_model(true, seed);
    const std::vector<int64_t> source = random_source(gen, 4);
    BeamOptions greedy_like{1, 12, false};
    BeamOptions wide{4, 12, false};
    const Hypothesis g = beam_search(*model, source, greedy_like)[0];
    const Hypothesis w = beam_search(*model, source, wide)[0];
    if (g.finished && w.finished) {
      EXPECT_GE(w.log_prob, g.log_prob - 1e-5) << "seed " << seed;
    }
  }
}

TEST(BeamSearch, ABatchGivesEachSentenceExactlyItsOwnSearch) {
  // Sentences of different lengths (so padding), searched together and one by one: the same
  // hypotheses, scores and attention, bit for bit, for both decoders and several widths.
  for (bool attention : {false, true}) {
    const auto model = make_model(attention, 31);
    Generator gen(32);
    const std::vector<int64_t> lengths = {5, 2, 7, 3};
    const int64_t B = 4, S = 7;
    std::vector<int64_t> ids(static_cast<size_t>(B * S), Vocab::kPad);
    std::vector<float> mask(static_cast<size_t>(B * S), 0.0f);
    std::vector<std::vector<int64_t>> sources;
    for (int64_t b = 0; b < B; ++b) {
      sources.push_back(random_source(gen, lengths[b]));
      for (int64_t j = 0; j < lengths[b]; ++j) ids[b * S + j] = sources[b][j], mask[b * S + j] = 1.0f;
    }
    for (int64_t width : {1, 3}) {
      const BeamOptions options{.width = width, .max_length = 9};
      const std::vector<std::vector<Hypothesis>> together =
          beam_search(*model, IndexTensor(ids, {B, S}), from_vector(mask, {B, S}), options);
      ASSERT_EQ(together.size(), 4u);
      for (int64_t b = 0; b < B; ++b) {
        const std::vector<Hypothesis> alone = beam_search(*model, sources[b], options);
        ASSERT_EQ(together[b].size(), alone.size()) << "sentence " << b << ", width " << width;
        for (size_t h = 0; h < alone.size(); ++h) {
          EXPECT_EQ(together[b][h].tokens, alone[h].tokens) << "sentence " << b << ", hypothesis " << h;
          EXPECT_EQ(together[b][h].log_prob, alone[h].log_prob);
          EXPECT_EQ(together[b][h].score, alone[h].score);
          EXPECT_EQ(together[b][h].finished, alone[h].finished);
          EXPECT_EQ(together[b][h].attention, alone[h].attention);  // over its own tokens only
          if (attention) {
            ASSERT_FALSE(alone[h].attention.empty());
          }
          for (const auto& step : together[b][h].attention)
            EXPECT_EQ(static_cast<int64_t>(step.size()), lengths[b]);
        }
      }
    }
  }
}

TEST(BeamSearch, ABatchWithWidthOneIsGreedyOnTheBatch) {
  const auto model = make_model(true, 33);
  const IndexTensor source({4, 5, 6, 7, 5, 4, 0, 0}, {2, 4});
  const Tensor mask = from_vector({1, 1, 1, 1, 1, 1, 0, 0}, {2, 4});
  const GreedyOutput greedy = greedy_decode(*model, source, mask, 8);
  const auto beams = beam_search(*model, source, mask, {.width = 1, .max_length = 8});
  for (int64_t b = 0; b < 2; ++b) EXPECT_EQ(beams[b][0].tokens, greedy.sequences[b]) << "row " << b;
}

TEST(BeamSearch, BadOptionsAreErrors) {
  auto model = make_model(true, 1);
  EXPECT_THROW(beam_search(*model, std::vector<int64_t>{}, {}), Error);
  EXPECT_THROW(beam_search(*model, {4, 5}, BeamOptions{0, 5, true}), Error);
  EXPECT_THROW(beam_search(*model, IndexTensor({4, 5}, {2}), Tensor(), {}), Error);  // not [B, S]
  EXPECT_THROW(beam_search(*model, IndexTensor({4, 5}, {1, 2}), from_vector({1, 1, 1}, {1, 3}), {}),
               Error);  // mask
  EXPECT_THROW(greedy_decode(*model, IndexTensor({4}, {1, 1}), Tensor(), 0), Error);
}
