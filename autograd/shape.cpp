// Lesson 02: shapes, strides and broadcasting rules, each in one small function.
#include "autograd/shape.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace glimpse {

namespace {
void check_rank(int64_t n, Loc loc) {
  detail::check(n <= Shape::kMaxDims, "shape", loc, [&] {
    return fmt::format("tensors have at most {} dims, got {}", Shape::kMaxDims, n);
  });
}
}  // namespace

Shape::Shape(std::initializer_list<int64_t> dims, Loc loc) {
  check_rank(static_cast<int64_t>(dims.size()), loc);
  for (int64_t d : dims) dims_[size_++] = d;
}

Shape::Shape(std::span<const int64_t> dims, Loc loc) {
  check_rank(static_cast<int64_t>(dims.size()), loc);
  for (int64_t d : dims) dims_[size_++] = d;
}

void Shape::push_back(int64_t d, Loc loc) {
  check_rank(size_ + 1, loc);
  dims_[size_++] = d;
}

void Shape::insert(int pos, int64_t d, Loc loc) {
  check_rank(size_ + 1, loc);
  for (int i = size_; i > pos; --i) dims_[i] = dims_[i - 1];
  dims_[pos] = d;
  ++size_;
}

void Shape::erase(int pos) {
  for (int i = pos; i + 1 < size_; ++i) dims_[i] = dims_[i + 1];
  --size_;
}

bool operator==(const Shape& a, const Shape& b) {
  // A plain loop: every op compares shapes, and std::equal would call memcmp for a few ints.
  if (a.size_ != b.size_) return false;
  for (int i = 0; i < a.size_; ++i)
    if (a.dims_[i] != b.dims_[i]) return false;
  return true;
}

int64_t numel(const Shape& shape, Loc loc) { return detail::checked_numel(shape, "numel", loc); }

int64_t detail::checked_numel(const Shape& shape, const char* op, Loc loc) {
  // The product of the non-zero sizes must fit in int64_t: then so does every stride and
  // offset, which are products of some of those sizes (a zero size just makes it empty).
  int64_t n = 1;
  bool empty = false;
  for (int64_t d : shape) {
    if (d == 0) empty = true;
    else if (__builtin_mul_overflow(n, d, &n)) [[unlikely]]
      throw Error(op, fmt::format("shape {} has more elements than an int64_t can count", to_string(shape)), loc);
  }
  return empty ? 0 : n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides = shape;
  int64_t running = 1;
  for (int i = shape.size() - 1; i >= 0; --i) {
    strides[i] = running;
    running *= shape[i];
  }
  return strides;
}

std::string to_string(const Shape& shape) {
  return fmt::format("[{}]", fmt::join(shape.begin(), shape.end(), ", "));
}

int normalize_dim(int64_t dim, int ndim, const char* op, Loc loc) {
  detail::check(dim >= -ndim && dim < ndim && ndim > 0, op, loc, [&] {
    return ndim == 0 ? fmt::format("dim {} is out of range for a 0-d tensor", dim)
                     : fmt::format("dim {} is out of range for a tensor with {} dims (valid: {}..{})",
                                   dim, ndim, -ndim, ndim - 1);
  });
  return static_cast<int>(dim < 0 ? dim + ndim : dim);
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op, Loc loc) {
  if (a == b) return a;
  const int nd = std::max(a.size(), b.size());
  Shape out;
  for (int i = 0; i < nd; ++i) {
    // Align from the right: dim i of the result faces dim (i - (nd - size)) of each input.
    const int ia = i - (nd - a.size()), ib = i - (nd - b.size());
    const int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    detail::check(da == db || da == 1 || db == 1, op, loc, [&] {
      return fmt::format("shapes {} and {} cannot be broadcast: size {} vs {} at dim {}", to_string(a),
                         to_string(b), da, db, i);
    });
    out.push_back(da == 1 ? db : da);
  }
  return out;
}

Shape broadcast_strides(const Shape& shape, const Shape& strides, const Shape& target) {
  Shape out = target;
  const int lead = target.size() - shape.size();
  for (int i = 0; i < target.size(); ++i) {
    const int j = i - lead;
    out[i] = (j < 0 || shape[j] == 1) ? 0 : strides[j];
  }
  return out;
}

bool is_contiguous(const Shape& shape, const Shape& strides) {
  int64_t expected = 1;
  for (int i = shape.size() - 1; i >= 0; --i) {
    if (shape[i] == 1) continue;
    if (strides[i] != expected) return false;
    expected *= shape[i];
  }
  return true;
}

}  // namespace glimpse
