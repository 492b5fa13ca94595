// Issue 14: a model trained on two or three threads ends with the bits it has after training on
// one. Large enough that the pool really splits the work (the GPT's products are above gemm's
// 2^21 multiply-adds per range), then every parameter compared bit for bit.
#include <gtest/gtest.h>

#include <vector>

#include "autograd/random.hpp"
#include "nn/gpt.hpp"
#include "nn/optim.hpp"
#include "support/thread_count.hpp"

using namespace glimpse;

namespace {

// The parameters, one float after another, after a few Adam steps of a GPT on fixed tokens.
std::vector<float> parameters_after_training(int64_t threads) {
  const test::ThreadCount use(threads);
  Generator init(3);
  nn::GPT model({.vocab_size = 40, .block_size = 32, .n_layer = 2, .n_head = 4, .n_embd = 64}, init);
  nn::Adam opt(model.parameters(), {.lr = 1e-3f});
  Generator draw(4);
  std::vector<int64_t> inputs(16 * 32), next(16 * 32);
  for (int64_t& id : inputs) id = draw.integer(40);
  for (int64_t& id : next) id = draw.integer(40);
  const IndexTensor idx(inputs, Shape{16, 32}), targets(next, Shape{16, 32});
  for (int step = 0; step < 3; ++step) {
    const Tensor loss = model.loss(idx, targets);
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  std::vector<float> values;
  for (const Tensor& p : model.parameters()) {
    const std::vector<float> v = p.contiguous().to_vector();
    values.insert(values.end(), v.begin(), v.end());
  }
  return values;
}

}  // namespace

TEST(ParallelTraining, TwoAndThreeThreadsGiveTheBitsOfOne) {
  const std::vector<float> one = parameters_after_training(1);
  ASSERT_FALSE(one.empty());
  // EXPECT_EQ on float vectors compares with ==, which is bit equality for these finite values.
  EXPECT_EQ(parameters_after_training(2), one);
  EXPECT_EQ(parameters_after_training(3), one);
}
