// Lesson 06: masked softmax — masked positions get weight 0; a fully masked row gets zeros, not NaN.
#include "nn/masked_softmax.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "autograd/tape.hpp"
#include "support/fixtures.hpp"
#include "support/gradcheck.hpp"

using namespace glimpse;

TEST(MaskedSoftmax, NoMaskIsSoftmax) {
  Generator gen(1);
  const Tensor x = randn({3, 4}, gen);
  EXPECT_EQ(nn::masked_softmax(x, Tensor()).to_vector(), softmax(x, -1).to_vector());
}

TEST(MaskedSoftmax, MaskedPositionsGetExactlyZeroAndRowsSumToOne) {
  Generator gen(2);
  const Tensor x = randn({2, 3, 4}, gen);
  const Tensor mask = from_vector({0, 1, 0, 1}, {4});  // broadcast over every row
  const Tensor w = nn::masked_softmax(x, mask);
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t t = 0; t < 3; ++t) {
      EXPECT_EQ(w.at({b, t, 1}), 0.0f);
      EXPECT_EQ(w.at({b, t, 3}), 0.0f);
      EXPECT_NEAR(w.at({b, t, 0}) + w.at({b, t, 2}), 1.0f, 1e-6f);
    }
}

TEST(MaskedSoftmax, AlongAnotherDim) {
  Generator gen(3);
  const Tensor x = randn({3, 2}, gen);
  const Tensor mask = from_vector({0, 0, 1}, {3, 1});
  const Tensor w = nn::masked_softmax(x, mask, 0);
  EXPECT_EQ(w.at({2, 0}), 0.0f);
  EXPECT_NEAR(w.at({0, 1}) + w.at({1, 1}), 1.0f, 1e-6f);
}

TEST(MaskedSoftmax, FullyMaskedRowGivesZerosAndFiniteGradients) {
  Generator gen(4);
  Tensor x = test::leaf(randn({2, 3}, gen));
  const Tensor mask = from_vector({0, 1, 0, 1, 1, 1}, {2, 3});  // row 1 may look at nothing
  EXPECT_EQ(nn::fully_masked_rows(mask, x.shape()).to_vector(), (std::vector<float>{0, 1}));
  const Tensor w = nn::masked_softmax(x, mask);
  EXPECT_EQ(w.at({1, 0}), 0.0f);
  EXPECT_EQ(w.at({1, 1}), 0.0f);
  EXPECT_EQ(w.at({1, 2}), 0.0f);
  EXPECT_NEAR(w.at({0, 0}) + w.at({0, 2}), 1.0f, 1e-6f);
  (w * randn({2, 3}, gen)).sum().backward();
  for (float g : x.grad().to_vector()) EXPECT_TRUE(std::isfinite(g));
  EXPECT_EQ(x.grad().at({1, 0}), 0.0f);
  EXPECT_EQ(x.grad().at({0, 1}), 0.0f);
}

TEST(MaskedSoftmax, Gradcheck) {
  Generator gen(5);
  const Tensor mask = from_vector({0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0}, {3, 4});
  EXPECT_TRUE(test::gradcheck([&](const std::vector<Tensor>& in) { return nn::masked_softmax(in[0], mask); },
                              {test::leaf(randn({3, 4}, gen))}));
}

TEST(MaskedSoftmax, RejectsAMaskThatDoesNotBroadcast) {
  const Tensor x = zeros({2, 3});
  EXPECT_THROW(nn::masked_softmax(x, zeros({2, 4})), Error);
  EXPECT_THROW(nn::masked_softmax(x, zeros({4, 2, 3})), Error);
}

// ---- additive masks (issue 9): read as PyTorch reads a float attn_mask ----------------------

TEST(MaskedSoftmax, AdditiveMaskIsAddedToTheScores) {
  // The case: scores [0, 0] with mask [0, -0.5]; PyTorch gives softmax([0, -0.5]), not [1, 0].
  const Tensor w = nn::masked_softmax(zeros({1, 2}), from_vector({0.0f, -0.5f}, {1, 2}));
  EXPECT_NEAR(w.at({0, 0}), 1.0f / (1.0f + std::exp(-0.5f)), 1e-6f);
  EXPECT_NEAR(w.at({0, 1}), std::exp(-0.5f) / (1.0f + std::exp(-0.5f)), 1e-6f);
}

TEST(MaskedSoftmax, AdditiveMaskMatchesPyTorch) {
  auto f = test::load_fixture("masked_softmax_additive");
  Tensor scores = test::leaf(f.at("scores"));
  const Tensor w = nn::masked_softmax(scores, f.at("mask"));
  EXPECT_TRUE(test::all_close(w, f.at("weights")));
  EXPECT_EQ(w.at({1, 0, 2}), 0.0f);  // -inf: exactly no weight
  (w * f.at("R.weights")).sum().backward();
  EXPECT_TRUE(test::all_close(scores.grad(), f.at("grad.scores")));
}

TEST(MaskedSoftmax, AdditiveMaskGradcheck) {
  Generator gen(7);
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor mask = from_vector({0, -0.5f, -inf, -2, 0, -inf}, {2, 3});
  EXPECT_TRUE(test::gradcheck([&](const std::vector<Tensor>& in) { return nn::masked_softmax(in[0], mask); },
                              {test::leaf(randn({2, 3}, gen))}));
}

TEST(MaskedSoftmax, RowOfMinusInfinityGivesZerosNotNaN) {
  const float inf = std::numeric_limits<float>::infinity();
  Tensor x = test::leaf(from_vector({1, 2, 3, 4}, {2, 2}));
  const Tensor w = nn::masked_softmax(x, from_vector({-inf, -inf, 0, -1}, {2, 2}));
  EXPECT_EQ(w.at({0, 0}), 0.0f);
  EXPECT_EQ(w.at({0, 1}), 0.0f);
  EXPECT_NEAR(w.at({1, 0}) + w.at({1, 1}), 1.0f, 1e-6f);
  w.sum().backward();
  for (float g : x.grad().to_vector()) EXPECT_TRUE(std::isfinite(g));
}

TEST(MaskedSoftmax, ZeroOneMaskStillMeansMaskedOut) {
  // A mask of only 0 and 1 is the 0/1 kind (1 = masked out), never "add 1".
  const Tensor w = nn::masked_softmax(zeros({1, 3}), from_vector({0, 1, 0}, {1, 3}));
  EXPECT_EQ(w.to_vector(), (std::vector<float>{0.5f, 0.0f, 0.5f}));
}

TEST(MaskedSoftmax, AmbiguousMasksAreErrors) {
  const Tensor x = zeros({1, 3});
  const auto message = [&](const Tensor& mask) {
    try {
      nn::masked_softmax(x, mask);
    } catch (const Error& e) {
      EXPECT_EQ(e.op(), "masked_softmax");
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(from_vector({0, 0.5f, 0}, {1, 3})).find("mask value 0.5 at flat index 1"), std::string::npos);
  EXPECT_NE(message(from_vector({0, 2, 0}, {1, 3})).find("mask value 2"), std::string::npos);
  EXPECT_NE(message(from_vector({0, std::nanf(""), 0}, {1, 3})).find("mask value nan"), std::string::npos);
  EXPECT_NE(message(from_vector({1, -0.5f, 0}, {1, 3})).find("mixes 1"), std::string::npos);
}
