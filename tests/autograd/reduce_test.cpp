// Tests for autograd/reduce.cpp: sum, mean, max, argmax and sum_to_shape.
#include <gtest/gtest.h>

#include "autograd_test_util.hpp"

using namespace glimpse;
using glimpse::test::gradcheck;
using glimpse::test::randn_leaf;
using glimpse::test::strided_randn_leaf;
using glimpse::test::values_near;
using Inputs = std::vector<Tensor>;

namespace {
// 0..n-1 shaped as `shape`, with distinct values (no ties for max).
Tensor iota(const Shape& shape) { return arange(numel(shape)).reshape(shape); }

// Distinct values in a random order, scaled, as a leaf: max has a unique winner with a margin
// much larger than the finite-difference step.
Tensor distinct_leaf(const Shape& shape, uint64_t seed, bool strided = false) {
  Generator gen(seed);
  const int64_t n = numel(shape);
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = 0.25f * static_cast<float>(i) - 1.0f;
  for (int64_t i = n - 1; i > 0; --i) std::swap(v[i], v[gen.integer(i + 1)]);
  if (!strided) return test::leaf(from_vector(v, shape));
  Tensor x = test::strided_leaf(shape, 0, 1, gen);
  NoGradGuard no_grad;
  Tensor src = from_vector(v, shape);
  detail::copy_into(x, src);
  return x;
}
}  // namespace

// ---- forward ------------------------------------------------------------------------------

TEST(SumForward, AllAndOverDims) {
  const Tensor a = iota({2, 3});  // [[0,1,2],[3,4,5]]
  EXPECT_TRUE(values_near(sum(a), Shape{}, {15}));
  EXPECT_TRUE(values_near(a.sum(), Shape{}, {15}));
  EXPECT_TRUE(values_near(sum(a, {0}), {3}, {3, 5, 7}));
  EXPECT_TRUE(values_near(sum(a, {1}), {2}, {3, 12}));
  EXPECT_TRUE(values_near(sum(a, {-1}, true), {2, 1}, {3, 12}));
  EXPECT_TRUE(values_near(sum(a, {0, 1}), Shape{}, {15}));
  EXPECT_TRUE(values_near(sum(a, {0, 1}, true), {1, 1}, {15}));
}

TEST(SumForward, ThreeDims) {
  const Tensor a = iota({2, 3, 4});
  EXPECT_TRUE(values_near(sum(a, {1}), {2, 4}, {12, 15, 18, 21, 48, 51, 54, 57}));
  EXPECT_TRUE(values_near(sum(a, {0, 2}), {3}, {60, 92, 124}));
  EXPECT_TRUE(values_near(sum(a, {2}, true), {2, 3, 1}, {6, 22, 38, 54, 70, 86}));
}

TEST(SumForward, StridedInput) {
  const Tensor a = iota({2, 3}).t();  // [[0,3],[1,4],[2,5]]
  ASSERT_FALSE(a.is_contiguous());
  EXPECT_TRUE(values_near(sum(a), Shape{}, {15}));
  EXPECT_TRUE(values_near(sum(a, {0}), {2}, {3, 12}));
  EXPECT_TRUE(values_near(sum(a, {1}), {3}, {3, 5, 7}));
  const Tensor every_other = iota({6}).slice(0, 1, 6, 2);  // 1, 3, 5
  EXPECT_TRUE(values_near(sum(every_other), Shape{}, {9}));
}

// Every way of choosing the dims of a [3, 1, 5, 7] tensor (the contiguous one-block fast path,
// the general walk, with a size-1 dim in between), contiguous and transposed: each cell is the
// double sum of its inputs in the input's order, bit for bit.
TEST(SumForward, EachCellAddsItsInputsInOrder) {
  Generator gen(7);
  const Tensor base = randn({3, 1, 5, 7}, gen);
  for (const bool transposed : {false, true}) {
    const Tensor a = transposed ? base.transpose(0, 3) : base;  // [7, 1, 5, 3], not contiguous
    for (int mask = 1; mask < 16; ++mask) {
      Shape dims;
      for (int d = 0; d < 4; ++d)
        if (mask & (1 << d)) dims.push_back(d);
      const Tensor s = sum(a, dims, /*keepdim=*/true);
      std::vector<double> expected(static_cast<size_t>(s.numel()), 0.0);
      const Shape& n = a.shape();
      for (int64_t i0 = 0; i0 < n[0]; ++i0)
        for (int64_t i1 = 0; i1 < n[1]; ++i1)
          for (int64_t i2 = 0; i2 < n[2]; ++i2)
            for (int64_t i3 = 0; i3 < n[3]; ++i3) {
              const int64_t idx[4] = {i0, i1, i2, i3};
              int64_t cell = 0;
              for (int d = 0; d < 4; ++d) cell = cell * s.shape()[d] + ((mask & (1 << d)) ? 0 : idx[d]);
              expected[static_cast<size_t>(cell)] += a.at({i0, i1, i2, i3});
            }
      const std::vector<float> got = s.to_vector();
      for (size_t c = 0; c < got.size(); ++c)
        EXPECT_EQ(got[c], static_cast<float>(expected[c]))
            << "dims mask " << mask << (transposed ? " transposed" : "") << ", cell " << c;
    }
  }
}

