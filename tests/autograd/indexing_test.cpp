// Tests for autograd/indexing.cpp: index_select, embedding (scatter-add backward), masked_fill
// and where.
#include <gtest/gtest.h>

#include "autograd_test_util.hpp"

using namespace glimpse;
using glimpse::test::gradcheck;
using glimpse::test::randn_leaf;
using glimpse::test::strided_randn_leaf;
using glimpse::test::values_near;
using Inputs = std::vector<Tensor>;

namespace {
Tensor iota(const Shape& shape) { return arange(numel(shape)).reshape(shape); }
}  // namespace

TEST(IndexSelectForward, ByHand) {
  const Tensor a = iota({3, 4});
  EXPECT_TRUE(values_near(index_select(a, 0, {2, 0, 2}), {3, 4}, {8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11}));
  EXPECT_TRUE(values_near(index_select(a, 1, {3, 1}), {3, 2}, {3, 1, 7, 5, 11, 9}));
  EXPECT_TRUE(values_near(index_select(a, -1, {0}), {3, 1}, {0, 4, 8}));
  EXPECT_TRUE(values_near(index_select(a.t(), 0, {1}), {1, 3}, {1, 5, 9}));
  EXPECT_TRUE(values_near(index_select(a, 0, IndexTensor(std::vector<int64_t>{})), {0, 4}, {}));
}

TEST(IndexSelectGrad, RepeatedIndicesScatterAdd) {
  Generator gen(91);
  const Tensor a = randn_leaf({4, 3}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return index_select(x[0], 0, {1, 3, 1, 1}); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return index_select(x[0], 1, {2, 0, 2}); }, {a}));
  const Tensor b = randn_leaf({2, 4, 3}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return index_select(x[0], 1, {3, 3, 0}); }, {b}));
  const Tensor s = strided_randn_leaf({4, 3}, gen);
  ASSERT_FALSE(s.is_contiguous());
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return index_select(x[0], 0, {0, 2, 0}); }, {s}));
}

TEST(IndexSelectGrad, ByHand) {
  Tensor a = zeros({3, 2});
  a.requires_grad_();
  index_select(a, 0, {2, 0, 2}).sum().backward();
  EXPECT_TRUE(values_near(a.grad(), {3, 2}, {1, 1, 0, 0, 2, 2}));
}

TEST(EmbeddingForward, ByHand) {
  const Tensor w = iota({4, 2});  // row r = [2r, 2r+1]
  EXPECT_TRUE(values_near(embedding(w, {3, 0, 3}), {3, 2}, {6, 7, 0, 1, 6, 7}));
  const IndexTensor ids({1, 2, 0, 1, 3, 3}, {2, 3});
  EXPECT_TRUE(values_near(embedding(w, ids), {2, 3, 2}, {2, 3, 4, 5, 0, 1, 2, 3, 6, 7, 6, 7}));
  EXPECT_TRUE(values_near(embedding(w.t().contiguous().t(), {2}), {1, 2}, {4, 5}));  // strided weight
}

TEST(EmbeddingGrad, ScatterAddAndPadding) {
  Generator gen(92);
  const Tensor w = randn_leaf({5, 3}, gen);
  const IndexTensor ids({1, 4, 1, 0, 4, 4}, {2, 3});
  EXPECT_TRUE(gradcheck([ids](const Inputs& x) { return embedding(x[0], ids); }, {w}));
  const Tensor s = strided_randn_leaf({5, 3}, gen);
  EXPECT_TRUE(gradcheck([ids](const Inputs& x) { return embedding(x[0], ids); }, {s}));

  Tensor v = zeros({3, 2});
  v.requires_grad_();
  embedding(v, {0, 2, 0, 1}, /*padding_idx=*/0).sum().backward();
  EXPECT_TRUE(values_near(v.grad(), {3, 2}, {0, 0, 1, 1, 1, 1}));  // the padding row gets nothing
  v.zero_grad();
  embedding(v, {0, 2, 0, 1}).sum().backward();
  EXPECT_TRUE(values_near(v.grad(), {3, 2}, {2, 2, 1, 1, 1, 1}));
}

