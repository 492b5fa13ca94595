// Attention maps: what the tracer recorded is exactly what the attention modules returned, and
// every row is a probability distribution over the source.
#include "trace/attention_map.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <numeric>

#include "nn/bahdanau_attention.hpp"
#include "nn/gpt.hpp"
#include "nn/multi_head_attention.hpp"
#include "nn/transformer_seq2seq_decoder.hpp"
#include "nn/transformer_seq2seq_encoder.hpp"
#include "trace/tracer.hpp"
#include "trace_fixture.hpp"

using namespace glimpse;
using glimpse::test::TinySeq2seq;

namespace {

void expect_rows_sum_to_one(const trace::AttentionMap& map) {
  for (int64_t i = 0; i < map.row_count(); ++i) {
    const double total = std::accumulate(map.weights[i].begin(), map.weights[i].end(), 0.0);
    EXPECT_NEAR(total, 1.0, 1e-5) << map.module << " row " << map.rows[i];
  }
}

}  // namespace

TEST(AttentionMap, RecordedWeightsEqualTheModulesWeights) {
  Generator gen(11);
  nn::BahdanauAttention attention(4, 4, 3, gen);
  const Tensor hs = randn({2, 5, 4}, gen);  // batch 2, 5 source positions
  trace::Tracer first(attention, {.batch_item = 0});
  std::vector<Tensor> returned;
  for (int64_t t = 0; t < 3; ++t) {
    nn::StepScope scope(t);
    returned.push_back(attention(randn({2, 4}, gen), hs, attention.project_keys(hs)).weights);
  }
  const std::vector<trace::AttentionMap> maps = trace::attention_maps(first.recording().sequences.at(0));
  ASSERT_EQ(maps.size(), 1u);
  ASSERT_EQ(maps[0].row_count(), 3);
  ASSERT_EQ(maps[0].column_count(), 5);
  for (int64_t t = 0; t < 3; ++t) {
    const std::vector<float> all = returned[t].to_vector();
    EXPECT_EQ(maps[0].weights[t], std::vector<float>(all.begin(), all.begin() + 5)) << "step " << t;
  }
  expect_rows_sum_to_one(maps[0]);
}

TEST(AttentionMap, Seq2seqMapIsTargetBySourceWithTokenLabels) {
  TinySeq2seq m;
  const nn::Example ex = TinySeq2seq::example();
  trace::Tracer tracer(*m.model);
  tracer.begin_sequence(ex.source, {"<sos>", "c", "b", "a"});
  const nn::DecoderOutput out = m.model->forward(m.batch({ex}));
  const std::vector<trace::AttentionMap> maps = trace::attention_maps(tracer.recording().sequences.at(0));
  // decoder.attention's weights; the decoder passes the same weights on and is not drawn twice.
  ASSERT_EQ(maps.size(), 1u);
  EXPECT_EQ(maps[0].module, "decoder.attention");
  EXPECT_EQ(maps[0].columns, ex.source);
  EXPECT_EQ(maps[0].rows, (std::vector<std::string>{"<sos>", "c", "b", "a"}));
  const std::vector<float> returned = out.attention.contiguous().to_vector();  // [1, T, S]
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 3; ++j) EXPECT_EQ(maps[0].weights[i][j], returned[i * 3 + j]);
  expect_rows_sum_to_one(maps[0]);
}

TEST(AttentionMap, PaddedSourcePositionsGetZeroWeight) {
  TinySeq2seq m;
  trace::Tracer tracer(*m.model, {.batch_item = 1});
  const nn::Example longer{{"a", "b", "c", "a"}, {"a"}, {{0}}, -1};
  m.model->forward(m.batch({longer, TinySeq2seq::example()}));  // example 1 has one padding position
  const auto maps = trace::attention_maps(tracer.recording().sequences.at(0));
  ASSERT_FALSE(maps.empty());
  for (const auto& w : maps[0].weights) EXPECT_EQ(w.back(), 0.0f);
  expect_rows_sum_to_one(maps[0]);
}