TEST(SumForward, LongSumsStayAccurate) {
  // 1e6 copies of 0.1: a float accumulator would drift visibly.
  const Tensor a = full({1000000}, 0.1f);
  EXPECT_NEAR(sum(a).item(), 100000.0f, 1.0f);
}

TEST(MeanForward, AllAndOverDims) {
  const Tensor a = iota({2, 3});
  EXPECT_TRUE(values_near(mean(a), Shape{}, {2.5f}));
  EXPECT_TRUE(values_near(a.mean(), Shape{}, {2.5f}));
  EXPECT_TRUE(values_near(mean(a, {0}), {3}, {1.5f, 2.5f, 3.5f}));
  EXPECT_TRUE(values_near(a.mean({1}, true), {2, 1}, {1, 4}));
}

TEST(MaxForward, AllAndOverDims) {
  const Tensor a = from_vector({1, 7, 3, 9, 2, 4}, {2, 3});
  EXPECT_TRUE(values_near(max(a), Shape{}, {9}));
  EXPECT_TRUE(values_near(a.max(), Shape{}, {9}));
  EXPECT_TRUE(values_near(max(a, 0), {3}, {9, 7, 4}));
  EXPECT_TRUE(values_near(max(a, 1), {2}, {7, 9}));
  EXPECT_TRUE(values_near(a.max(-1, true), {2, 1}, {7, 9}));
  EXPECT_TRUE(values_near(max(a.t(), 0), {2}, {7, 9}));
}

TEST(MaxForward, NegativeValues) {
  const Tensor a = from_vector({-5, -2, -9});
  EXPECT_TRUE(values_near(max(a), Shape{}, {-2}));
  EXPECT_TRUE(values_near(max(a, 0), Shape{}, {-2}));
}

TEST(Argmax, PositionsAlongDim) {
  const Tensor a = from_vector({1, 7, 3, 9, 2, 4}, {2, 3});
  IndexTensor rows = argmax(a, 1);
  EXPECT_EQ(rows.values, (std::vector<int64_t>{1, 0}));
  EXPECT_TRUE(rows.shape == Shape{2});
  IndexTensor cols = argmax(a, 0, true);
  EXPECT_EQ(cols.values, (std::vector<int64_t>{1, 0, 1}));
  EXPECT_TRUE((cols.shape == Shape{1, 3}));
  // Ties go to the first position.
  EXPECT_EQ(argmax(from_vector({3, 5, 5, 1}), 0).values, (std::vector<int64_t>{1}));
  EXPECT_EQ(argmax(a.t(), 0).values, (std::vector<int64_t>{1, 0}));
}

TEST(SumToShape, UndoesBroadcasts) {
  const Tensor g = iota({2, 3, 4});
  EXPECT_TRUE(values_near(sum_to_shape(g, {4}), {4}, {60, 66, 72, 78}));
  EXPECT_TRUE(values_near(sum_to_shape(g, {3, 1}), {3, 1}, {60, 92, 124}));
  EXPECT_TRUE(values_near(sum_to_shape(g, {2, 1, 1}), {2, 1, 1}, {66, 210}));
  EXPECT_TRUE(values_near(sum_to_shape(g, Shape{}), Shape{}, {276}));
  EXPECT_TRUE(values_near(sum_to_shape(g, {1, 3, 4}), {1, 3, 4},
                          {12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34}));
  // The same shape comes back untouched.
  EXPECT_EQ(sum_to_shape(g, {2, 3, 4}).node(), g.node());
}

// ---- gradients ----------------------------------------------------------------------------

TEST(SumGrad, AllAndOverDims) {
  Generator gen(41);
  const Tensor a = randn_leaf({2, 3, 4}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return sum(x[0]); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return sum(x[0], {1}); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return sum(x[0], {0, 2}); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return sum(x[0], {-1}, true); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return sum(x[0], {0, 1, 2}, true); }, {a}));
}

TEST(SumGrad, StridedInput) {
  Generator gen(42);
  const Tensor a = strided_randn_leaf({3, 2, 4}, gen);
  ASSERT_FALSE(a.is_contiguous());
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return sum(x[0]); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return sum(x[0], {1}); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return sum(x[0], {0}, true); }, {a}));
}

TEST(SumGrad, OfBroadcastProduct) {
  Generator gen(43);
  const Tensor a = randn_leaf({3, 1, 4}, gen);
  const Tensor b = randn_leaf({2, 4}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return sum(mul(x[0], x[1]), {1}); }, {a, b}));
}

TEST(SumGrad, ByHand) {
  Tensor a = ones({2, 3});
  a.requires_grad_();
  sum(a, {1}).backward(from_vector({2, 5}));
  EXPECT_TRUE(values_near(a.grad(), {2, 3}, {2, 2, 2, 5, 5, 5}));
}

