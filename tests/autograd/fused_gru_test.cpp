// Tests for autograd/fused_gru.cpp: gru_cell_gates equals the same equations composed of
// elementary ops (values and every input's gradient, to 1e-5), passes a finite-difference
// check on strided inputs, and names its shapes when they are wrong.
#include <gtest/gtest.h>

#include "autograd_test_util.hpp"

using namespace glimpse;
using glimpse::test::gradcheck;
using glimpse::test::randn_leaf;
using glimpse::test::strided_leaf;
using Inputs = std::vector<Tensor>;

namespace {

// The GRU equations of nn/gru_cell.hpp, one elementary op at a time.
Tensor composed_gates(const Tensor& a, const Tensor& b, const Tensor& bias_ih, const Tensor& bias_hh,
                      const Tensor& h) {
  const std::vector<Tensor> i = chunk(add(a, bias_ih), 3, 1);
  const std::vector<Tensor> s = chunk(add(b, bias_hh), 3, 1);
  const Tensor r = sigmoid(add(i[0], s[0]));
  const Tensor z = sigmoid(add(i[1], s[1]));
  const Tensor n = tanh(add(i[2], mul(r, s[2])));
  return add(mul(rsub(z, 1.0f), n), mul(z, h));
}

Inputs random_inputs(int64_t batch, int64_t hidden, Generator& gen) {
  return {randn_leaf({batch, 3 * hidden}, gen), randn_leaf({batch, 3 * hidden}, gen), randn_leaf({3 * hidden}, gen),
          randn_leaf({3 * hidden}, gen), randn_leaf({batch, hidden}, gen)};
}

}  // namespace

TEST(FusedGru, EqualsTheComposedEquationsWithGradients) {
  Generator gen(7);
  for (const auto& [batch, hidden] : {std::pair<int64_t, int64_t>{1, 1}, {3, 5}, {4, 37}, {32, 128}}) {
    const Inputs in = random_inputs(batch, hidden, gen);
    Inputs copies;
    for (const Tensor& t : in) copies.push_back(test::leaf(t));
    const Tensor fused = gru_cell_gates(in[0], in[1], in[2], in[3], in[4]);
    const Tensor composed = composed_gates(copies[0], copies[1], copies[2], copies[3], copies[4]);
    EXPECT_TRUE(test::tensors_near(fused, composed, 1e-5f)) << batch << "x" << hidden;
    EXPECT_EQ(fused.node()->op, std::string("gru_cell_gates"));
    const Tensor weights = randn({batch, hidden}, gen);
    mul(fused, weights).sum().backward();
    mul(composed, weights).sum().backward();
    for (size_t k = 0; k < in.size(); ++k)
      EXPECT_TRUE(test::tensors_near(in[k].grad(), copies[k].grad(), 1e-5f)) << "input " << k;
  }
}

TEST(FusedGru, Gradcheck) {
  Generator gen(8);
  const auto f = [](const Inputs& v) { return gru_cell_gates(v[0], v[1], v[2], v[3], v[4]); };
  EXPECT_TRUE(gradcheck(f, random_inputs(2, 3, gen)));
  // Non-contiguous inputs are read correctly.
  EXPECT_TRUE(gradcheck(f, {strided_leaf({2, 9}, -2, 2, gen), strided_leaf({2, 9}, -2, 2, gen),
                            strided_leaf({9}, -1, 1, gen), strided_leaf({9}, -1, 1, gen),
                            strided_leaf({2, 3}, -1, 1, gen)}));
}

TEST(FusedGru, EachDerivativeOnItsOwn) {
  // One gradient check per input, the others held constant, so a failure names the derivative
  // that is off (exercise `fused_gru`: you write da, db and dh).
  Generator gen(10);
  const auto f = [](const Inputs& v) { return gru_cell_gates(v[0], v[1], v[2], v[3], v[4]); };
  const char* names[] = {"da (x·W_ihᵀ)", "db (h·W_hhᵀ)", "b_ih (the batch sum of da)", "b_hh (the batch sum of db)",
                         "dh (to the previous step)"};
  for (size_t k = 0; k < 5; ++k) {
    Inputs in = random_inputs(3, 4, gen);
    for (size_t other = 0; other < in.size(); ++other)
      if (other != k) in[other] = in[other].detach();
    EXPECT_TRUE(gradcheck(f, in)) << "the gradient " << names[k] << " is wrong";
  }
}

TEST(FusedGru, OnlyInputsThatNeedGradGetOne) {
  Generator gen(9);
  const Tensor a = randn({2, 6}, gen), b = randn({2, 6}, gen), bias = randn({6}, gen);
  const Tensor h = randn_leaf({2, 2}, gen);
  gru_cell_gates(a, b, bias, bias, h).sum().backward();
  EXPECT_TRUE(h.grad().defined());
  EXPECT_FALSE(a.grad().defined());
}

TEST(FusedGru, WrongShapesNameTheOpAndEveryShape) {
  const Tensor a = zeros({2, 6}), bias = zeros({6}), h = zeros({2, 2});
  try {
    gru_cell_gates(a, zeros({2, 5}), bias, bias, h);
    FAIL() << "did not throw";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.op(), "gru_cell_gates");
    EXPECT_NE(msg.find("[2, 6], [2, 5], [6], [6] and [2, 2]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("fused_gru_test.cpp"), std::string::npos) << msg;
  }
}
