// The loops behind the elementwise ops (autograd/elementwise.cpp): apply f to every element,
// or to every pair of elements of two operands broadcast to one shape (NumPy rules), over any
// memory layout. Contiguous operands and contiguous or broadcast rows get plain loops the
// compiler vectorises.
#pragma once

#include <algorithm>
#include <array>
#include <vector>

#include "autograd/kernels/parallel.hpp"
#include "autograd/ops.hpp"
#include "autograd/tape.hpp"

namespace glimpse::detail {

// body(i) for every i in [0, n), split across threads (parallel.hpp) once n is large enough:
// each element is computed on its own, so the split cannot change a bit.
template <class Body>
void for_each_element(int64_t n, Body body) {
  parallel_for(n, kElementsPerRange, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) body(i);
  });
}

// for_each_row (shape.hpp), split across threads once there are at least 2·kElementsPerRange
// elements: the odometer walk that finds where each row starts runs first, on the caller, then
// the rows run in ranges. visit_row(off0, off1, off2) must write only its own row.
template <class VisitRow>
void for_each_row_split(const Shape& shape, const Shape* strides[3], int64_t base[3], VisitRow visit_row) {
  const int64_t n = numel(shape);
  if (n < 2 * kElementsPerRange) return for_each_row(shape, strides, base, visit_row);
  const int64_t inner = shape[shape.size() - 1];  // n > 1, so shape has a last dim
  std::vector<std::array<int64_t, 3>> starts;
  starts.reserve(static_cast<size_t>(n / inner));
  for_each_row(shape, strides, base, [&](int64_t o0, int64_t o1, int64_t o2) {
    starts.push_back({o0, o1, o2});
  });
  parallel_for(static_cast<int64_t>(starts.size()), std::max<int64_t>(1, kElementsPerRange / inner),
               [&](int64_t begin, int64_t end) {
                 for (int64_t r = begin; r < end; ++r) {
                   const auto [o0, o1, o2] = starts[static_cast<size_t>(r)];
                   visit_row(o0, o1, o2);
                 }
               });
}

// out[i] = f(a[i]) over any layout of a.
template <class F>
Tensor map_unary(const Tensor& a, F f, const char* op, Loc loc) {
  check_defined({&a}, op, loc);
  Tensor out = empty(a.shape(), op, loc);
  float* o = out.data();
  const float* x = a.data();
  if (a.is_contiguous()) {
    for_each_element(a.numel(), [&](int64_t i) { o[i] = f(x[i]); });
  } else {
    const Shape* strides[3] = {&a.strides(), nullptr, nullptr};
    int64_t base[3] = {0, 0, 0};
    int64_t i = 0;
    for_each_offset(a.shape(), strides, base, [&](int64_t oa, int64_t, int64_t) { o[i++] = f(x[oa]); });
  }
  return out;
}

// out = f(a, b) with a and b broadcast to a common shape.
template <class F>
Tensor map_binary(const Tensor& a, const Tensor& b, F f, const char* op, Loc loc) {
  check_defined({&a, &b}, op, loc);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op, loc);
  Tensor out = empty(shape, op, loc);
  float* o = out.data();
  const float* x = a.data();
  const float* y = b.data();
  const int64_t n = out.numel();
  if (a.shape() == shape && b.shape() == shape && a.is_contiguous() && b.is_contiguous()) {
    // The common case, kept simple to vectorise.
    for_each_element(n, [&](int64_t i) { o[i] = f(x[i], y[i]); });
  } else {
    const Shape sa = broadcast_strides(a.shape(), a.strides(), shape);
    const Shape sb = broadcast_strides(b.shape(), b.strides(), shape);
    const Shape so = contiguous_strides(shape);  // out's own
    const Shape* strides[3] = {&sa, &sb, &so};
    int64_t base[3] = {0, 0, 0};
    // Row by row, so a row of a broadcast operand (stride 0: one value) or a contiguous one
    // (stride 1) gets a loop the compiler can vectorise, e.g. W·s [B,1,A] + keys [B,S,A]. Each
    // element is computed alone, so large outputs (a layer norm's x − mean) share rows out.
    const int nd = shape.size();
    const int64_t inner = nd == 0 ? 1 : shape[nd - 1];
    const int64_t ia = nd == 0 ? 0 : sa[nd - 1], ib = nd == 0 ? 0 : sb[nd - 1];
    for_each_row_split(shape, strides, base, [&](int64_t oa, int64_t ob, int64_t oo) {
      const float* xr = x + oa;
      const float* yr = y + ob;
      float* row = o + oo;
      if (ia == 1 && ib == 1) {
        for (int64_t k = 0; k < inner; ++k) row[k] = f(xr[k], yr[k]);
      } else if (ia == 1 && ib == 0) {
        for (int64_t k = 0; k < inner; ++k) row[k] = f(xr[k], yr[0]);
      } else if (ia == 0 && ib == 1) {
        for (int64_t k = 0; k < inner; ++k) row[k] = f(xr[0], yr[k]);
      } else {
        for (int64_t k = 0; k < inner; ++k) row[k] = f(xr[k * ia], yr[k * ib]);
      }
    });
  }
  return out;
}

}  // namespace glimpse::detail
