// Tests for autograd/shape.hpp and shape.cpp: the index and stride arithmetic behind views and
// broadcasting, where learners (and implementers) trip.
#include <gtest/gtest.h>

#include "autograd_test_util.hpp"

using namespace glimpse;

TEST(Shape, BuildAndEdit) {
  Shape s{2, 3, 4};
  EXPECT_EQ(s.size(), 3);
  EXPECT_FALSE(s.empty());
  EXPECT_EQ(s[1], 3);
  EXPECT_EQ(s.back(), 4);
  s.push_back(5);
  EXPECT_TRUE((s == Shape{2, 3, 4, 5}));
  s.insert(0, 1);
  EXPECT_TRUE((s == Shape{1, 2, 3, 4, 5}));
  s.insert(5, 6);
  EXPECT_TRUE((s == Shape{1, 2, 3, 4, 5, 6}));
  s.erase(2);
  EXPECT_TRUE((s == Shape{1, 2, 4, 5, 6}));
  s.erase(4);
  EXPECT_TRUE((s == Shape{1, 2, 4, 5}));
  EXPECT_TRUE(Shape{}.empty());
  EXPECT_FALSE((Shape{2, 3} == Shape{3, 2}));
  EXPECT_FALSE((Shape{2} == Shape{2, 1}));
  const int64_t raw[] = {7, 8};
  EXPECT_TRUE((Shape(std::span<const int64_t>(raw)) == Shape{7, 8}));
}

TEST(Shape, AtMostEightDims) {
  EXPECT_NO_THROW((Shape{1, 1, 1, 1, 1, 1, 1, 1}));
  EXPECT_THROW((Shape{1, 1, 1, 1, 1, 1, 1, 1, 1}), Error);
  Shape s{1, 1, 1, 1, 1, 1, 1, 1};
  EXPECT_THROW(s.push_back(1), Error);
  EXPECT_THROW(s.insert(0, 1), Error);
  EXPECT_THROW(ones({1, 1, 1, 1, 1, 1, 1, 1}).unsqueeze(0), Error);
}

TEST(Shape, NumelAndToString) {
  EXPECT_EQ(numel(Shape{}), 1);
  EXPECT_EQ(numel(Shape{2, 3, 4}), 24);
  EXPECT_EQ(numel(Shape{2, 0, 4}), 0);
  EXPECT_EQ(to_string(Shape{2, 3, 4}), "[2, 3, 4]");
  EXPECT_EQ(to_string(Shape{5}), "[5]");
  EXPECT_EQ(to_string(Shape{}), "[]");
}

TEST(Shape, ContiguousStrides) {
  EXPECT_TRUE((contiguous_strides(Shape{2, 3, 4}) == Shape{12, 4, 1}));
  EXPECT_TRUE((contiguous_strides(Shape{5}) == Shape{1}));
  EXPECT_TRUE((contiguous_strides(Shape{}) == Shape{}));
  EXPECT_TRUE((contiguous_strides(Shape{3, 1, 2}) == Shape{2, 2, 1}));
}

TEST(Shape, IsContiguousIgnoresSizeOneDims) {
  EXPECT_TRUE(is_contiguous(Shape{2, 3}, Shape{3, 1}));
  EXPECT_FALSE(is_contiguous(Shape{2, 3}, Shape{1, 2}));
  EXPECT_TRUE(is_contiguous(Shape{2, 1, 3}, Shape{3, 99, 1}));
  EXPECT_TRUE(is_contiguous(Shape{1, 4}, Shape{0, 1}));
  EXPECT_FALSE(is_contiguous(Shape{2, 3}, Shape{0, 1}));  // expanded: not contiguous
  EXPECT_FALSE(is_contiguous(Shape{3}, Shape{2}));        // every other element
  EXPECT_TRUE(is_contiguous(Shape{}, Shape{}));
}

TEST(Shape, NormalizeDim) {
  EXPECT_EQ(normalize_dim(0, 3, "op", Loc::current()), 0);
  EXPECT_EQ(normalize_dim(2, 3, "op", Loc::current()), 2);
  EXPECT_EQ(normalize_dim(-1, 3, "op", Loc::current()), 2);
  EXPECT_EQ(normalize_dim(-3, 3, "op", Loc::current()), 0);
  EXPECT_THROW(normalize_dim(3, 3, "op", Loc::current()), Error);
  EXPECT_THROW(normalize_dim(-4, 3, "op", Loc::current()), Error);
  EXPECT_THROW(normalize_dim(0, 0, "op", Loc::current()), Error);
  try {
    normalize_dim(5, 2, "my_op", Loc::current());
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "my_op");
    EXPECT_NE(std::string(e.what()).find("dim 5 is out of range for a tensor with 2 dims (valid: -2..1)"),
              std::string::npos)
        << e.what();
  }
}

