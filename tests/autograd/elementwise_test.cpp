// Tests for autograd/elementwise.cpp: values by hand, gradients by finite differences, on
// contiguous, strided and broadcast inputs.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd_test_util.hpp"

using namespace glimpse;
using glimpse::test::gradcheck;
using glimpse::test::randn_leaf;
using glimpse::test::strided_leaf;
using glimpse::test::strided_randn_leaf;
using glimpse::test::uniform_leaf;
using glimpse::test::values_near;
using Inputs = std::vector<Tensor>;

// ---- forward values -----------------------------------------------------------------------

TEST(ElementwiseForward, BinaryOpsByHand) {
  const Tensor a = from_vector({1, 2, 3, 4}, {2, 2});
  const Tensor b = from_vector({5, 6, 7, 8}, {2, 2});
  EXPECT_TRUE(values_near(add(a, b), {2, 2}, {6, 8, 10, 12}));
  EXPECT_TRUE(values_near(sub(a, b), {2, 2}, {-4, -4, -4, -4}));
  EXPECT_TRUE(values_near(mul(a, b), {2, 2}, {5, 12, 21, 32}));
  EXPECT_TRUE(values_near(div(a, b), {2, 2}, {0.2f, 1.0f / 3.0f, 3.0f / 7.0f, 0.5f}));
  EXPECT_TRUE(values_near(pow(a, from_vector({2, 0.5f, 0, 3}, {2, 2})), {2, 2}, {1, std::sqrt(2.0f), 1, 64}));
}

TEST(ElementwiseForward, BroadcastingByHand) {
  const Tensor col = from_vector({1, 2}, {2, 1});
  const Tensor row = from_vector({10, 20, 30}, {3});
  EXPECT_TRUE(values_near(add(col, row), {2, 3}, {11, 21, 31, 12, 22, 32}));
  EXPECT_TRUE(values_near(sub(row, col), {2, 3}, {9, 19, 29, 8, 18, 28}));
  EXPECT_TRUE(values_near(mul(scalar_tensor(2.0f), row), {3}, {20, 40, 60}));
  // [3,1,2] with [2,2]
  const Tensor a = from_vector({1, 2, 3, 4, 5, 6}, {3, 1, 2});
  const Tensor b = from_vector({0, 10, 100, 1000}, {2, 2});
  EXPECT_TRUE(values_near(add(a, b), {3, 2, 2},
                          {1, 12, 101, 1002, 3, 14, 103, 1004, 5, 16, 105, 1006}));
  // A 0-d tensor with a 0-d tensor stays 0-d.
  EXPECT_TRUE(values_near(add(scalar_tensor(1.5f), scalar_tensor(2.0f)), Shape{}, {3.5f}));
}

TEST(ElementwiseForward, StridedOperands) {
  const Tensor m = from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor mt = m.t();  // [[1,4],[2,5],[3,6]]
  ASSERT_FALSE(mt.is_contiguous());
  EXPECT_TRUE(values_near(add(mt, ones({3, 2})), {3, 2}, {2, 5, 3, 6, 4, 7}));
  EXPECT_TRUE(values_near(mul(mt, mt), {3, 2}, {1, 16, 4, 25, 9, 36}));
  EXPECT_TRUE(values_near(neg(mt), {3, 2}, {-1, -4, -2, -5, -3, -6}));
  EXPECT_TRUE(values_near(exp(m.slice(1, 0, 3, 2)), {2, 2}, {std::exp(1.0f), std::exp(3.0f), std::exp(4.0f), std::exp(6.0f)}));
}

TEST(ElementwiseForward, ScalarVariantsByHand) {
  const Tensor a = from_vector({1, 2, 4});
  EXPECT_TRUE(values_near(add(a, 1.0f), {3}, {2, 3, 5}));
  EXPECT_TRUE(values_near(sub(a, 1.0f), {3}, {0, 1, 3}));
  EXPECT_TRUE(values_near(rsub(a, 1.0f), {3}, {0, -1, -3}));
  EXPECT_TRUE(values_near(mul(a, 3.0f), {3}, {3, 6, 12}));
  EXPECT_TRUE(values_near(div(a, 2.0f), {3}, {0.5f, 1, 2}));
  EXPECT_TRUE(values_near(rdiv(a, 2.0f), {3}, {2, 1, 0.5f}));
  EXPECT_TRUE(values_near(pow(a, 2.0f), {3}, {1, 4, 16}));
  EXPECT_TRUE(values_near(pow(a, 0.5f), {3}, {1, std::sqrt(2.0f), 2}));
}

