// Tests for autograd/tensor.cpp: factories, element access, and the handle semantics.
#include <gtest/gtest.h>

#include "autograd_test_util.hpp"

using namespace glimpse;
using glimpse::test::values_near;

TEST(Factories, ZerosOnesFull) {
  EXPECT_TRUE(values_near(zeros({2, 2}), {2, 2}, {0, 0, 0, 0}));
  EXPECT_TRUE(values_near(ones({3}), {3}, {1, 1, 1}));
  EXPECT_TRUE(values_near(full({2}, 2.5f), {2}, {2.5f, 2.5f}));
  EXPECT_TRUE(values_near(scalar_tensor(3), Shape{}, {3}));
  EXPECT_TRUE(values_near(zeros_like(ones({2, 1})), {2, 1}, {0, 0}));
  EXPECT_TRUE(values_near(ones_like(zeros({1, 2})), {1, 2}, {1, 1}));
  EXPECT_EQ(zeros({0}).numel(), 0);
  EXPECT_FALSE(zeros({2}).requires_grad());
}

TEST(Factories, Arange) {
  EXPECT_TRUE(values_near(arange(4), {4}, {0, 1, 2, 3}));
  EXPECT_TRUE(values_near(arange(1.0f, 2.0f, 0.25f), {4}, {1, 1.25f, 1.5f, 1.75f}));
  EXPECT_TRUE(values_near(arange(5.0f, 0.0f, -2.0f), {3}, {5, 3, 1}));
  EXPECT_EQ(arange(0).numel(), 0);
}

TEST(Factories, FromVector) {
  const Tensor t = from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_TRUE(values_near(t, {2, 3}, {1, 2, 3, 4, 5, 6}));
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_TRUE((t.strides() == Shape{3, 1}));
  EXPECT_EQ(t.offset(), 0);
  EXPECT_TRUE(values_near(from_vector({7, 8}), {2}, {7, 8}));
  EXPECT_TRUE(values_near(from_vector({9}, Shape{}), Shape{}, {9}));
}

TEST(Tensor, ElementAccess) {
  const Tensor t = from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(t.at({1, 2}), 6);
  EXPECT_EQ(t.t().at({2, 1}), 6);
  EXPECT_EQ(t.select(0, 1).select(0, 0).item(), 4);
  EXPECT_EQ(scalar_tensor(2).item(), 2);
  EXPECT_EQ(ones({1, 1}).item(), 1);
  EXPECT_EQ(t.size(0), 2);
  EXPECT_EQ(t.size(-1), 3);
  EXPECT_EQ(t.dim(), 2);
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.t().to_vector(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST(Tensor, CopiesAreShallow) {
  Tensor a = zeros({2});
  Tensor b = a;  // same node, same storage
  b.data()[0] = 5;
  EXPECT_EQ(a.at({0}), 5);
  EXPECT_EQ(a.node(), b.node());
  EXPECT_FALSE(Tensor().defined());
  EXPECT_TRUE(a.defined());
}

TEST(Tensor, FreshBuffersAreAligned) {
  const Tensor t = zeros({3});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u);
}

TEST(Tensor, RequiresGradOnlyOnLeaves) {
  Tensor a = ones({2});
  EXPECT_TRUE(a.is_leaf());
  EXPECT_FALSE(a.requires_grad());
  a.requires_grad_();
  EXPECT_TRUE(a.requires_grad());
  a.requires_grad_(false);
  EXPECT_FALSE(a.requires_grad());
  a.requires_grad_();
  Tensor b = mul(a, 2.0f);
  EXPECT_FALSE(b.is_leaf());
  EXPECT_THROW(b.requires_grad_(false), Error);
  // A view of a tensor that needs no grad is a leaf you may mark.
  Tensor c = ones({2, 3}).t();
  c.requires_grad_();
  EXPECT_TRUE(c.is_leaf());
  EXPECT_EQ(c.grad_fn_name(), "");  // a leaf has no grad_fn, whatever made its values
}

TEST(IndexTensor, Shapes) {
  const IndexTensor a{1, 2, 3};
  EXPECT_EQ(a.numel(), 3);
  EXPECT_TRUE(a.shape == Shape{3});
  EXPECT_EQ(a[1], 2);
  const IndexTensor b({1, 2, 3, 4}, {2, 2});
  EXPECT_TRUE((b.shape == Shape{2, 2}));
  const IndexTensor c(std::vector<int64_t>{5, 6});
  EXPECT_TRUE(c.shape == Shape{2});
}