TEST(Shape, BroadcastShapes) {
  const Loc here = Loc::current();
  EXPECT_TRUE((broadcast_shapes(Shape{3, 1, 4}, Shape{2, 4}, "add", here) == Shape{3, 2, 4}));
  EXPECT_TRUE((broadcast_shapes(Shape{2, 4}, Shape{3, 1, 4}, "add", here) == Shape{3, 2, 4}));
  EXPECT_TRUE((broadcast_shapes(Shape{}, Shape{3}, "add", here) == Shape{3}));
  EXPECT_TRUE((broadcast_shapes(Shape{3}, Shape{}, "add", here) == Shape{3}));
  EXPECT_TRUE((broadcast_shapes(Shape{}, Shape{}, "add", here) == Shape{}));
  EXPECT_TRUE((broadcast_shapes(Shape{5, 1}, Shape{1, 6}, "add", here) == Shape{5, 6}));
  EXPECT_TRUE((broadcast_shapes(Shape{1}, Shape{0}, "add", here) == Shape{0}));
  EXPECT_THROW(broadcast_shapes(Shape{2, 3}, Shape{4, 3}, "add", here), Error);
  EXPECT_THROW(broadcast_shapes(Shape{3}, Shape{4}, "add", here), Error);
  EXPECT_THROW(broadcast_shapes(Shape{2, 3}, Shape{2}, "add", here), Error);
}

TEST(Shape, BroadcastStrides) {
  // [3, 1] with strides [1, 1] read as [2, 3, 4]: the new leading dim and the size-1 dim get 0.
  EXPECT_TRUE((broadcast_strides(Shape{3, 1}, Shape{1, 1}, Shape{2, 3, 4}) == Shape{0, 1, 0}));
  EXPECT_TRUE((broadcast_strides(Shape{}, Shape{}, Shape{2, 2}) == Shape{0, 0}));
  EXPECT_TRUE((broadcast_strides(Shape{2, 3}, Shape{1, 2}, Shape{2, 3}) == Shape{1, 2}));
}

TEST(Shape, LanesAroundADim) {
  const detail::Lanes l = detail::lanes_of(Shape{2, 3, 4, 5}, 1);
  EXPECT_EQ(l.outer, 2);
  EXPECT_EQ(l.n, 3);
  EXPECT_EQ(l.inner, 20);
  const detail::Lanes last = detail::lanes_of(Shape{2, 3}, 1);
  EXPECT_EQ(last.outer, 2);
  EXPECT_EQ(last.n, 3);
  EXPECT_EQ(last.inner, 1);
}

TEST(Shape, ForEachOffsetWalksRowMajor) {
  // A [2, 3] view with strides [1, 2] (a transpose) and offset 10, read next to a contiguous
  // [2, 3] and a broadcast row.
  const Shape shape{2, 3};
  const Shape s0{1, 2}, s1{3, 1}, s2{0, 1};
  const Shape* strides[3] = {&s0, &s1, &s2};
  int64_t base[3] = {10, 0, 100};
  std::vector<int64_t> o0, o1, o2;
  detail::for_each_offset(shape, strides, base, [&](int64_t a, int64_t b, int64_t c) {
    o0.push_back(a);
    o1.push_back(b);
    o2.push_back(c);
  });
  EXPECT_EQ(o0, (std::vector<int64_t>{10, 12, 14, 11, 13, 15}));
  EXPECT_EQ(o1, (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(o2, (std::vector<int64_t>{100, 101, 102, 100, 101, 102}));
}

TEST(Shape, ForEachOffsetEdgeCases) {
  const Shape empty_strides;
  const Shape* strides[3] = {&empty_strides, nullptr, nullptr};
  int64_t base[3] = {7, 0, 0};
  int calls = 0;
  int64_t seen = -1;
  detail::for_each_offset(Shape{}, strides, base, [&](int64_t a, int64_t, int64_t) { ++calls, seen = a; });
  EXPECT_EQ(calls, 1);  // a 0-d tensor has one element
  EXPECT_EQ(seen, 7);
  calls = 0;
  const Shape s{1, 1};
  const Shape* strides2[3] = {&s, nullptr, nullptr};
  detail::for_each_offset(Shape{3, 0}, strides2, base, [&](int64_t, int64_t, int64_t) { ++calls; });
  EXPECT_EQ(calls, 0);
  // Three dims, carrying across two of them.
  const Shape shape{2, 2, 2};
  const Shape st = contiguous_strides(shape);
  const Shape* strides3[3] = {&st, nullptr, nullptr};
  int64_t zero[3] = {0, 0, 0};
  std::vector<int64_t> offsets;
  detail::for_each_offset(shape, strides3, zero, [&](int64_t a, int64_t, int64_t) { offsets.push_back(a); });
  EXPECT_EQ(offsets, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
}