TEST(ElementwiseForward, UnaryOpsByHand) {
  const Tensor a = from_vector({-2, -0.5f, 0, 1});
  EXPECT_TRUE(values_near(neg(a), {4}, {2, 0.5f, 0, -1}));
  EXPECT_TRUE(values_near(exp(a), {4}, {0.13533528f, 0.60653066f, 1, 2.7182818f}));
  EXPECT_TRUE(values_near(tanh(a), {4}, {-0.96402758f, -0.46211716f, 0, 0.76159416f}));
  EXPECT_TRUE(values_near(sigmoid(a), {4}, {0.11920292f, 0.37754067f, 0.5f, 0.73105858f}));
  EXPECT_TRUE(values_near(relu(a), {4}, {0, 0, 0, 1}));
  EXPECT_TRUE(values_near(abs(a), {4}, {2, 0.5f, 0, 1}));
  const Tensor p = from_vector({0.25f, 1, 4, 2.7182818f});
  EXPECT_TRUE(values_near(log(p), {4}, {-1.3862944f, 0, 1.3862944f, 1}));
  EXPECT_TRUE(values_near(sqrt(p), {4}, {0.5f, 1, 2, 1.6487213f}));
}

TEST(ElementwiseForward, SigmoidIsStableForLargeInputs) {
  const Tensor a = from_vector({-100, 100});
  EXPECT_TRUE(values_near(sigmoid(a), {2}, {0, 1}, 1e-6f));
}

TEST(ElementwiseForward, OperatorsMatchFunctions) {
  const Tensor a = from_vector({1, 2, 3});
  const Tensor b = from_vector({4, 5, 6});
  EXPECT_TRUE(values_near(a + b, {3}, {5, 7, 9}));
  EXPECT_TRUE(values_near(a - b, {3}, {-3, -3, -3}));
  EXPECT_TRUE(values_near(a * b, {3}, {4, 10, 18}));
  EXPECT_TRUE(values_near(a / b, {3}, {0.25f, 0.4f, 0.5f}));
  EXPECT_TRUE(values_near(a + 1.0f, {3}, {2, 3, 4}));
  EXPECT_TRUE(values_near(a - 1.0f, {3}, {0, 1, 2}));
  EXPECT_TRUE(values_near(a * 2.0f, {3}, {2, 4, 6}));
  EXPECT_TRUE(values_near(a / 2.0f, {3}, {0.5f, 1, 1.5f}));
  EXPECT_TRUE(values_near(1.0f + a, {3}, {2, 3, 4}));
  EXPECT_TRUE(values_near(1.0f - a, {3}, {0, -1, -2}));
  EXPECT_TRUE(values_near(2.0f * a, {3}, {2, 4, 6}));
  EXPECT_TRUE(values_near(6.0f / a, {3}, {6, 3, 2}));
  EXPECT_TRUE(values_near(-a, {3}, {-1, -2, -3}));
}

TEST(ElementwiseForward, MethodsMatchFunctions) {
  const Tensor a = from_vector({0.5f, -1, 2});
  EXPECT_EQ(a.tanh().to_vector(), tanh(a).to_vector());
  EXPECT_EQ(a.sigmoid().to_vector(), sigmoid(a).to_vector());
  EXPECT_EQ(a.relu().to_vector(), relu(a).to_vector());
  EXPECT_EQ(a.exp().to_vector(), exp(a).to_vector());
  EXPECT_EQ(abs(a).log().to_vector(), log(abs(a)).to_vector());
}

TEST(ElementwiseForward, OpNames) {
  const Tensor a = from_vector({1, 2});
  EXPECT_EQ(add(a, a).op_name(), "add");
  EXPECT_EQ(sub(a, a).op_name(), "sub");
  EXPECT_EQ(mul(a, a).op_name(), "mul");
  EXPECT_EQ(div(a, a).op_name(), "div");
  EXPECT_EQ(pow(a, a).op_name(), "pow");
  EXPECT_EQ(tanh(a).op_name(), "tanh");
  EXPECT_EQ(sigmoid(a).op_name(), "sigmoid");
  EXPECT_EQ(relu(a).op_name(), "relu");
  EXPECT_EQ(rsub(a, 1.0f).op_name(), "rsub");
  EXPECT_EQ(rdiv(a, 1.0f).op_name(), "rdiv");
  // Scalar variants are named after what the caller wrote (a / 2 is a division, not a product).
  EXPECT_EQ(add(a, 1.0f).op_name(), "add");
  EXPECT_EQ(sub(a, 1.0f).op_name(), "sub");
  EXPECT_EQ(mul(a, 2.0f).op_name(), "mul");
  EXPECT_EQ(div(a, 2.0f).op_name(), "div");
  EXPECT_EQ((a / 2.0f).op_name(), "div");
  EXPECT_EQ(pow(a, 2.0f).op_name(), "pow");
}

