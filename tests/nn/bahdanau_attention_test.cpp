// Lesson 06: Bahdanau attention against a hand-written PyTorch reference (the anchor's Attn).
#include "nn/bahdanau_attention.hpp"

#include <gtest/gtest.h>

#include "attention_fixture.hpp"
#include "nn/attention_mask.hpp"
#include "nn/state.hpp"

using namespace glimpse;

namespace {
struct Recorder : nn::StepObserver {
  std::vector<nn::StepRecord> records;
  void on_step(const nn::StepRecord& r) override { records.push_back(r); }
};
}  // namespace

TEST(BahdanauAttention, ParameterNamesMatchTheAnchor) {
  Generator gen(1);
  nn::BahdanauAttention attn(3, 5, 4, gen);
  std::vector<std::string> names;
  for (auto& [name, p] : attn.named_parameters()) names.push_back(name + to_string(p.shape()));
  EXPECT_EQ(names, (std::vector<std::string>{"W.weight[4, 3]", "U.weight[4, 5]", "U.bias[4]", "v.weight[1, 4]"}));
}

TEST(BahdanauAttention, MatchesPyTorchValuesAndGradients) {
  auto f = test::load_fixture("attention_bahdanau");
  Generator gen(1);
  nn::BahdanauAttention attn(3, 5, 4, gen);
  nn::load_state(attn, test::fixture_params(f));
  Tensor s = test::leaf(f.at("s")), hs = test::leaf(f.at("hs"));
  const auto out = attn(s, hs, attn.project_keys(hs), f.at("mask"));
  EXPECT_TRUE(test::all_close(out.context, f.at("context")));
  EXPECT_TRUE(test::all_close(out.weights, f.at("weights")));
  test::fixture_loss(f, {{"context", out.context}, {"weights", out.weights}}).backward();
  EXPECT_TRUE(test::all_close(s.grad(), f.at("grad.s")));
  EXPECT_TRUE(test::all_close(hs.grad(), f.at("grad.hs")));
  for (auto& [name, p] : attn.named_parameters())
    EXPECT_TRUE(test::all_close(p.grad(), f.at("grad.param." + name))) << name;
}

TEST(BahdanauAttention, ProjectingTheKeysOnTheSpotGivesTheSameResult) {
  Generator gen(2);
  nn::BahdanauAttention attn(3, 5, 4, gen);
  const Tensor s = randn({2, 3}, gen), hs = randn({2, 6, 5}, gen);
  const auto once = attn(s, hs, attn.project_keys(hs));
  const auto each = attn.forward(s, hs);
  EXPECT_EQ(once.context.to_vector(), each.context.to_vector());
  EXPECT_EQ(once.weights.to_vector(), each.weights.to_vector());
}

TEST(BahdanauAttention, NeverLooksAtPaddingAndRowsSumToOne) {
  Generator gen(3);
  nn::BahdanauAttention attn(3, 5, 4, gen);
  const Tensor s = randn({3, 3}, gen), hs = randn({3, 6, 5}, gen);
  const Tensor mask = nn::padding_mask({6, 2, 4}, 6);
  const auto out = attn(s, hs, attn.project_keys(hs), mask);
  const int64_t lengths[] = {6, 2, 4};
  for (int64_t b = 0; b < 3; ++b) {
    float row = 0.0f;
    for (int64_t j = 0; j < 6; ++j) {
      row += out.weights.at({b, j});
      if (j >= lengths[b]) {
        EXPECT_EQ(out.weights.at({b, j}), 0.0f) << b << "," << j;
      }
    }
    EXPECT_NEAR(row, 1.0f, 1e-6f);
  }
  // Changing a padded encoder state changes nothing.
  Tensor hs2 = hs.clone();
  hs2.data()[(1 * 6 + 4) * 5 + 2] += 100.0f;
  const auto out2 = attn(s, hs2, attn.project_keys(hs2), mask);
  EXPECT_EQ(out.context.to_vector(), out2.context.to_vector());
}

TEST(BahdanauAttention, Gradcheck) {
  Generator gen(4);
  nn::BahdanauAttention attn(2, 3, 2, gen);
  const Tensor mask = nn::padding_mask({3, 2}, 3);
  auto f = [&](const std::vector<Tensor>& in) {
    const auto out = attn(in[0], in[1], attn.project_keys(in[1]), mask);
    return cat({out.context.flatten(), out.weights.flatten()}, 0);
  };
  EXPECT_TRUE(test::gradcheck(f, {test::leaf(randn({2, 2}, gen)), test::leaf(randn({2, 3, 3}, gen))}));
  auto g = [&](const std::vector<Tensor>&) {
    const Tensor s = from_vector({0.3f, -0.2f, 0.5f, 0.1f}, {2, 2});
    const Tensor hs = from_vector({0.1f, 0.4f, -0.3f, 0.2f, 0.6f, -0.1f, 0.5f, -0.4f, 0.3f, 0.2f, 0.0f, -0.6f,
                                   0.7f, 0.1f, -0.2f, 0.3f, 0.2f, 0.4f},
                                  {2, 3, 3});
    return attn(s, hs, attn.project_keys(hs), mask).context;
  };
  EXPECT_TRUE(test::gradcheck(g, attn.parameters()));
}

TEST(BahdanauAttention, EmitsScoresWeightsAndContext) {
  Generator gen(5);
  nn::BahdanauAttention attn(3, 5, 4, gen);
  Recorder rec;
  nn::add_step_observer(&rec);
  const auto out = attn.forward(randn({1, 3}, gen), randn({1, 2, 5}, gen));
  nn::remove_step_observer(&rec);
  ASSERT_EQ(rec.records.size(), 1u);
  EXPECT_EQ(rec.records[0].kind, "BahdanauAttention");
  ASSERT_EQ(rec.records[0].values.size(), 3u);
  EXPECT_EQ(rec.records[0].values[0].first, "scores");
  EXPECT_EQ(rec.records[0].values[1].first, "weights");
  EXPECT_EQ(rec.records[0].values[1].second.node(), out.weights.node());
  EXPECT_EQ(rec.records[0].values[2].first, "context");
}

TEST(BahdanauAttention, ErrorsNameTheModuleAndShapes) {
  Generator gen(6);
  nn::BahdanauAttention attn(3, 5, 4, gen);
  const Tensor hs = zeros({2, 6, 5});
  try {
    attn(zeros({2, 4}), hs, attn.project_keys(hs));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "BahdanauAttention");
    EXPECT_NE(std::string(e.what()).find("[2, 4]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(attn(zeros({2, 3}), hs, Tensor()), Error);
  EXPECT_THROW(attn(zeros({2, 3}), hs, attn.project_keys(hs), zeros({2, 5})), Error);
}
