// Lesson 03: SGD with momentum and Adam against torch.optim, step by step.
#include "nn/optim.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <memory>
#include <string>

#include "nn/gru_cell.hpp"
#include "nn/linear.hpp"
#include "nn_test_util.hpp"

using namespace glimpse;

namespace {

float hyper(const test::Fixture& fx, const std::string& name) { return fx.at(name).item(); }

// Replays the fixture's steps: set p.grad = g_s, step, compare with p_s.
void replay(nn::Optimizer& opt, Tensor& p, const test::Fixture& fx) {
  for (int s = 1; fx.contains("g" + std::to_string(s)); ++s) {
    p.zero_grad();
    (p * fx.at("g" + std::to_string(s))).sum().backward();  // d/dp Σ p·g = g
    opt.step();
    EXPECT_TRUE(test::all_close(p, fx.at("p" + std::to_string(s)), 1e-5f, 1e-6f)) << "after step " << s;
  }
}

}  // namespace

TEST(Adam, MatchesPyTorch) {
  const auto fx = test::load_fixture("adam");
  Tensor p = test::leaf(fx.at("p0"));
  nn::Adam opt({p}, {.lr = hyper(fx, "lr"),
                     .beta1 = hyper(fx, "beta1"),
                     .beta2 = hyper(fx, "beta2"),
                     .eps = hyper(fx, "eps"),
                     .weight_decay = hyper(fx, "weight_decay")});
  replay(opt, p, fx);
}

TEST(Adam, WithWeightDecayMatchesPyTorch) {
  const auto fx = test::load_fixture("adam_weight_decay");
  Tensor p = test::leaf(fx.at("p0"));
  nn::Adam opt({p}, {.lr = hyper(fx, "lr"),
                     .beta1 = hyper(fx, "beta1"),
                     .beta2 = hyper(fx, "beta2"),
                     .eps = hyper(fx, "eps"),
                     .weight_decay = hyper(fx, "weight_decay")});
  replay(opt, p, fx);
}

TEST(SGD, MomentumAndWeightDecayMatchPyTorch) {
  const auto fx = test::load_fixture("sgd_momentum");
  Tensor p = test::leaf(fx.at("p0"));
  nn::SGD opt(
      {p},
      {.lr = hyper(fx, "lr"), .momentum = hyper(fx, "momentum"), .weight_decay = hyper(fx, "weight_decay")});
  replay(opt, p, fx);
}

TEST(SGD, PlainStepIsLrTimesGrad) {
  Tensor p = test::leaf(from_vector({1.0f, 2.0f}));
  nn::SGD opt({p}, {.lr = 0.5f});
  (p * p).sum().backward();  // grad 2p
  opt.step();
  EXPECT_EQ(p.to_vector(), (std::vector<float>{0.0f, 0.0f}));
}

TEST(Optimizer, SkipsParametersWithoutGradAndZeroGradForgets) {
  Tensor a = test::leaf(ones({2})), b = test::leaf(ones({2}));
  nn::Adam opt({a, b}, {.lr = 0.1f});
  (a * 3.0f).sum().backward();
  opt.step();
  EXPECT_NE(a.to_vector(), (std::vector<float>{1.0f, 1.0f}));
  EXPECT_EQ(b.to_vector(), (std::vector<float>{1.0f, 1.0f}));  // no grad, untouched
  opt.zero_grad();
  EXPECT_FALSE(a.grad().defined());
  // b's first update later gets the first-step bias correction (per-parameter step count):
  // Adam's first step moves every element by lr·sign(g) (up to eps).
  (b * 3.0f).sum().backward();
  opt.step();
  EXPECT_NEAR(b.at({0}), 0.9f, 1e-6f);
}

TEST(Optimizer, RejectsNonLeafOrNegativeLr) {
  Tensor a = test::leaf(ones({2}));
  EXPECT_THROW(nn::SGD({a * 2.0f}, {.lr = 0.1f}), Error);
  EXPECT_THROW(nn::SGD({a}, {.lr = -1.0f}), Error);
  EXPECT_THROW(nn::Adam({a}, {.beta1 = 1.0f}), Error);
}

