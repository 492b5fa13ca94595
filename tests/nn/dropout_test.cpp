// Lesson 10: the Dropout module follows train() / eval().
#include "nn/dropout.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "nn_test_util.hpp"

using namespace glimpse;

namespace {
struct Net : nn::Module {
  Net(Generator& gen) { drop = register_module("drop", std::make_shared<nn::Dropout>(0.5f, gen)); }
  std::string kind() const override { return "Net"; }
  std::shared_ptr<nn::Dropout> drop;
};
}  // namespace

TEST(Dropout, TrainingZeroesAboutPAndScalesTheRest) {
  Generator gen(1);
  nn::Dropout drop(0.25f, gen);
  const Tensor y = drop(ones({100, 100}));
  int64_t zeroed = 0;
  for (float v : y.to_vector()) {
    if (v == 0.0f)
      ++zeroed;
    else
      EXPECT_FLOAT_EQ(v, 1.0f / 0.75f);
  }
  EXPECT_NEAR(static_cast<double>(zeroed) / 10000.0, 0.25, 0.02);
}

TEST(Dropout, EvalIsTheIdentityAndTrainSwitchesItBack) {
  Generator gen(2);
  Net net(gen);
  const Tensor x = randn({8, 8}, gen);
  net.eval();
  EXPECT_FALSE(net.drop->is_training());
  EXPECT_EQ(net.drop->forward(x).to_vector(), x.to_vector());
  net.train();
  EXPECT_TRUE(net.drop->is_training());
  EXPECT_NE(net.drop->forward(x).to_vector(), x.to_vector());
}

TEST(Dropout, SameSeedSameMaskAndGradientFlowsThroughKeptElements) {
  Generator a(3), b(3);
  nn::Dropout d1(0.5f, a), d2(0.5f, b);
  Tensor x = test::leaf(ones({4, 5}));
  const Tensor y = d1(x);
  EXPECT_EQ(y.to_vector(), d2(ones({4, 5})).to_vector());
  y.sum().backward();
  EXPECT_EQ(x.grad().to_vector(), y.to_vector());  // d(x·mask)/dx = mask
}

TEST(Dropout, RejectsBadProbability) {
  EXPECT_THROW(nn::Dropout(1.5f), Error);
  EXPECT_THROW(nn::Dropout(-0.1f), Error);
}