TEST(AttentionMap, MultiHeadGivesOneMapPerHeadAndTheAverage) {
  Generator gen(5);
  nn::MultiheadAttention mha(8, 2, 0.0f, gen);
  const Tensor x = randn({1, 4, 8}, gen);
  trace::Tracer tracer(mha);
  tracer.begin_sequence({"the", "animal", "was", "tired"});
  const nn::MultiheadAttentionOutput out = mha(x, x, x, Tensor(), true, Tensor(), /*average_attn_weights=*/false);
  const auto maps = trace::attention_maps(tracer.recording().sequences.at(0));
  ASSERT_EQ(maps.size(), 3u);  // the average, head 0, head 1
  EXPECT_EQ(maps[0].head, -1);
  EXPECT_EQ(maps[1].head, 0);
  EXPECT_EQ(maps[2].head, 1);
  const std::vector<float> heads = out.weights.contiguous().to_vector();  // [1, 2, 4, 4]
  for (int64_t h = 0; h < 2; ++h) {
    EXPECT_EQ(maps[1 + h].rows, (std::vector<std::string>{"the", "animal", "was", "tired"}));
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t j = 0; j < 4; ++j) EXPECT_EQ(maps[1 + h].weights[i][j], heads[(h * 4 + i) * 4 + j]);
  }
  for (const auto& map : maps) expect_rows_sum_to_one(map);
}

TEST(AttentionMap, AGPTGivesEveryLayersAndHeadsCausalMap) {
  Generator gen(6);
  nn::GPTConfig config;
  config.vocab_size = 5;
  config.block_size = 4;
  config.n_layer = 2;
  config.n_head = 2;
  config.n_embd = 8;
  nn::GPT model(config, gen);
  trace::Tracer tracer(model);
  tracer.begin_sequence({"a", "b", "c", "d"});
  model(IndexTensor({0, 1, 2, 3}, Shape{1, 4}));
  const auto maps = trace::attention_maps(tracer.recording().sequences.at(0));
  std::vector<std::string> which;
  for (const auto& map : maps) {
    which.push_back(fmt::format("{} {}", map.module, map.head));
    EXPECT_EQ(map.rows, (std::vector<std::string>{"a", "b", "c", "d"}));
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t j = i + 1; j < 4; ++j)
        EXPECT_EQ(map.weights[i][j], 0.0f) << "causal: " << i << " sees " << j;
    expect_rows_sum_to_one(map);
  }
  EXPECT_EQ(which, (std::vector<std::string>{"h.0.attn -1", "h.0.attn 0", "h.0.attn 1", "h.1.attn -1",
                                             "h.1.attn 0", "h.1.attn 1"}));
}

