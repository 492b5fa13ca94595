// Tests for autograd/views.cpp: every view shares storage, has the right shape and strides,
// and passes its gradient back to the right elements.
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
bool shares_storage(const Tensor& a, const Tensor& b) { return a.node()->storage == b.node()->storage; }
}  // namespace

// ---- forward: shapes, strides, values, no copies -----------------------------------------

TEST(Views, ReshapeAndViewShareStorage) {
  const Tensor a = iota({2, 3});
  const Tensor r = a.reshape({3, 2});
  EXPECT_TRUE(shares_storage(a, r));
  EXPECT_TRUE(values_near(r, {3, 2}, {0, 1, 2, 3, 4, 5}));
  EXPECT_TRUE((r.strides() == Shape{2, 1}));
  const Tensor v = a.view({-1});
  EXPECT_TRUE(shares_storage(a, v));
  EXPECT_TRUE(values_near(v, {6}, {0, 1, 2, 3, 4, 5}));
  EXPECT_TRUE(values_near(a.reshape({-1, 2}), {3, 2}, {0, 1, 2, 3, 4, 5}));
  EXPECT_TRUE(values_near(a.reshape({1, 6, 1}), {1, 6, 1}, {0, 1, 2, 3, 4, 5}));
  EXPECT_TRUE(values_near(a.flatten(), {6}, {0, 1, 2, 3, 4, 5}));
  EXPECT_TRUE(values_near(scalar_tensor(4).reshape({1, 1}), {1, 1}, {4}));
  EXPECT_TRUE(values_near(full({1}, 4).reshape(Shape{}), Shape{}, {4}));
}

TEST(Views, WritingThroughAViewChangesTheBase) {
  Tensor a = zeros({2, 3});
  Tensor row = a.select(0, 1);
  row.data()[2] = 7;  // row is contiguous along its one dim
  EXPECT_EQ(a.at({1, 2}), 7);
  Tensor col = a.select(1, 0);
  col.data()[col.strides()[0]] = 5;  // element 1 of the column
  EXPECT_EQ(a.at({1, 0}), 5);
}

TEST(Views, ReshapeOfStridedCopies) {
  const Tensor a = iota({2, 3}).t();  // [[0,3],[1,4],[2,5]]
  ASSERT_FALSE(a.is_contiguous());
  const Tensor r = a.reshape({6});
  EXPECT_TRUE(values_near(r, {6}, {0, 3, 1, 4, 2, 5}));
  EXPECT_TRUE(r.is_contiguous());
}

