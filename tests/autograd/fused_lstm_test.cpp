// Tests for autograd/fused_lstm.cpp: lstm_cell_gates gives the bits of the same equations composed
// of elementary ops in nn::LSTMCell's order (values and every input's gradient), passes a
// finite-difference check on strided inputs, and names its shapes when they are wrong.
#include <gtest/gtest.h>

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