TEST(ElementwiseForward, DivisionByAScalarIsTrueDivision) {
  // x / 3 must equal the float quotient, not x * (1/3) rounded twice.
  const std::vector<float> xs = {1, 5, 7, 10, 1e-3f, 123456.0f};
  const std::vector<float> got = div(from_vector(xs), 3.0f).to_vector();
  for (size_t i = 0; i < xs.size(); ++i) EXPECT_EQ(got[i], xs[i] / 3.0f) << xs[i];
}

// ---- gradients: binary ops ----------------------------------------------------------------

struct BinaryCase {
  const char* name;
  Tensor (*op)(const Tensor&, const Tensor&, Loc);
  bool positive_lhs;  // pow needs a > 0 for d/db = a^b ln a
  bool nonzero_rhs;   // div needs b away from 0
};

class BinaryGrad : public ::testing::TestWithParam<BinaryCase> {
 protected:
  // Inputs for this op: values where its derivative is smooth.
  Tensor lhs(const Shape& s, Generator& gen, bool strided = false) const {
    const float lo = GetParam().positive_lhs ? 0.5f : -2.0f, hi = 2.0f;
    return strided ? strided_leaf(s, lo, hi, gen) : uniform_leaf(s, lo, hi, gen);
  }
  Tensor rhs(const Shape& s, Generator& gen, bool strided = false) const {
    const float lo = GetParam().nonzero_rhs ? 0.5f : -2.0f, hi = 2.0f;
    return strided ? strided_leaf(s, lo, hi, gen) : uniform_leaf(s, lo, hi, gen);
  }
  ::testing::AssertionResult check(const Tensor& a, const Tensor& b) const {
    auto op = GetParam().op;
    return gradcheck([op](const Inputs& x) { return op(x[0], x[1], Loc::current()); }, {a, b});
  }
};

TEST_P(BinaryGrad, SameShape) {
  Generator gen(11);
  EXPECT_TRUE(check(lhs({2, 3}, gen), rhs({2, 3}, gen)));
}

TEST_P(BinaryGrad, BroadcastThreeDimsWithTwo) {
  Generator gen(12);
  EXPECT_TRUE(check(lhs({3, 1, 4}, gen), rhs({2, 4}, gen)));
  EXPECT_TRUE(check(lhs({2, 4}, gen), rhs({3, 1, 4}, gen)));
}

TEST_P(BinaryGrad, BroadcastScalarWithVector) {
  Generator gen(13);
  EXPECT_TRUE(check(lhs({}, gen), rhs({3}, gen)));
  EXPECT_TRUE(check(lhs({3}, gen), rhs({}, gen)));
}

TEST_P(BinaryGrad, BroadcastColumnWithRow) {
  Generator gen(14);
  EXPECT_TRUE(check(lhs({3, 1}, gen), rhs({1, 4}, gen)));
}

TEST_P(BinaryGrad, StridedInputs) {
  Generator gen(15);
  EXPECT_TRUE(check(lhs({3, 4}, gen, true), rhs({3, 4}, gen, true)));
  EXPECT_TRUE(check(lhs({2, 3, 2}, gen, true), rhs({3, 1}, gen, true)));
}

TEST_P(BinaryGrad, TransposeInsideTheFunction) {
  Generator gen(16);
  auto op = GetParam().op;
  const Tensor a = lhs({4, 3}, gen), b = rhs({3, 4}, gen);
  EXPECT_TRUE(gradcheck([op](const Inputs& x) { return op(x[0].t(), x[1], Loc::current()); }, {a, b}));
}

TEST_P(BinaryGrad, OnlyOneInputRequiresGrad) {
  Generator gen(17);
  const Tensor a = lhs({2, 3}, gen);
  const Tensor b = rhs({3}, gen).detach();
  EXPECT_TRUE(check(a, b));
  EXPECT_FALSE(b.grad().defined());
  const Tensor c = lhs({3}, gen).detach();
  const Tensor d = rhs({2, 3}, gen);
  EXPECT_TRUE(check(c, d));
}