namespace {
// The error `make` throws, or "" when it throws none.
template <class Make>
std::string error_of(Make make) {
  try {
    make();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

::testing::AssertionResult starts(const std::string& message, const std::string& expected) {
  if (message.rfind(expected, 0) == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "message '" << message << "' does not start with '" << expected << "'";
}
}  // namespace

TEST(Optimizer, EachBadHyperparameterIsNamedWithItsValue) {
  Tensor a = test::leaf(ones({2}));
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  EXPECT_TRUE(starts(error_of([&] { nn::SGD({a}, {.lr = 0.1f, .momentum = 5.0f}); }),
                     "SGD: momentum must be in [0, 1), got 5\n"));
  EXPECT_TRUE(starts(error_of([&] { nn::SGD({a}, {.lr = 0.1f, .momentum = 1.0f}); }), "SGD: momentum must"));
  EXPECT_TRUE(starts(error_of([&] { nn::SGD({a}, {.lr = 0.0f}); }), "SGD: lr must be a finite number > 0, got 0\n"));
  EXPECT_TRUE(starts(error_of([&] { nn::SGD({a}, {.lr = nan}); }), "SGD: lr must be a finite number > 0, got nan"));
  EXPECT_TRUE(starts(error_of([&] { nn::SGD({a}, {.lr = inf}); }), "SGD: lr must"));
  EXPECT_TRUE(starts(error_of([&] { nn::SGD({a}, {.lr = 0.1f, .weight_decay = -1.0f}); }),
                     "SGD: weight_decay must be a finite number >= 0, got -1\n"));
  EXPECT_TRUE(starts(error_of([&] { nn::Adam({a}, {.beta1 = 1.5f}); }), "Adam: beta1 must be in [0, 1), got 1.5\n"));
  EXPECT_TRUE(starts(error_of([&] { nn::Adam({a}, {.beta2 = -0.1f}); }), "Adam: beta2 must be in [0, 1), got -0.1\n"));
  EXPECT_TRUE(starts(error_of([&] { nn::Adam({a}, {.eps = 0.0f}); }), "Adam: eps must be a finite number > 0, got 0\n"));
  EXPECT_TRUE(starts(error_of([&] { nn::Adam({a}, {.weight_decay = nan}); }), "Adam: weight_decay must"));
  EXPECT_TRUE(starts(error_of([&] { nn::Adam({a}, {.lr = -1e-3f}); }), "Adam: lr must be a finite number > 0, got -0.001\n"));
  EXPECT_EQ(error_of([&] { nn::SGD({a}, {.lr = 0.1f, .momentum = 0.9f, .weight_decay = 1e-4f}); }), "");
  EXPECT_EQ(error_of([&] { nn::Adam({a}, {.lr = 1e-3f, .beta1 = 0.0f, .eps = 1e-8f}); }), "");
}

TEST(Adam, TrainsASmallNetwork) {
  // Sanity end to end: a GRU cell + Linear learns to output the sum of two inputs seen in turn.
  Generator gen(5);
  nn::GRUCell cell(1, 8, gen);
  nn::Linear head(8, 1, gen);
  std::vector<Tensor> params = cell.parameters();
  for (const Tensor& p : head.parameters()) params.push_back(p);
  nn::Adam opt(params, {.lr = 0.02f});
  float first = 0.0f, last = 0.0f;
  for (int step = 0; step < 300; ++step) {
    const Tensor a = rand({16, 1}, gen), b = rand({16, 1}, gen);
    const Tensor h = cell(b, cell(a));
    const Tensor err = head(h) - (a + b);
    const Tensor loss = (err * err).mean();
    opt.zero_grad();
    loss.backward();
    opt.step();
    (step == 0 ? first : last) = loss.item();
  }
  EXPECT_LT(last, 0.05f * first);
}

TEST(AdamW, MatchesPyTorch) {
  const auto fx = test::load_fixture("adamw");
  Tensor p = test::leaf(fx.at("p0"));
  nn::AdamW opt({p}, {.lr = hyper(fx, "lr"),
                      .beta1 = hyper(fx, "beta1"),
                      .beta2 = hyper(fx, "beta2"),
                      .eps = hyper(fx, "eps"),
                      .weight_decay = hyper(fx, "weight_decay")});
  replay(opt, p, fx);
}

TEST(AdamW, DefaultsAreTorchsAndMatchPyTorch) {
  const auto fx = test::load_fixture("adamw_defaults");  // torch.optim.AdamW(params, lr=0.1)
  Tensor p = test::leaf(fx.at("p0"));
  EXPECT_EQ(nn::AdamWOptions{}.weight_decay, 0.01f);
  nn::AdamW opt({p}, {.lr = 0.1f});
  replay(opt, p, fx);
}

TEST(AdamW, DecayIsDecoupledFromTheGradient) {
  // With a zero gradient Adam's moments stay 0: AdamW only shrinks p by (1 − lr·wd); Adam with
  // the same weight_decay feeds it through the moments and moves p by about lr instead.
  Tensor a = test::leaf(from_vector({2.0f, -4.0f})), b = test::leaf(from_vector({2.0f, -4.0f}));
  nn::AdamW adamw({a}, {.lr = 0.1f, .weight_decay = 0.5f});
  nn::Adam adam({b}, {.lr = 0.1f, .weight_decay = 0.5f});
  (a * zeros({2})).sum().backward();  // grad 0
  (b * zeros({2})).sum().backward();
  adamw.step();
  adam.step();
  EXPECT_EQ(a.to_vector(), (std::vector<float>{2.0f * 0.95f, -4.0f * 0.95f}));
  EXPECT_NEAR(b.at({0}), 1.9f, 1e-5f);
}

TEST(AdamW, RejectsBadOptionsNamingAdamW) {
  Tensor p = test::leaf(from_vector({1.0f}));
  try {
    nn::AdamW opt({p}, {.weight_decay = -1.0f});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "AdamW");
  }
}
