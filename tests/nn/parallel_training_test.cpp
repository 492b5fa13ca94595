// Issue 14: a model trained on two or three threads ends with the bits it has after training on
// one. Large enough that the pool really splits the work (the GPT's products are above gemm's
// 2^21 multiply-adds per range), then every parameter compared bit for bit.
#include <gtest/gtest.h>

#include <vector>

#include "autograd/random.hpp"
#include "nn/embedding.hpp"
#include "nn/gpt.hpp"
#include "nn/linear.hpp"
#include "nn/optim.hpp"
#include "nn/rnn.hpp"
#include "nn/seq2seq.hpp"
#include "support/thread_count.hpp"

using namespace glimpse;

namespace {

// [rows, cols] token ids drawn uniformly from 0 … vocab−1.
IndexTensor random_ids(int64_t rows, int64_t cols, int64_t vocab, Generator& gen) {
  std::vector<int64_t> ids(static_cast<size_t>(rows * cols));
  for (int64_t& id : ids) id = gen.integer(vocab);
  return IndexTensor(ids, Shape{rows, cols});
}

std::vector<float> concatenated(const std::vector<Tensor>& parameters) {
  std::vector<float> values;
  for (const Tensor& p : parameters) {
    const std::vector<float> v = p.contiguous().to_vector();
    values.insert(values.end(), v.begin(), v.end());
  }
  return values;
}

// The parameters, one float after another, after a few Adam steps of a GPT on fixed tokens.
std::vector<float> parameters_after_training(int64_t threads) {
  const test::ThreadCount use(threads);
  Generator init(3);
  nn::GPT model({.vocab_size = 40, .block_size = 32, .n_layer = 2, .n_head = 4, .n_embd = 64}, init);
  nn::Adam opt(model.parameters(), {.lr = 1e-3f});
  Generator draw(4);
  const IndexTensor idx = random_ids(16, 32, 40, draw), targets = random_ids(16, 32, 40, draw);
  for (int step = 0; step < 3; ++step) {
    const Tensor loss = model.loss(idx, targets);
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  return concatenated(model.parameters());
}

// The same for an LSTM language model (embedding, the whole-sequence LSTM op, a per-step
// classifier): its weight gradients are products over all B·T rows, split across threads.
std::vector<float> lstm_parameters_after_training(int64_t threads) {
  const test::ThreadCount use(threads);
  Generator init(5);
  const nn::Embedding embed(40, 32, init);
  const nn::LSTM lstm(32, 128, 1, false, init);
  const nn::Linear head(128, 40, init);
  std::vector<Tensor> parameters = embed.parameters();
  for (const auto* m : std::initializer_list<const nn::Module*>{&lstm, &head})
    for (const Tensor& p : m->parameters()) parameters.push_back(p);
  nn::Adam opt(parameters, {.lr = 1e-3f});
  Generator draw(6);
  const IndexTensor ids = random_ids(16, 24, 40, draw), targets = random_ids(16, 24, 40, draw);
  for (int step = 0; step < 3; ++step) {
    const Tensor loss = nn::sequence_cross_entropy(head(lstm(embed(ids)).output), targets);
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  return concatenated(parameters);
}

}  // namespace

TEST(ParallelTraining, TwoAndThreeThreadsGiveTheBitsOfOne) {
  const std::vector<float> one = parameters_after_training(1);
  ASSERT_FALSE(one.empty());
  // EXPECT_EQ on float vectors compares with ==, which is bit equality for these finite values.
  EXPECT_EQ(parameters_after_training(2), one);
  EXPECT_EQ(parameters_after_training(3), one);
}

TEST(ParallelTraining, AnLstmOnTwoThreadsGivesTheBitsOfOne) {
  const std::vector<float> one = lstm_parameters_after_training(1);
  ASSERT_FALSE(one.empty());
  EXPECT_EQ(lstm_parameters_after_training(2), one);
}
