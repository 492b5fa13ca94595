// Lesson 03: autograd's cross_entropy (with ignore_index) against PyTorch — the loss every nn
// model here trains with, checked with the nn fixtures.
#include <gtest/gtest.h>

#include "nn_test_util.hpp"

using namespace glimpse;

TEST(CrossEntropyReference, DefaultIgnoreIndexMatchesPyTorch) {
  const auto fx = test::load_fixture("cross_entropy");
  Tensor logits = test::leaf(fx.at("logits"));
  const Tensor loss = cross_entropy(logits, test::to_index(fx.at("targets")));
  EXPECT_TRUE(test::all_close(loss.reshape({1}), fx.at("loss").reshape({1})));
  loss.backward();
  EXPECT_TRUE(test::all_close(logits.grad(), fx.at("grad.logits")));
  for (int64_t c = 0; c < 4; ++c) EXPECT_EQ(logits.grad().at({1, c}), 0.0f);  // the ignored row
}

TEST(CrossEntropyReference, CustomIgnoreIndexMatchesPyTorch) {
  const auto fx = test::load_fixture("cross_entropy");
  Tensor logits = test::leaf(fx.at("logits"));
  const Tensor loss = cross_entropy(logits, test::to_index(fx.at("targets_ignore2")), /*ignore_index=*/2);
  EXPECT_TRUE(test::all_close(loss.reshape({1}), fx.at("loss_ignore2").reshape({1})));
  loss.backward();
  EXPECT_TRUE(test::all_close(logits.grad(), fx.at("grad_ignore2.logits")));
}
