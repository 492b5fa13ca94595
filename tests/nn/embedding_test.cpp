// Lesson 04: Embedding — N(0, 1) rows, a zero padding row that never learns.
#include "nn/embedding.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "nn_test_util.hpp"

using namespace glimpse;

TEST(Embedding, LooksUpRows) {
  Generator gen(1);
  nn::Embedding emb(10, 4, gen);
  const IndexTensor ids({3, 0, 3, 9, 1, 2}, Shape{2, 3});
  const Tensor out = emb(ids);
  EXPECT_EQ(out.shape(), (Shape{2, 3, 4}));
  for (int64_t j = 0; j < 4; ++j) {
    EXPECT_EQ(out.at({0, 0, j}), emb.weight().at({3, j}));
    EXPECT_EQ(out.at({1, 0, j}), emb.weight().at({9, j}));
  }
  EXPECT_EQ(test::parameter_names(emb), (std::vector<std::string>{"weight"}));
}

TEST(Embedding, InitialisesFromStandardNormal) {
  Generator gen(2);
  nn::Embedding emb(500, 40, gen);
  const Tensor w = emb.weight();
  const float m = w.mean().item();
  const float var = ((w - m) * (w - m)).mean().item();
  EXPECT_NEAR(m, 0.0f, 0.02f);
  EXPECT_NEAR(var, 1.0f, 0.03f);
}

TEST(Embedding, PaddingRowIsZeroAndGetsNoGradient) {
  Generator gen(3);
  nn::Embedding emb(6, 3, 0, gen);
  EXPECT_EQ(emb.padding_idx(), 0);
  for (int64_t j = 0; j < 3; ++j) EXPECT_EQ(emb.weight().at({0, j}), 0.0f);
  const Tensor out = emb(IndexTensor({0, 2, 0, 2}));
  out.sum().backward();
  const Tensor g = emb.weight().grad();
  for (int64_t j = 0; j < 3; ++j) {
    EXPECT_EQ(g.at({0, j}), 0.0f);  // padding
    EXPECT_EQ(g.at({2, j}), 2.0f);  // used twice
    EXPECT_EQ(g.at({1, j}), 0.0f);  // unused
  }
}

TEST(Embedding, NegativePaddingIndexCountsFromTheEnd) {
  nn::Embedding emb(6, 3, -1);
  EXPECT_EQ(emb.padding_idx(), 5);
  for (int64_t j = 0; j < 3; ++j) EXPECT_EQ(emb.weight().at({5, j}), 0.0f);
  EXPECT_THROW(nn::Embedding(6, 3, 6), Error);
  EXPECT_THROW(nn::Embedding(6, 3, -7), Error);
}

TEST(Embedding, OutOfRangeIdThrows) {
  nn::Embedding emb(4, 2);
  EXPECT_THROW(emb(IndexTensor({1, 4})), Error);
}