TEST(Views, TransposeAndPermute) {
  const Tensor a = iota({2, 3, 4});
  const Tensor t = a.transpose(0, 2);
  EXPECT_TRUE(shares_storage(a, t));
  EXPECT_TRUE((t.shape() == Shape{4, 3, 2}));
  EXPECT_TRUE((t.strides() == Shape{1, 4, 12}));
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(t.at({3, 1, 0}), a.at({0, 1, 3}));
  EXPECT_TRUE(values_near(a.transpose(-1, -2).select(0, 0), {4, 3}, {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  const Tensor p = a.permute({1, 2, 0});
  EXPECT_TRUE((p.shape() == Shape{3, 4, 2}));
  EXPECT_TRUE((p.strides() == Shape{4, 1, 12}));
  EXPECT_EQ(p.at({2, 1, 1}), a.at({1, 2, 1}));
  EXPECT_TRUE(values_near(iota({2, 3}).t(), {3, 2}, {0, 3, 1, 4, 2, 5}));
  EXPECT_TRUE((a.permute({-1, 0, 1}).shape() == Shape{4, 2, 3}));
}

TEST(Views, SelectSliceNarrow) {
  const Tensor a = iota({3, 4});
  EXPECT_TRUE(values_near(a.select(0, 1), {4}, {4, 5, 6, 7}));
  EXPECT_TRUE(values_near(a.select(1, -1), {3}, {3, 7, 11}));
  EXPECT_TRUE(values_near(a.select(0, 2).select(0, 3), Shape{}, {11}));
  EXPECT_TRUE(values_near(a.slice(1, 1, 3), {3, 2}, {1, 2, 5, 6, 9, 10}));
  EXPECT_TRUE(values_near(a.slice(1, 0, 4, 2), {3, 2}, {0, 2, 4, 6, 8, 10}));
  EXPECT_TRUE(values_near(a.slice(1, 1, 4, 2), {3, 2}, {1, 3, 5, 7, 9, 11}));
  EXPECT_TRUE(values_near(a.slice(0, -2, 100), {2, 4}, {4, 5, 6, 7, 8, 9, 10, 11}));  // Python rules
  EXPECT_TRUE(values_near(a.slice(0, 2, 1), {0, 4}, {}));
  EXPECT_TRUE(values_near(a.narrow(0, 1, 2), {2, 4}, {4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_TRUE(values_near(a.narrow(1, 3, 1), {3, 1}, {3, 7, 11}));
  EXPECT_TRUE(shares_storage(a, a.slice(1, 1, 3)));
  EXPECT_EQ(a.slice(1, 1, 3).offset(), 1);
  EXPECT_EQ(a.select(0, 2).offset(), 8);
}

TEST(Views, UnsqueezeSqueeze) {
  const Tensor a = iota({2, 3});
  EXPECT_TRUE((a.unsqueeze(0).shape() == Shape{1, 2, 3}));
  EXPECT_TRUE((a.unsqueeze(1).shape() == Shape{2, 1, 3}));
  EXPECT_TRUE((a.unsqueeze(2).shape() == Shape{2, 3, 1}));
  EXPECT_TRUE((a.unsqueeze(-1).shape() == Shape{2, 3, 1}));
  EXPECT_TRUE(a.unsqueeze(1).is_contiguous());
  EXPECT_TRUE(values_near(a.unsqueeze(1), {2, 1, 3}, {0, 1, 2, 3, 4, 5}));
  EXPECT_TRUE((scalar_tensor(1).unsqueeze(0).shape() == Shape{1}));
  const Tensor b = iota({1, 3, 1});
  EXPECT_TRUE((b.squeeze(0).shape() == Shape{3, 1}));
  EXPECT_TRUE((b.squeeze(-1).shape() == Shape{1, 3}));
  EXPECT_TRUE((b.squeeze(1).shape() == Shape{1, 3, 1}));  // not size 1: unchanged
  EXPECT_TRUE((b.squeeze().shape() == Shape{3}));
  EXPECT_TRUE((iota({1, 1}).squeeze().shape() == Shape{}));
  EXPECT_TRUE(shares_storage(b, b.squeeze()));
}

TEST(Views, Expand) {
  const Tensor a = from_vector({1, 2, 3}, {3, 1});
  const Tensor e = a.expand({2, 3, 4});
  EXPECT_TRUE(shares_storage(a, e));
  EXPECT_TRUE((e.strides() == Shape{0, 1, 0}));
  EXPECT_TRUE(values_near(e.select(0, 1), {3, 4}, {1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3}));
  EXPECT_TRUE((a.expand({-1, 5}).shape() == Shape{3, 5}));
  EXPECT_TRUE(values_near(scalar_tensor(7).expand({2}), {2}, {7, 7}));
}

TEST(Views, ContiguousCloneDetach) {
  const Tensor a = iota({2, 3});
  EXPECT_EQ(a.contiguous().node(), a.node());  // already contiguous: the same tensor
  const Tensor t = a.t();
  const Tensor c = t.contiguous();
  EXPECT_FALSE(shares_storage(t, c));
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_TRUE(values_near(c, {3, 2}, {0, 3, 1, 4, 2, 5}));
  const Tensor k = a.clone();
  EXPECT_FALSE(shares_storage(a, k));
  EXPECT_TRUE(values_near(k, {2, 3}, {0, 1, 2, 3, 4, 5}));
  const Tensor d = t.detach();
  EXPECT_TRUE(shares_storage(t, d));
  EXPECT_TRUE((d.strides() == t.strides()));
}

TEST(Views, OpNames) {
  Tensor a = ones({2, 3});
  a.requires_grad_();
  EXPECT_EQ(a.reshape({3, 2}).op_name(), "reshape");
  EXPECT_EQ(a.view({3, 2}).op_name(), "view");
  EXPECT_EQ(a.t().op_name(), "transpose");
  EXPECT_EQ(a.permute({1, 0}).op_name(), "permute");
  EXPECT_EQ(a.select(0, 0).op_name(), "select");
  EXPECT_EQ(a.slice(0, 0, 1).op_name(), "slice");
  EXPECT_EQ(a.unsqueeze(0).op_name(), "unsqueeze");
  EXPECT_EQ(a.unsqueeze(0).squeeze(0).op_name(), "squeeze");
  EXPECT_EQ(a.expand({4, 2, 3}).op_name(), "expand");
  EXPECT_EQ(a.t().contiguous().op_name(), "contiguous");
  EXPECT_EQ(a.clone().op_name(), "clone");
  EXPECT_EQ(a.t().grad_fn_name(), "TransposeBackward");
}

// ---- gradients ----------------------------------------------------------------------------

TEST(ViewsGrad, ReshapeViewFlatten) {
  Generator gen(51);
  const Tensor a = randn_leaf({2, 3, 2}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].reshape({3, 4}); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].view({-1, 2}); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].flatten(); }, {a}));
  const Tensor s = strided_randn_leaf({3, 4}, gen);
  ASSERT_FALSE(s.is_contiguous());
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].reshape({2, 6}); }, {s}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].flatten(); }, {s}));
  // A reshape whose gradient arrives non-contiguous (through a transpose).
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].reshape({4, 3}).t(); }, {a}));
}

