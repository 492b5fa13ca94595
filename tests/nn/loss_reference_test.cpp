// Lesson 03: autograd's cross_entropy (with ignore_index) against PyTorch — the loss every nn
// model here trains with, checked with the nn fixtures.
#include <gtest/gtest.h>

#include "nn_test_util.hpp"
#include "support/gradcheck.hpp"

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

// ---- reduction and [N, C, d1, ...] inputs, as torch.nn.functional.cross_entropy ------------

TEST(CrossEntropyReference, EveryReductionOfAFourDimensionalInputMatchesPyTorch) {
  const auto fx = test::load_fixture("cross_entropy_reduction");  // logits [2, 4, 3, 2], targets [2, 3, 2]
  const IndexTensor targets = test::to_index(fx.at("targets"));
  for (const auto& [name, reduction] :
       {std::pair{"mean", LossReduction::mean}, std::pair{"sum", LossReduction::sum}, std::pair{"none", LossReduction::none}}) {
    SCOPED_TRACE(name);
    Tensor logits = test::leaf(fx.at("logits"));
    const Tensor loss = cross_entropy(logits, targets, kIgnoreIndex, reduction);
    const std::string key = std::string("loss_") + name;
    if (reduction == LossReduction::none) {
      EXPECT_EQ(loss.shape(), (Shape{2, 3, 2}));
      EXPECT_EQ(loss.at({0, 1, 0}), 0.0f);  // ignored
      EXPECT_TRUE(test::all_close(loss, fx.at(key)));
      (loss * fx.at("R_none")).sum().backward();
    } else {
      EXPECT_EQ(loss.dim(), 0);
      EXPECT_TRUE(test::all_close(loss.reshape({1}), fx.at(key).reshape({1})));
      loss.backward();
    }
    EXPECT_TRUE(test::all_close(logits.grad(), fx.at(std::string("grad_") + name + ".logits")));
  }
}

TEST(CrossEntropyReference, ThreeDimensionalInputWithIgnoreIndexMatchesPyTorch) {
  const auto fx = test::load_fixture("cross_entropy_reduction");
  Tensor logits = test::leaf(fx.at("logits").reshape({2, 4, 6}));
  const Tensor loss = cross_entropy(logits, test::to_index(fx.at("targets_3d")), /*ignore_index=*/2, LossReduction::sum);
  EXPECT_TRUE(test::all_close(loss.reshape({1}), fx.at("loss_sum_ignore2").reshape({1})));
  loss.backward();
  EXPECT_TRUE(test::all_close(logits.grad(), fx.at("grad_sum_ignore2.logits").reshape({2, 4, 6})));
}

TEST(CrossEntropyReference, ReductionNoneGradcheck) {
  Generator gen(3);
  const IndexTensor targets({0, 2, kIgnoreIndex, 1, 1, 0}, {2, 3});
  EXPECT_TRUE(test::gradcheck(
      [&](const std::vector<Tensor>& in) { return cross_entropy(in[0], targets, kIgnoreIndex, LossReduction::none); },
      {test::leaf(randn({2, 3, 3}, gen))}));
  EXPECT_TRUE(test::gradcheck(
      [&](const std::vector<Tensor>& in) {
        return nll_loss(log_softmax(in[0], 1), targets, kIgnoreIndex, LossReduction::sum).reshape({1});
      },
      {test::leaf(randn({2, 3, 3}, gen))}));
}

TEST(CrossEntropyReference, TargetsMustMatchTheNonClassDims) {
  try {
    cross_entropy(zeros({2, 3, 4}), IndexTensor({0, 1, 2, 0, 1, 2, 0, 1}, {2, 4, 1}));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "cross_entropy");
    EXPECT_NE(std::string(e.what()).find("targets of shape [2, 4, 1] do not match input [2, 3, 4]: expected [2, 4]"),
              std::string::npos)
        << e.what();
  }
}