TEST(MeanGrad, AllAndOverDims) {
  Generator gen(44);
  const Tensor a = randn_leaf({2, 3, 4}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return mean(x[0]); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return mean(x[0], {1}); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return mean(x[0], {0, 2}, true); }, {a}));
  const Tensor s = strided_randn_leaf({4, 3}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return mean(x[0], {0}); }, {s}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return mean(x[0]); }, {s}));
}

TEST(MeanGrad, ByHand) {
  Tensor a = ones({4});
  a.requires_grad_();
  mean(a).backward();
  EXPECT_TRUE(values_near(a.grad(), {4}, {0.25f, 0.25f, 0.25f, 0.25f}));
}

TEST(MaxGrad, AllElements) {
  const Tensor a = distinct_leaf({3, 4}, 45);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return max(x[0]); }, {a}));
  const Tensor s = distinct_leaf({3, 4}, 46, true);
  ASSERT_FALSE(s.is_contiguous());
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return max(x[0]); }, {s}));
}

TEST(MaxGrad, AlongDims) {
  const Tensor a = distinct_leaf({3, 4, 2}, 47);
  for (int64_t d : {0, 1, 2, -1}) {
    EXPECT_TRUE(gradcheck([d](const Inputs& x) { return max(x[0], d); }, {a})) << "dim " << d;
    EXPECT_TRUE(gradcheck([d](const Inputs& x) { return max(x[0], d, true); }, {a})) << "dim " << d;
  }
  const Tensor s = distinct_leaf({3, 4, 2}, 48, true);
  ASSERT_FALSE(s.is_contiguous());
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return max(x[0], 1); }, {s}));
}

TEST(MaxGrad, ByHandGoesToTheWinner) {
  Tensor a = from_vector({1, 7, 3, 9, 2, 4}, {2, 3});
  a.requires_grad_();
  max(a).backward();
  EXPECT_TRUE(values_near(a.grad(), {2, 3}, {0, 0, 0, 1, 0, 0}));
  a.zero_grad();
  max(a, 0).backward(from_vector({10, 20, 30}));
  EXPECT_TRUE(values_near(a.grad(), {2, 3}, {0, 20, 0, 10, 0, 30}));
  // Ties: the first maximum takes the gradient.
  Tensor t = from_vector({5, 5, 1});
  t.requires_grad_();
  max(t).backward();
  EXPECT_TRUE(values_near(t.grad(), {3}, {1, 0, 0}));
}

TEST(SumToShape, IsDifferentiable) {
  Generator gen(49);
  const Tensor a = randn_leaf({2, 3, 4}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return sum_to_shape(x[0], {3, 1}); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return sum_to_shape(x[0], {4}); }, {a}));
}

// ---- accuracy (issue 9): sums over a dim are as accurate as a double-precision sum -----------

TEST(SumAccuracy, ManySmallTermsOverADim) {
  // 4096 × 0.1f: one float at a time this drifts to 409.6158; PyTorch gives 409.60007. The exact
  // sum of the float 0.1f taken 4096 times is 4096 · 0.1f, a float itself.
  const float exact = 4096 * 0.1f;
  const Tensor column = full({4096, 1}, 0.1f);
  EXPECT_EQ(sum(column, {0}).item(), exact);
  EXPECT_EQ(sum(column.t(), {1}).item(), exact);   // the same over a strided view
  EXPECT_EQ(mean(column, {0}).item(), 0.1f);
  EXPECT_EQ(sum_to_shape(column, Shape{1}).item(), exact);  // a bias gradient
  EXPECT_EQ(sum(column).item(), exact);
  // Each output cell of a multi-dim reduction adds its own terms.
  const Tensor wide = full({2, 4096, 3}, 0.1f);
  for (float v : sum(wide, {1}).to_vector()) EXPECT_EQ(v, exact);
}

TEST(SumAccuracy, CancellationDoesNotLoseTheSmallTerms) {
  // 1e8 + 1 + 1 + ... − 1e8: in float the ones vanish into 1e8; the result is the count of ones.
  std::vector<float> values = {1e8f};
  for (int i = 0; i < 1000; ++i) values.push_back(1.0f);
  values.push_back(-1e8f);
  const Tensor t = from_vector(values, {1, static_cast<int64_t>(values.size())});
  EXPECT_EQ(sum(t, {1}).item(), 1000.0f);
}

TEST(Reductions, RepeatedDimIsAnError) {
  const Tensor a = zeros({2, 3});
  EXPECT_THROW(mean(a, {0, 0}), Error);
  EXPECT_THROW(sum(a, {1, -1}), Error);  // -1 is dim 1 again
  try {
    sum(a, {0, -2});
    ADD_FAILURE() << "sum over dims {0, -2} of a 2-d tensor did not throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("more than once"), std::string::npos) << e.what();
  }
}
