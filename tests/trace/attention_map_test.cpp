// Attention maps: what the tracer recorded is exactly what the attention modules returned, and
// every row is a probability distribution over the source.
#include "trace/attention_map.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <numeric>

#include "nn/bahdanau_attention.hpp"
#include "nn/gpt.hpp"
#include "nn/multi_head_attention.hpp"
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