// Issue 11: a traced teacher-forced pass of an encoder-decoder Transformer records, for every
// layer and head, the encoder's self-attention, the decoder's masked self-attention and its
// cross-attention over the source.
TEST(AttentionMap, AnEncoderDecoderTransformerGivesEveryLayersAndHeadsSelfAndCrossMaps) {
  Generator gen(7);
  auto encoder = std::make_shared<nn::TransformerSeq2seqEncoder>(6, 8, 2, 2, 16, 0.0f, "relu", false, gen);
  auto decoder = std::make_shared<nn::TransformerSeq2seqDecoder>(6, 8, 2, 2, 16, 0.0f, "relu", false, gen);
  nn::Seq2seq model(encoder, decoder);
  model.eval();
  trace::Tracer tracer(model);
  const std::vector<std::string> source = {"a", "b", "c"}, target = {"<sos>", "c", "b", "a"};
  tracer.begin_sequence(source, target);
  const nn::DecoderOutput out = model.decoder().forward(IndexTensor({1, 5, 4, 3}, {1, 4}),
                                                        model.encode(IndexTensor({3, 4, 5}, {1, 3})));
  const auto maps = trace::attention_maps(tracer.recording().sequences.at(0));
  std::map<std::string, const trace::AttentionMap*> by_name;
  for (const auto& map : maps) by_name[fmt::format("{} {}", map.module, map.head)] = &map;
  for (int64_t l = 0; l < 2; ++l)
    for (int64_t h = -1; h < 2; ++h) {
      const auto* enc = by_name[fmt::format("encoder.encoder.layers.{}.self_attn {}", l, h)];
      const auto* self = by_name[fmt::format("decoder.decoder.layers.{}.self_attn {}", l, h)];
      const auto* cross = by_name[fmt::format("decoder.decoder.layers.{}.multihead_attn {}", l, h)];
      ASSERT_TRUE(enc && self && cross) << "layer " << l << " head " << h << ": " << maps.size() << " maps";
      EXPECT_EQ(enc->row_count(), 3);
      EXPECT_EQ(enc->column_count(), 3);
      EXPECT_EQ(self->rows, target);
      EXPECT_EQ(cross->rows, target);
      EXPECT_EQ(cross->columns, source);
      for (int64_t i = 0; i < 4; ++i)
        for (int64_t j = i + 1; j < 4; ++j)
          EXPECT_EQ(self->weights[i][j], 0.0f) << "causal: " << i << " sees " << j;
      for (const auto* map : {enc, self, cross}) expect_rows_sum_to_one(*map);
    }
  // The last layer's averaged cross-attention is what the decoder reports as its attention.
  const auto* last = by_name["decoder.decoder.layers.1.multihead_attn -1"];
  for (int64_t k = 0; k < 4; ++k)
    for (int64_t j = 0; j < 3; ++j) EXPECT_EQ(last->weights[k][j], out.attention.at({0, k, j}));
}

TEST(AttentionMapFromTensor, OneSequencesWeightsBecomeRowsUnderTheirLabels) {
  const Tensor w = from_vector({0.7f, 0.2f, 0.1f, 0.0f, 0.5f, 0.5f}, {1, 2, 3});
  const trace::AttentionMap map =
      trace::attention_map(w, {"le", "chat"}, {"the", "black", "cat"}, "decoder.attention");
  EXPECT_EQ(map.module, "decoder.attention");
  EXPECT_EQ(map.rows, (std::vector<std::string>{"le", "chat"}));
  EXPECT_EQ(map.columns, (std::vector<std::string>{"the", "black", "cat"}));
  ASSERT_EQ(map.weights.size(), 2u);
  EXPECT_EQ(map.weights[0], (std::vector<float>{0.7f, 0.2f, 0.1f}));
  EXPECT_EQ(map.weights[1], (std::vector<float>{0.0f, 0.5f, 0.5f}));
  // [T, S] without the batch dimension, and a transposed (non-contiguous) view, read the same.
  EXPECT_EQ(trace::attention_map(w.reshape({2, 3}), {"a", "b"}, {"x", "y", "z"}, "m").weights, map.weights);
  const Tensor transposed = from_vector({0.7f, 0.0f, 0.2f, 0.5f, 0.1f, 0.5f}, {3, 2}).transpose(0, 1);
  EXPECT_EQ(trace::attention_map(transposed, {"a", "b"}, {"x", "y", "z"}, "m").weights, map.weights);
}

TEST(AttentionMapFromTensor, LabelsThatDoNotMatchTheShapeAreAnError) {
  const Tensor w = from_vector({0.5f, 0.5f, 1.0f, 0.0f}, {2, 2});
  try {
    trace::attention_map(w, {"one"}, {"x", "y"}, "decoder.attention");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("shape [2, 2] but 1 row and 2 column labels"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(trace::attention_map(from_vector({1.0f}, {1}), {"a"}, {"x"}, "m"), Error);
  EXPECT_THROW(trace::attention_map(from_vector({1.0f, 1.0f}, {2, 1, 1}), {"a"}, {"x"}, "m"), Error);
}
