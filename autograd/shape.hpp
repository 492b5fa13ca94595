// Shapes, strides and the index arithmetic behind views and broadcasting.
// Introduced in lesson 02 (tensors): a tensor is a flat buffer plus a shape and strides;
// element (i0, i1, ...) lives at offset + i0*stride0 + i1*stride1 + ...
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>

#include "autograd/error.hpp"

namespace glimpse {

// A short list of sizes (or strides), stored inline: tensors here have at most 8 dims, and
// keeping shapes off the heap keeps small ops cheap.
class Shape {
 public:
  static constexpr int kMaxDims = 8;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims, Loc loc = Loc::current());
  explicit Shape(std::span<const int64_t> dims, Loc loc = Loc::current());

  int size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int64_t operator[](int i) const { return dims_[i]; }
  int64_t& operator[](int i) { return dims_[i]; }
  const int64_t* begin() const { return dims_.data(); }
  const int64_t* end() const { return dims_.data() + size_; }
  int64_t* begin() { return dims_.data(); }
  int64_t* end() { return dims_.data() + size_; }
  int64_t back() const { return dims_[size_ - 1]; }

  void push_back(int64_t d, Loc loc = Loc::current());
  void insert(int pos, int64_t d, Loc loc = Loc::current());
  void erase(int pos);

  friend bool operator==(const Shape& a, const Shape& b);

 private:
  std::array<int64_t, kMaxDims> dims_{};
  int size_ = 0;
};

// Number of elements: the product of the sizes (1 for a scalar shape []). Throws when the sizes
// multiply beyond int64_t.
int64_t numel(const Shape& shape, Loc loc = Loc::current());

// Row-major strides: the last dim moves fastest.
Shape contiguous_strides(const Shape& shape);

// "[2, 3, 4]"
std::string to_string(const Shape& shape);

// Turns a possibly negative dim (-1 = last) into 0..ndim-1, or throws naming `op`.
int normalize_dim(int64_t dim, int ndim, const char* op, Loc loc = Loc::current());

// NumPy broadcasting: align shapes on the right; each pair of sizes must be equal or one of
// them 1. Throws naming `op` and both shapes when they cannot be broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op, Loc loc = Loc::current());

// Strides that read a tensor of `shape`/`strides` as if it had the (broadcast) shape `target`:
// stride 0 along dims where the tensor has size 1 or is missing.
Shape broadcast_strides(const Shape& shape, const Shape& strides, const Shape& target);

// True when `strides` are the row-major strides of `shape` (size-1 dims are ignored).
bool is_contiguous(const Shape& shape, const Shape& strides);

namespace detail {

// numel, with the error (sizes that overflow int64_t) naming `op`.
int64_t checked_numel(const Shape& shape, const char* op, Loc loc);

// A contiguous tensor seen as [outer, n, inner] around dim `d`: element (o, k, i) sits at
// (o*n + k)*inner + i. Ops along one dim (softmax, max, cat) loop over these lanes.
struct Lanes {
  int64_t outer = 1, n = 1, inner = 1;
};
inline Lanes lanes_of(const Shape& shape, int d) {
  Lanes l;
  for (int i = 0; i < d; ++i) l.outer *= shape[i];
  l.n = shape[d];
  for (int i = d + 1; i < shape.size(); ++i) l.inner *= shape[i];
  return l;
}
// Where lane number `lane` (0 … outer·inner − 1, lane = o·inner + i) starts: element (o, 0, i).
inline int64_t lane_start(const Lanes& l, int64_t lane) {
  return lane / l.inner * l.n * l.inner + lane % l.inner;
}

// Walks every multi-index of `shape` in row-major order while keeping up to three flat
// offsets (one per operand, each with its own strides) in step. The workhorse of every
// strided kernel: `visit(off0, off1, off2)` is called numel(shape) times.
template <class Visit>
void for_each_offset(const Shape& shape, const Shape* strides[3], int64_t base[3], Visit&& visit) {
  const int nd = shape.size();
  const int64_t n = numel(shape);
  if (n == 0) return;
  int64_t off[3] = {base[0], base[1], base[2]};
  if (nd == 0) {
    visit(off[0], off[1], off[2]);
    return;
  }
  std::array<int64_t, Shape::kMaxDims> idx{};
  const int64_t inner = shape[nd - 1];
  const int64_t s0 = strides[0] ? (*strides[0])[nd - 1] : 0;
  const int64_t s1 = strides[1] ? (*strides[1])[nd - 1] : 0;
  const int64_t s2 = strides[2] ? (*strides[2])[nd - 1] : 0;
  for (int64_t done = 0; done < n; done += inner) {
    int64_t o0 = off[0], o1 = off[1], o2 = off[2];
    for (int64_t i = 0; i < inner; ++i, o0 += s0, o1 += s1, o2 += s2) visit(o0, o1, o2);
    // Carry into the outer dims, like an odometer.
    for (int d = nd - 2; d >= 0; --d) {
      const int64_t t0 = strides[0] ? (*strides[0])[d] : 0;
      const int64_t t1 = strides[1] ? (*strides[1])[d] : 0;
      const int64_t t2 = strides[2] ? (*strides[2])[d] : 0;
      if (++idx[d] < shape[d]) {
        off[0] += t0, off[1] += t1, off[2] += t2;
        break;
      }
      off[0] -= t0 * (shape[d] - 1), off[1] -= t1 * (shape[d] - 1), off[2] -= t2 * (shape[d] - 1);
      idx[d] = 0;
    }
  }
}

// Like for_each_offset, but calls `visit_row(off0, off1, off2)` once per innermost row (the
// last dim's shape[nd-1] elements, or one element for a 0-d shape); the caller steps through
// the row with the last dim's strides itself. That lets a kernel give the common strides (0 or
// 1) their own inner loop, which the compiler vectorises.
template <class VisitRow>
void for_each_row(const Shape& shape, const Shape* strides[3], int64_t base[3], VisitRow&& visit_row) {
  const int nd = shape.size();
  if (numel(shape) == 0) return;
  if (nd <= 1) {
    visit_row(base[0], base[1], base[2]);
    return;
  }
  Shape outer = shape;
  outer[nd - 1] = 1;  // one visit per row: the outer dims walked by for_each_offset
  for_each_offset(outer, strides, base, visit_row);
}

}  // namespace detail
}  // namespace glimpse