TEST_P(BinaryGrad, SameTensorOnBothSides) {
  Generator gen(18);
  auto op = GetParam().op;
  const Tensor a = uniform_leaf({5}, 0.5f, 2.0f, gen);
  EXPECT_TRUE(gradcheck([op](const Inputs& x) { return op(x[0], x[0], Loc::current()); }, {a}));
}

INSTANTIATE_TEST_SUITE_P(Ops, BinaryGrad,
                         ::testing::Values(BinaryCase{"add", &add, false, false},
                                           BinaryCase{"sub", &sub, false, false},
                                           BinaryCase{"mul", &mul, false, false},
                                           BinaryCase{"div", &div, false, true},
                                           BinaryCase{"pow", &pow, true, false}),
                         [](const auto& info) { return std::string(info.param.name); });

// ---- gradients: with a scalar -------------------------------------------------------------

TEST(ScalarGrad, EveryScalarVariant) {
  Generator gen(21);
  const Tensor a = uniform_leaf({2, 3}, 0.5f, 2.0f, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return add(x[0], 1.5f); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return sub(x[0], 1.5f); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return rsub(x[0], 1.5f); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return mul(x[0], -2.5f); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return div(x[0], 4.0f); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return rdiv(x[0], 3.0f); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return pow(x[0], 3.0f); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return pow(x[0], -1.5f); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return pow(x[0], 0.5f); }, {a}));
}

TEST(ScalarGrad, StridedInput) {
  Generator gen(22);
  const Tensor a = strided_leaf({3, 4}, 0.5f, 2.0f, gen);
  ASSERT_FALSE(a.is_contiguous());
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return add(x[0], 1.5f); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return rsub(x[0], 1.5f); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return mul(x[0], -2.5f); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return rdiv(x[0], 3.0f); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return pow(x[0], 2.5f); }, {a}));
}

TEST(ScalarGrad, Operators) {
  Generator gen(23);
  const Tensor a = uniform_leaf({4}, 0.5f, 2.0f, gen);
  const Tensor b = uniform_leaf({4}, 0.5f, 2.0f, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return (x[0] + x[1]) * (x[0] - x[1]) / x[1]; }, {a, b}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return 2.0f * x[0] + 1.0f - 3.0f / x[1] - x[0] / 2.0f; }, {a, b}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return -(1.0f - x[0] * 4.0f) - x[1]; }, {a, b}));
}

// ---- gradients: unary ops -----------------------------------------------------------------

struct UnaryCase {
  const char* name;
  Tensor (*op)(const Tensor&, Loc);
  float low, high;  // the domain sampled: smooth and away from kinks
  bool kink_at_zero;
};

class UnaryGrad : public ::testing::TestWithParam<UnaryCase> {
 protected:
  // Values in [low, high) kept at least 0.1 away from 0 for ops with a kink there.
  Tensor input(const Shape& s, Generator& gen, bool strided) const {
    const UnaryCase& c = GetParam();
    Tensor t = strided ? strided_leaf(s, c.low, c.high, gen) : uniform_leaf(s, c.low, c.high, gen);
    if (c.kink_at_zero) {
      // Push values out of (-0.1, 0.1) in place (through the same strides).
      const Shape* strides[3] = {&t.strides(), nullptr, nullptr};
      int64_t base[3] = {0, 0, 0};
      float* p = t.data();
      detail::for_each_offset(t.shape(), strides, base, [&](int64_t o, int64_t, int64_t) {
        if (std::fabs(p[o]) < 0.1f) p[o] = p[o] < 0 ? p[o] - 0.2f : p[o] + 0.2f;
      });
    }
    return t;
  }
  ::testing::AssertionResult check(const Tensor& a) const {
    auto op = GetParam().op;
    return gradcheck([op](const Inputs& x) { return op(x[0], Loc::current()); }, {a});
  }
};

TEST_P(UnaryGrad, Contiguous) {
  Generator gen(31);
  EXPECT_TRUE(check(input({3, 4}, gen, false)));
}

TEST_P(UnaryGrad, Strided) {
  Generator gen(32);
  const Tensor a = input({3, 2, 3}, gen, true);
  ASSERT_FALSE(a.is_contiguous());
  EXPECT_TRUE(check(a));
}

