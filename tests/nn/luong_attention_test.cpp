// Lesson 08: Luong's dot, general and concat scores against a hand-written PyTorch reference.
#include "nn/luong_attention.hpp"

#include <gtest/gtest.h>

#include "attention_fixture.hpp"
#include "nn/attention_mask.hpp"
#include "nn/state.hpp"

using namespace glimpse;

namespace {

void check_against_fixture(nn::LuongScore score, int64_t dec_hidden) {
  SCOPED_TRACE(nn::to_string(score));
  auto f = test::load_fixture("attention_luong_" + nn::to_string(score));
  Generator gen(1);
  nn::LuongAttention attn(score, dec_hidden, 5, 4, gen);
  nn::load_state(attn, test::fixture_params(f));
  Tensor s = test::leaf(f.at("s")), hs = test::leaf(f.at("hs"));
  const auto out = attn(s, hs, f.at("mask"));
  EXPECT_TRUE(test::all_close(out.context, f.at("context")));
  EXPECT_TRUE(test::all_close(out.weights, f.at("weights")));
  test::fixture_loss(f, {{"context", out.context}, {"weights", out.weights}}).backward();
  EXPECT_TRUE(test::all_close(s.grad(), f.at("grad.s")));
  EXPECT_TRUE(test::all_close(hs.grad(), f.at("grad.hs")));
  for (auto& [name, p] : attn.named_parameters())
    EXPECT_TRUE(test::all_close(p.grad(), f.at("grad.param." + name))) << name;
}

}  // namespace

TEST(LuongAttention, DotMatchesPyTorch) { check_against_fixture(nn::LuongScore::Dot, 5); }
TEST(LuongAttention, GeneralMatchesPyTorch) { check_against_fixture(nn::LuongScore::General, 3); }
TEST(LuongAttention, ConcatMatchesPyTorch) { check_against_fixture(nn::LuongScore::Concat, 3); }

TEST(LuongAttention, ParametersPerScore) {
  Generator gen(2);
  auto names = [](const nn::Module& m) {
    std::vector<std::string> out;
    for (auto& [name, p] : m.named_parameters()) out.push_back(name + to_string(p.shape()));
    return out;
  };
  EXPECT_TRUE(names(nn::LuongAttention(nn::LuongScore::Dot, 4, 4, 0, gen)).empty());
  EXPECT_EQ(names(nn::LuongAttention(nn::LuongScore::General, 3, 5, 0, gen)),
            (std::vector<std::string>{"W.weight[3, 5]"}));
  EXPECT_EQ(names(nn::LuongAttention(nn::LuongScore::Concat, 3, 5, 4, gen)),
            (std::vector<std::string>{"W.weight[4, 8]", "v.weight[1, 4]"}));
  EXPECT_EQ(names(nn::LuongAttention(nn::LuongScore::Concat, 3, 5, 0, gen)),
            (std::vector<std::string>{"W.weight[3, 8]", "v.weight[1, 3]"}));
}

TEST(LuongAttention, DotScoreIsTheInnerProduct) {
  nn::LuongAttention attn(nn::LuongScore::Dot, 2, 2);
  const Tensor s = from_vector({1, 2}, {1, 2});
  const Tensor hs = from_vector({3, 4, -1, 0, 0, 0}, {1, 3, 2});
  EXPECT_EQ(attn.score(s, hs).to_vector(), (std::vector<float>{11, -1, 0}));
}

TEST(LuongAttention, MaskedPositionsGetZeroAndRowsSumToOne) {
  Generator gen(3);
  for (auto score : {nn::LuongScore::Dot, nn::LuongScore::General, nn::LuongScore::Concat}) {
    SCOPED_TRACE(nn::to_string(score));
    nn::LuongAttention attn(score, 4, 4, 3, gen);
    const auto out = attn(randn({2, 4}, gen), randn({2, 5, 4}, gen), nn::padding_mask({3, 5}, 5));
    for (int64_t b = 0; b < 2; ++b) {
      float row = 0.0f;
      for (int64_t j = 0; j < 5; ++j) row += out.weights.at({b, j});
      EXPECT_NEAR(row, 1.0f, 1e-6f);
    }
    EXPECT_EQ(out.weights.at({0, 3}), 0.0f);
    EXPECT_EQ(out.weights.at({0, 4}), 0.0f);
  }
}

TEST(LuongAttention, Gradcheck) {
  Generator gen(4);
  const Tensor mask = nn::padding_mask({3, 2}, 3);
  for (auto score : {nn::LuongScore::Dot, nn::LuongScore::General, nn::LuongScore::Concat}) {
    SCOPED_TRACE(nn::to_string(score));
    nn::LuongAttention attn(score, 3, 3, 2, gen);
    auto f = [&](const std::vector<Tensor>& in) {
      const auto out = attn(in[0], in[1], mask);
      return cat({out.context.flatten(), out.weights.flatten()}, 0);
    };
    EXPECT_TRUE(test::gradcheck(f, {test::leaf(randn({2, 3}, gen)), test::leaf(randn({2, 3, 3}, gen))}));
    if (score == nn::LuongScore::Dot) continue;
    const Tensor s = randn({2, 3}, gen), hs = randn({2, 3, 3}, gen);
    EXPECT_TRUE(test::gradcheck([&](const std::vector<Tensor>&) { return attn(s, hs, mask).context; },
                                attn.parameters()));
  }
}

TEST(LuongAttention, ErrorsNameTheModuleAndShapes) {
  EXPECT_THROW(nn::LuongAttention(nn::LuongScore::Dot, 3, 5), Error);
  nn::LuongAttention attn(nn::LuongScore::General, 3, 5);
  try {
    attn(zeros({2, 3}), zeros({2, 4, 6}));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "LuongAttention");
    EXPECT_NE(std::string(e.what()).find("[2, 4, 6]"), std::string::npos) << e.what();
  }
}

TEST(LuongAttention, KeysProjectedOnceGiveTheSameBitsAsScoringEachTime) {
  // A decoder projects W h_j once per batch (project_keys) and reuses it at every step; the
  // weights and context must be exactly those of forward(s, hs, mask), for every score.
  Generator gen(5);
  const Tensor hs = randn({2, 4, 5}, gen);
  const Tensor mask = from_vector({0, 0, 0, 1, 0, 0, 0, 0}, {2, 4});
  for (nn::LuongScore score : {nn::LuongScore::Dot, nn::LuongScore::General, nn::LuongScore::Concat}) {
    SCOPED_TRACE(nn::to_string(score));
    const int64_t dec_hidden = score == nn::LuongScore::Dot ? 5 : 3;
    nn::LuongAttention attn(score, dec_hidden, 5, 0, gen);
    const Tensor s = randn({2, dec_hidden}, gen);
    const Tensor keys = attn.project_keys(hs);
    EXPECT_EQ(keys.defined(), score != nn::LuongScore::Concat);
    const auto once = attn.forward(s, hs, keys, mask);
    const auto each_time = attn.forward(s, hs, mask);
    EXPECT_EQ(once.weights.to_vector(), each_time.weights.to_vector());
    EXPECT_EQ(once.context.to_vector(), each_time.context.to_vector());
  }
}
