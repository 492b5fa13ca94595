// Tests for autograd/fused_lstm.cpp: lstm_cell_gates gives the bits of the same equations composed
// of elementary ops in nn::LSTMCell's order (values and every input's gradient), passes a
// finite-difference check on strided inputs, and names its shapes when they are wrong;
// lstm_sequence gives the bits of lstm_cell_gates unrolled over time, and gradients that agree
// with it to rounding, in both directions.
#include <gtest/gtest.h>

#include <tuple>

#include "autograd_test_util.hpp"

using namespace glimpse;
using glimpse::test::gradcheck;
using glimpse::test::randn_leaf;
using glimpse::test::strided_leaf;
using Inputs = std::vector<Tensor>;

namespace {

// The LSTM equations as nn/lstm_cell.cpp composes them, h' and c' side by side.
Tensor composed_gates(const Tensor& a, const Tensor& b, const Tensor& bias_ih, const Tensor& bias_hh,
                      const Tensor& c) {
  const std::vector<Tensor> parts = chunk(add(add(a, bias_ih), add(b, bias_hh)), 4, 1);
  const Tensor i = sigmoid(parts[0]), f = sigmoid(parts[1]), g = tanh(parts[2]), o = sigmoid(parts[3]);
  const Tensor c_next = add(mul(f, c), mul(i, g));
  return cat({mul(o, tanh(c_next)), c_next}, 1);
}

Inputs random_inputs(int64_t batch, int64_t hidden, Generator& gen) {
  return {randn_leaf({batch, 4 * hidden}, gen), randn_leaf({batch, 4 * hidden}, gen),
          randn_leaf({4 * hidden}, gen), randn_leaf({4 * hidden}, gen), randn_leaf({batch, hidden}, gen)};
}

}  // namespace

TEST(FusedLstm, GivesTheBitsOfTheComposedEquationsWithGradients) {
  Generator gen(7);
  for (const auto& [batch, hidden] : {std::pair<int64_t, int64_t>{1, 1}, {3, 5}, {4, 37}, {32, 128}}) {
    const Inputs in = random_inputs(batch, hidden, gen);
    Inputs copies;
    for (const Tensor& t : in) copies.push_back(test::leaf(t));
    const Tensor fused = lstm_cell_gates(in[0], in[1], in[2], in[3], in[4]);
    const Tensor composed = composed_gates(copies[0], copies[1], copies[2], copies[3], copies[4]);
    EXPECT_EQ(fused.node()->op, std::string("lstm_cell_gates"));
    // == on floats: bit equality for these finite values (and 0 == -0).
    EXPECT_EQ(fused.to_vector(), composed.to_vector()) << batch << "x" << hidden;
    const Tensor weights = randn({batch, 2 * hidden}, gen);
    mul(fused, weights).sum().backward();
    mul(composed, weights).sum().backward();
    for (size_t k = 0; k < in.size(); ++k)
      EXPECT_EQ(in[k].grad().to_vector(), copies[k].grad().to_vector())
          << "input " << k << ", " << batch << "x" << hidden;
  }
}

TEST(FusedLstm, Gradcheck) {
  Generator gen(8);
  const auto f = [](const Inputs& v) { return lstm_cell_gates(v[0], v[1], v[2], v[3], v[4]); };
  EXPECT_TRUE(gradcheck(f, random_inputs(2, 3, gen)));
  // Non-contiguous inputs are read correctly.
  EXPECT_TRUE(gradcheck(
      f, {strided_leaf({2, 12}, -2, 2, gen), strided_leaf({2, 12}, -2, 2, gen),
          strided_leaf({12}, -1, 1, gen), strided_leaf({12}, -1, 1, gen), strided_leaf({2, 3}, -1, 1, gen)}));
}

TEST(FusedLstm, EachDerivativeOnItsOwn) {
  // One gradient check per input, the others held constant, so a failure names the derivative
  // that is off.
  Generator gen(10);
  const auto f = [](const Inputs& v) { return lstm_cell_gates(v[0], v[1], v[2], v[3], v[4]); };
  const char* names[] = {"x·W_ihᵀ (d_gates)", "h·W_hhᵀ (d_gates)", "b_ih (the batch sum of d_gates)",
                         "b_hh (the batch sum of d_gates)", "c (to the previous step)"};
  for (size_t k = 0; k < 5; ++k) {
    Inputs in = random_inputs(3, 4, gen);
    for (size_t other = 0; other < in.size(); ++other)
      if (other != k) in[other] = in[other].detach();
    EXPECT_TRUE(gradcheck(f, in)) << "the gradient " << names[k] << " is wrong";
  }
}