TEST_P(UnaryGrad, ZeroDim) {
  Generator gen(33);
  EXPECT_TRUE(check(input({}, gen, false)));
}

TEST_P(UnaryGrad, ComposedWithBroadcast) {
  Generator gen(34);
  auto op = GetParam().op;
  const Tensor a = input({3, 1}, gen, false);
  const Tensor b = uniform_leaf({4}, 0.5f, 1.0f, gen);
  // op(a) broadcast against b: the gradient of a sums over the broadcast dim.
  EXPECT_TRUE(gradcheck([op](const Inputs& x) { return mul(op(x[0], Loc::current()), x[1]); }, {a, b}));
}

INSTANTIATE_TEST_SUITE_P(Ops, UnaryGrad,
                         ::testing::Values(UnaryCase{"neg", &neg, -2.0f, 2.0f, false},
                                           UnaryCase{"exp", &exp, -2.0f, 2.0f, false},
                                           UnaryCase{"log", &log, 0.5f, 3.0f, false},
                                           UnaryCase{"sqrt", &sqrt, 0.5f, 3.0f, false},
                                           UnaryCase{"tanh", &tanh, -2.0f, 2.0f, false},
                                           UnaryCase{"sigmoid", &sigmoid, -3.0f, 3.0f, false},
                                           UnaryCase{"relu", &relu, -2.0f, 2.0f, true},
                                           UnaryCase{"gelu", &gelu, -3.0f, 3.0f, false},
                                           UnaryCase{"abs", &abs, -2.0f, 2.0f, true}),
                         [](const auto& info) { return std::string(info.param.name); });

// ---- derivatives by hand ------------------------------------------------------------------

TEST(ElementwiseBackward, GeluMatchesPyTorch) {
  // torch.nn.functional.gelu (exact erf form) in float64 on these inputs, and its derivative.
  Tensor x = from_vector({-3, -1, -0.25f, 0, 0.5f, 2});
  x.requires_grad_();
  const Tensor y = gelu(x);
  EXPECT_TRUE(values_near(y, {6}, {-0.004049694f, -0.1586553f, -0.1003234f, 0, 0.3457312f, 1.9545f}, 1e-6f));
  y.sum().backward();
  EXPECT_TRUE(values_near(x.grad(), {6}, {-0.01194565f, -0.08331547f, 0.3046266f, 0.5f, 0.8674951f, 1.085232f}, 1e-6f));
}

TEST(ElementwiseBackward, DerivativesByHand) {
  Tensor x = from_vector({-1, 0.5f, 2});
  x.requires_grad_();
  relu(x).sum().backward();
  EXPECT_TRUE(values_near(x.grad(), {3}, {0, 1, 1}));
  x.zero_grad();
  abs(x).sum().backward();
  EXPECT_TRUE(values_near(x.grad(), {3}, {-1, 1, 1}));
  x.zero_grad();
  mul(x, x).sum().backward();  // d x² = 2x
  EXPECT_TRUE(values_near(x.grad(), {3}, {-2, 1, 4}));
  x.zero_grad();
  pow(x, 3.0f).sum().backward();  // d x³ = 3x²
  EXPECT_TRUE(values_near(x.grad(), {3}, {3, 0.75f, 12}));
}

TEST(ElementwiseBackward, PowerZeroHasZeroGradientEverywhere) {
  Tensor x = from_vector({0, 2});
  x.requires_grad_();
  pow(x, 0.0f).sum().backward();  // x⁰ = 1: flat, also at x = 0 where x^-1 is infinite
  EXPECT_TRUE(values_near(x.grad(), {2}, {0, 0}));
}

TEST(ElementwiseBackward, ReluAndAbsAtZeroGiveZero) {
  Tensor x = zeros({2});
  x.requires_grad_();
  (relu(x) + abs(x)).sum().backward();
  EXPECT_TRUE(values_near(x.grad(), {2}, {0, 0}));
}

TEST(ElementwiseBackward, BroadcastGradSumsOverExpandedDims) {
  Tensor a = ones({2, 1});
  Tensor b = ones({3});
  a.requires_grad_();
  b.requires_grad_();
  mul(a, b).sum().backward();
  EXPECT_TRUE(values_near(a.grad(), {2, 1}, {3, 3}));  // each a is used 3 times
  EXPECT_TRUE(values_near(b.grad(), {3}, {2, 2, 2}));  // each b is used 2 times
}
