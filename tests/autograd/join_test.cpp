// Tests for autograd/join.cpp: cat, stack, split and chunk.
#include <gtest/gtest.h>

#include "autograd_test_util.hpp"

using namespace glimpse;
using glimpse::test::gradcheck;
using glimpse::test::randn_leaf;
using glimpse::test::strided_randn_leaf;
using glimpse::test::values_near;
using Inputs = std::vector<Tensor>;

namespace {
Tensor iota(const Shape& shape, float start = 0) {
  return add(arange(numel(shape)).reshape(shape), start);
}
}  // namespace

TEST(CatForward, ByHand) {
  const Tensor a = iota({2, 2});       // [[0,1],[2,3]]
  const Tensor b = iota({2, 1}, 10);   // [[10],[11]]
  const Tensor c = iota({1, 2}, 20);   // [[20,21]]
  EXPECT_TRUE(values_near(cat({a, b}, 1), {2, 3}, {0, 1, 10, 2, 3, 11}));
  EXPECT_TRUE(values_near(cat({a, c}, 0), {3, 2}, {0, 1, 2, 3, 20, 21}));
  EXPECT_TRUE(values_near(cat({c, a, c}, -2), {4, 2}, {20, 21, 0, 1, 2, 3, 20, 21}));
  EXPECT_TRUE(values_near(cat({a}, 0), {2, 2}, {0, 1, 2, 3}));
  EXPECT_TRUE(values_near(cat({from_vector({1}), from_vector({2, 3})}, 0), {3}, {1, 2, 3}));
}

TEST(CatForward, StridedAndEmptyInputs) {
  const Tensor a = iota({2, 3}).t();  // [[0,3],[1,4],[2,5]]
  const Tensor b = iota({3, 2}, 10);
  EXPECT_TRUE(values_near(cat({a, b}, 1), {3, 4}, {0, 3, 10, 11, 1, 4, 12, 13, 2, 5, 14, 15}));
  EXPECT_TRUE(values_near(cat({zeros({0, 2}), b}, 0), {3, 2}, {10, 11, 12, 13, 14, 15}));
}

TEST(StackForward, ByHand) {
  const Tensor a = from_vector({1, 2});
  const Tensor b = from_vector({3, 4});
  EXPECT_TRUE(values_near(stack({a, b}, 0), {2, 2}, {1, 2, 3, 4}));
  EXPECT_TRUE(values_near(stack({a, b}, 1), {2, 2}, {1, 3, 2, 4}));
  EXPECT_TRUE(values_near(stack({a, b, a}, -1), {2, 3}, {1, 3, 1, 2, 4, 2}));
  EXPECT_TRUE(values_near(stack({scalar_tensor(5), scalar_tensor(6)}, 0), {2}, {5, 6}));
}

TEST(SplitForward, BySizeAndSizes) {
  const Tensor a = iota({5, 2});
  std::vector<Tensor> parts = split(a, 2, 0);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_TRUE(values_near(parts[0], {2, 2}, {0, 1, 2, 3}));
  EXPECT_TRUE(values_near(parts[1], {2, 2}, {4, 5, 6, 7}));
  EXPECT_TRUE(values_near(parts[2], {1, 2}, {8, 9}));  // the last part is shorter
  EXPECT_EQ(parts[1].node()->storage, a.node()->storage);  // views, not copies
  parts = split(a, std::vector<int64_t>{1, 4}, 0);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_TRUE(values_near(parts[1], {4, 2}, {2, 3, 4, 5, 6, 7, 8, 9}));
  parts = split(a, 1, -1);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_TRUE(values_near(parts[1], {5, 1}, {1, 3, 5, 7, 9}));
}

TEST(ChunkForward, EqualParts) {
  const Tensor a = iota({2, 6});
  const std::vector<Tensor> parts = chunk(a, 3, 1);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_TRUE(values_near(parts[0], {2, 2}, {0, 1, 6, 7}));
  EXPECT_TRUE(values_near(parts[2], {2, 2}, {4, 5, 10, 11}));
}

TEST(JoinGrad, Cat) {
  Generator gen(81);
  const Tensor a = randn_leaf({2, 3}, gen);
  const Tensor b = randn_leaf({2, 1}, gen);
  const Tensor c = strided_randn_leaf({2, 2}, gen);
  ASSERT_FALSE(c.is_contiguous());
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return cat({x[0], x[1], x[2]}, 1); }, {a, b, c}));
  const Tensor d = randn_leaf({1, 3}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return cat({x[0], x[1], x[0]}, 0); }, {a, d}));
  // Only some inputs need grad.
  const Tensor e = randn({2, 4}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return cat({x[0], x[1]}, -1); }, {a, e}));
  EXPECT_FALSE(e.grad().defined());
}

TEST(JoinGrad, CatByHand) {
  Tensor a = zeros({2});
  Tensor b = zeros({3});
  a.requires_grad_();
  b.requires_grad_();
  cat({a, b}, 0).backward(from_vector({1, 2, 3, 4, 5}));
  EXPECT_TRUE(values_near(a.grad(), {2}, {1, 2}));
  EXPECT_TRUE(values_near(b.grad(), {3}, {3, 4, 5}));
}

TEST(JoinGrad, Stack) {
  Generator gen(82);
  const Tensor a = randn_leaf({2, 3}, gen);
  const Tensor b = strided_randn_leaf({2, 3}, gen);
  for (int64_t d : {0, 1, 2, -1})
    EXPECT_TRUE(gradcheck([d](const Inputs& x) { return stack({x[0], x[1], x[0]}, d); }, {a, b})) << "dim " << d;
}

TEST(JoinGrad, SplitAndChunk) {
  Generator gen(83);
  const Tensor a = randn_leaf({5, 4}, gen);
  // Recombine the parts differently so every part's gradient matters.
  EXPECT_TRUE(gradcheck(
      [](const Inputs& x) {
        const std::vector<Tensor> p = split(x[0], 2, 0);
        return cat({mul(p[2], 2.0f), p[0], tanh(p[1])}, 0);
      },
      {a}));
  EXPECT_TRUE(gradcheck(
      [](const Inputs& x) {
        const std::vector<Tensor> p = split(x[0], std::vector<int64_t>{3, 1}, 1);
        return mul(p[0], p[1]);
      },
      {a}));
  EXPECT_TRUE(gradcheck(
      [](const Inputs& x) {
        const std::vector<Tensor> p = chunk(x[0], 2, 1);
        return sub(p[1], mul(p[0], p[0]));
      },
      {a}));
  const Tensor s = strided_randn_leaf({4, 6}, gen);
  EXPECT_TRUE(gradcheck(
      [](const Inputs& x) {
        const std::vector<Tensor> p = chunk(x[0], 3, 1);
        return add(mul(p[0], p[1]), p[2]);
      },
      {s}));
}