TEST(FusedLstm, WrongShapesNameTheOpAndEveryShape) {
  const Tensor a = zeros({2, 8}), bias = zeros({8}), c = zeros({2, 2});
  try {
    lstm_cell_gates(a, zeros({2, 7}), bias, bias, c);
    FAIL() << "did not throw";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.op(), "lstm_cell_gates");
    EXPECT_NE(msg.find("[2, 8], [2, 7], [8], [8] and [2, 2]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("fused_lstm_test.cpp"), std::string::npos) << msg;
  }
}

namespace {

// lstm_sequence's definition: lstm_cell_gates step by step, t = 0 … T−1 (or back from T−1), each
// step's h(t−1)·W_hhᵀ a matmul; h(t) and c(t) side by side at every step, [B, T, 2H].
Tensor unrolled_sequence(const Inputs& v, bool reverse) {
  const int64_t steps = v[0].shape()[1], hidden = v[4].shape()[1];
  Tensor h = v[4], c = v[5];
  std::vector<Tensor> states(static_cast<size_t>(steps));
  for (int64_t k = 0; k < steps; ++k) {
    const int64_t t = reverse ? steps - 1 - k : k;
    const Tensor both = lstm_cell_gates(v[0].select(1, t), matmul(h, v[1].t()), v[2], v[3], c);
    h = both.narrow(1, 0, hidden), c = both.narrow(1, hidden, hidden);
    states[static_cast<size_t>(t)] = both;
  }
  return stack(states, 1);
}

// x·W_ihᵀ [B, T, 4H], W_hh [4H, H], b_ih, b_hh [4H], h0, c0 [B, H].
Inputs random_sequence_inputs(int64_t batch, int64_t steps, int64_t hidden, Generator& gen) {
  return {randn_leaf({batch, steps, 4 * hidden}, gen),
          test::leaf(mul(randn({4 * hidden, hidden}, gen), 0.3f)),
          randn_leaf({4 * hidden}, gen),
          randn_leaf({4 * hidden}, gen),
          randn_leaf({batch, hidden}, gen),
          randn_leaf({batch, hidden}, gen)};
}

}  // namespace

TEST(LstmSequence, ForwardHasTheBitsOfTheUnrolledStepsAndGradientsAgree) {
  Generator gen(11);
  for (const bool reverse : {false, true})
    for (const auto& [batch, steps, hidden] :
         {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1}, {3, 4, 5}, {4, 9, 37}, {32, 12, 64}}) {
      const Inputs in = random_sequence_inputs(batch, steps, hidden, gen);
      Inputs copies;
      for (const Tensor& t : in) copies.push_back(test::leaf(t));
      const Tensor fused = lstm_sequence(in[0], in[1], in[2], in[3], in[4], in[5], reverse);
      const Tensor unrolled = unrolled_sequence(copies, reverse);
      EXPECT_EQ(fused.node()->op, std::string("lstm_sequence"));
      const std::string where = fmt::format("{}x{}x{}{}", batch, steps, hidden, reverse ? " reverse" : "");
      EXPECT_EQ(fused.to_vector(), unrolled.to_vector()) << where;
      const Tensor weights = randn({batch, steps, 2 * hidden}, gen);
      mul(fused, weights).sum().backward();
      mul(unrolled, weights).sum().backward();
      // The step gradients go through the same formulas; W_hh's and the biases' add the same terms
      // over (b, t) in another order.
      const char* names[] = {"x·W_ihᵀ", "W_hh", "b_ih", "b_hh", "h0", "c0"};
      for (size_t k = 0; k < in.size(); ++k)
        EXPECT_TRUE(test::tensors_near(in[k].grad(), copies[k].grad(), 1e-5f)) << names[k] << ", " << where;
    }
}

TEST(LstmSequence, Gradcheck) {
  Generator gen(12);
  for (const bool reverse : {false, true}) {
    const auto f = [reverse](const Inputs& v) {
      return lstm_sequence(v[0], v[1], v[2], v[3], v[4], v[5], reverse);
    };
    EXPECT_TRUE(gradcheck(f, random_sequence_inputs(2, 3, 3, gen))) << (reverse ? "reverse" : "forward");
  }
  // Non-contiguous inputs are read correctly.
  const auto f = [](const Inputs& v) { return lstm_sequence(v[0], v[1], v[2], v[3], v[4], v[5]); };
  EXPECT_TRUE(gradcheck(f, {strided_leaf({2, 3, 8}, -2, 2, gen), strided_leaf({8, 2}, -1, 1, gen),
                            strided_leaf({8}, -1, 1, gen), strided_leaf({8}, -1, 1, gen),
                            strided_leaf({2, 2}, -1, 1, gen), strided_leaf({2, 2}, -1, 1, gen)}));
}

TEST(LstmSequence, WrongShapesNameTheOpAndEveryShape) {
  const Tensor h = zeros({2, 3});
  try {
    lstm_sequence(zeros({2, 5, 12}), zeros({12, 4}), zeros({12}), zeros({12}), h, h);
    FAIL() << "did not throw";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.op(), "lstm_sequence");
    EXPECT_NE(msg.find("[2, 5, 12], [12, 4], [12], [12], [2, 3] and [2, 3]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("fused_lstm_test.cpp"), std::string::npos) << msg;
  }
  EXPECT_THROW(lstm_sequence(zeros({2, 0, 12}), zeros({12, 3}), zeros({12}), zeros({12}), h, h), Error);
}
