// Lesson 05: StepLR multiplies the learning rate by gamma every step_size epochs.
#include "nn/lr_scheduler.hpp"

#include <gtest/gtest.h>

#include "nn_test_util.hpp"

using namespace glimpse;

TEST(StepLR, DecaysEveryStepSizeEpochs) {
  Tensor p = test::leaf(ones({1}));
  nn::SGD opt({p}, {.lr = 0.1f});
  nn::StepLR schedule(opt, /*step_size=*/2, /*gamma=*/0.5f);
  std::vector<float> lrs{opt.lr()};
  for (int epoch = 0; epoch < 5; ++epoch) {
    schedule.step();
    lrs.push_back(opt.lr());
  }
  // PyTorch: lr = 0.1 · 0.5^⌊epoch / 2⌋
  const std::vector<float> expected{0.1f, 0.1f, 0.05f, 0.05f, 0.025f, 0.025f};
  for (size_t i = 0; i < lrs.size(); ++i) EXPECT_FLOAT_EQ(lrs[i], expected[i]) << "epoch " << i;
  EXPECT_EQ(schedule.epoch(), 5);
  EXPECT_FLOAT_EQ(schedule.lr(), 0.025f);
}

TEST(StepLR, RejectsBadArguments) {
  Tensor p = test::leaf(ones({1}));
  nn::SGD opt({p}, {.lr = 0.1f});
  EXPECT_THROW(nn::StepLR(opt, 0), Error);
  EXPECT_THROW(nn::StepLR(opt, 1, 0.0f), Error);
}
