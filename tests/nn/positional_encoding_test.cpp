// Lesson 10: sinusoidal positional encoding against the formula as PyTorch computes it.
#include "nn/positional_encoding.hpp"

#include <gtest/gtest.h>

#include "support/fixtures.hpp"

using namespace glimpse;

TEST(PositionalEncoding, TableMatchesPyTorch) {
  auto f = test::load_fixture("positional_encoding");
  EXPECT_TRUE(test::all_close(nn::sinusoidal_encoding(50, 7), f.at("table"), 1e-5f, 1e-6f));
}

TEST(PositionalEncoding, AddsTheTableToEveryBatchElement) {
  nn::PositionalEncoding pe(4, 0.0f, 10);
  Generator gen(1);
  Tensor x = randn({2, 3, 4}, gen).requires_grad_();
  const Tensor y = pe.forward(x);
  EXPECT_EQ(y.shape(), Shape({2, 3, 4}));
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t t = 0; t < 3; ++t)
      for (int64_t j = 0; j < 4; ++j) EXPECT_FLOAT_EQ(y.at({b, t, j}), x.at({b, t, j}) + pe.table().at({t, j}));
  EXPECT_TRUE(pe.named_parameters().empty());  // a constant, not a parameter
  y.sum().backward();
  for (float g : x.grad().to_vector()) EXPECT_EQ(g, 1.0f);
}

TEST(PositionalEncoding, DropoutOnlyInTraining) {
  Generator gen(2);
  nn::PositionalEncoding pe(4, 0.5f, 10, gen);
  const Tensor x = zeros({1, 10, 4});
  const Tensor train = pe.forward(x);
  int zeros_seen = 0;
  for (float v : train.to_vector()) zeros_seen += v == 0.0f;
  EXPECT_GT(zeros_seen, 5);
  pe.eval();
  EXPECT_EQ(pe.forward(x).to_vector(), pe.table().to_vector());
}

TEST(PositionalEncoding, RejectsASequenceLongerThanMaxLen) {
  nn::PositionalEncoding pe(4, 0.0f, 3);
  EXPECT_THROW(pe.forward(zeros({1, 4, 4})), Error);
  EXPECT_THROW(pe.forward(zeros({1, 2, 5})), Error);
}