TEST(MaskedFillForward, ByHand) {
  const Tensor a = iota({2, 3});
  const Tensor mask = from_vector({1, 0, 0, 0, 0, 1}, {2, 3});
  EXPECT_TRUE(values_near(masked_fill(a, mask, -1), {2, 3}, {-1, 1, 2, 3, 4, -1}));
  // The mask broadcasts: one row masks every row.
  EXPECT_TRUE(values_near(masked_fill(a, from_vector({0, 1, 0}), 9), {2, 3}, {0, 9, 2, 3, 9, 5}));
  EXPECT_TRUE(values_near(masked_fill(a, from_vector({1, 0}, {2, 1}), 9), {2, 3}, {9, 9, 9, 3, 4, 5}));
  EXPECT_TRUE(values_near(masked_fill(a.t(), from_vector({0, 1}), 7), {3, 2}, {0, 7, 1, 7, 2, 7}));
  const Tensor filled = masked_fill(a, from_vector({1, 1, 1}), -1e9f);
  EXPECT_EQ(softmax(filled, 1).op_name(), "softmax");
}

TEST(MaskedFillGrad, GradientOnlyWhereKept) {
  Generator gen(93);
  const Tensor a = randn_leaf({3, 4}, gen);
  const Tensor mask = from_vector({0, 1, 1, 0}, {1, 4});
  EXPECT_TRUE(gradcheck([mask](const Inputs& x) { return masked_fill(x[0], mask, -5); }, {a}));
  const Tensor s = strided_randn_leaf({3, 4}, gen);
  EXPECT_TRUE(gradcheck([mask](const Inputs& x) { return masked_fill(x[0], mask, 2); }, {s}));
  Tensor b = ones({2, 2});
  b.requires_grad_();
  masked_fill(b, from_vector({1, 0, 0, 1}, {2, 2}), 0).sum().backward();
  EXPECT_TRUE(values_near(b.grad(), {2, 2}, {0, 1, 1, 0}));
}

TEST(MaskedFillGrad, AttentionStyleMaskThenSoftmax) {
  Generator gen(94);
  const Tensor scores = randn_leaf({2, 4}, gen);
  const Tensor pad = from_vector({0, 0, 1, 1, 0, 0, 0, 1}, {2, 4});
  EXPECT_TRUE(gradcheck([pad](const Inputs& x) { return softmax(masked_fill(x[0], pad, -1e9f), 1); }, {scores}));
}

TEST(WhereForward, ByHand) {
  const Tensor c = from_vector({1, 0, 1, 0});
  const Tensor a = from_vector({1, 2, 3, 4});
  const Tensor b = from_vector({10, 20, 30, 40});
  EXPECT_TRUE(values_near(where(c, a, b), {4}, {1, 20, 3, 40}));
  // Everything broadcasts together: condition [2,1], a [4], b [].
  const Tensor c2 = from_vector({1, 0}, {2, 1});
  EXPECT_TRUE(values_near(where(c2, a, scalar_tensor(-1)), {2, 4}, {1, 2, 3, 4, -1, -1, -1, -1}));
  EXPECT_TRUE(values_near(where(c, a.reshape({2, 2}).t().reshape({4}), b), {4}, {1, 20, 2, 40}));
}

TEST(WhereGrad, BothBranchesWithBroadcast) {
  Generator gen(95);
  const Tensor cond = from_vector({1, 0, 0, 1, 1, 0}, {2, 3});
  const Tensor a = randn_leaf({2, 3}, gen);
  const Tensor b = randn_leaf({3}, gen);
  EXPECT_TRUE(gradcheck([cond](const Inputs& x) { return where(cond, x[0], x[1]); }, {a, b}));
  const Tensor s = randn_leaf({}, gen);
  const Tensor t = strided_randn_leaf({2, 3}, gen);
  EXPECT_TRUE(gradcheck([cond](const Inputs& x) { return where(cond, x[0], x[1]); }, {s, t}));
  const Tensor col = from_vector({1, 0}, {2, 1});
  EXPECT_TRUE(gradcheck([col](const Inputs& x) { return where(col, x[0], x[1]); }, {a, b}));
  Tensor u = ones({3});
  Tensor v = ones({3});
  u.requires_grad_();
  v.requires_grad_();
  where(from_vector({1, 0, 1}), u, v).sum().backward();
  EXPECT_TRUE(values_near(u.grad(), {3}, {1, 0, 1}));
  EXPECT_TRUE(values_near(v.grad(), {3}, {0, 1, 0}));
}