TEST(ViewsGrad, TransposePermute) {
  Generator gen(52);
  const Tensor a = randn_leaf({2, 3, 4}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].transpose(0, 2); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].transpose(-1, 1); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].permute({2, 0, 1}); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].permute({1, 2, 0}).permute({1, 2, 0}); }, {a}));
  const Tensor m = strided_randn_leaf({3, 4}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].t(); }, {m}));
  // A transposed view times a broadcast row: gradient comes back through the transpose.
  const Tensor row = randn_leaf({3}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return mul(x[0].t(), x[1]); }, {m, row}));
}

TEST(ViewsGrad, SelectSliceNarrow) {
  Generator gen(53);
  const Tensor a = randn_leaf({3, 4, 2}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].select(1, 2); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].select(-1, -1); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].slice(1, 1, 4, 2); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].slice(0, -2, 3); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].narrow(1, 1, 2); }, {a}));
  // Two overlapping views of one tensor: their gradients add up.
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return add(x[0].narrow(1, 0, 3), x[0].narrow(1, 1, 3)); }, {a}));
  const Tensor s = strided_randn_leaf({4, 3}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].select(0, 1); }, {s}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].slice(1, 0, 3, 2); }, {s}));
}

TEST(ViewsGrad, SelectByHand) {
  Tensor a = zeros({2, 3});
  a.requires_grad_();
  a.select(1, 2).backward(from_vector({4, 5}));
  EXPECT_TRUE(values_near(a.grad(), {2, 3}, {0, 0, 4, 0, 0, 5}));
  a.zero_grad();
  a.slice(1, 0, 3, 2).backward(from_vector({1, 2, 3, 4}, {2, 2}));
  EXPECT_TRUE(values_near(a.grad(), {2, 3}, {1, 0, 2, 3, 0, 4}));
}

TEST(ViewsGrad, UnsqueezeSqueeze) {
  Generator gen(54);
  const Tensor a = randn_leaf({3, 1, 2}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].unsqueeze(0); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].unsqueeze(-1); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].squeeze(1); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].squeeze(); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].unsqueeze(2).squeeze(); }, {a}));
  const Tensor s = strided_randn_leaf({3, 2}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].unsqueeze(1); }, {s}));
}

TEST(ViewsGrad, Expand) {
  Generator gen(55);
  const Tensor a = randn_leaf({3, 1}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].expand({2, 3, 4}); }, {a}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].expand({-1, 5}); }, {a}));
  const Tensor s = randn_leaf({}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].expand({3}); }, {s}));
  const Tensor t = strided_randn_leaf({1, 3}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].expand({4, 3}); }, {t}));
}

TEST(ViewsGrad, ExpandByHand) {
  Tensor a = ones({3, 1});
  a.requires_grad_();
  a.expand({2, 3, 4}).sum().backward();
  EXPECT_TRUE(values_near(a.grad(), {3, 1}, {8, 8, 8}));
}

TEST(ViewsGrad, ContiguousClone) {
  Generator gen(56);
  const Tensor s = strided_randn_leaf({3, 4}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].contiguous(); }, {s}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].clone(); }, {s}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return x[0].t().contiguous(); }, {s}));
}

TEST(ViewsGrad, DetachStopsTheGradient) {
  Tensor a = ones({2});
  a.requires_grad_();
  const Tensor d = a.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  (a * d).sum().backward();
  EXPECT_TRUE(values_near(a.grad(), {2}, {1, 1}));  // d is a constant: d(a·d)/da = d
}
