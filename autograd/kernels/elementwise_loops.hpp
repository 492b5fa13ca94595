// The loops behind the elementwise ops (autograd/elementwise.cpp): apply f to every element,
// or to every pair of elements of two operands broadcast to one shape (NumPy rules), over any
// memory layout. Contiguous operands and contiguous or broadcast rows get plain loops the
// compiler vectorises.
#pragma once

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
    const Shape* strides[3] = {&sa, &sb, nullptr};
    int64_t base[3] = {0, 0, 0};
    // Row by row, so a row of a broadcast operand (stride 0: one value) or a contiguous one
    // (stride 1) gets a loop the compiler can vectorise, e.g. W·s [B,1,A] + keys [B,S,A].
    const int nd = shape.size();
    const int64_t inner = nd == 0 ? 1 : shape[nd - 1];
    const int64_t ia = nd == 0 ? 0 : sa[nd - 1], ib = nd == 0 ? 0 : sb[nd - 1];
    float* row = o;
    for_each_row(shape, strides, base, [&](int64_t oa, int64_t ob, int64_t) {
      const float* xr = x + oa;
      const float* yr = y + ob;
      if (ia == 1 && ib == 1) {
        for (int64_t k = 0; k < inner; ++k) row[k] = f(xr[k], yr[k]);
      } else if (ia == 1 && ib == 0) {
        for (int64_t k = 0; k < inner; ++k) row[k] = f(xr[k], yr[0]);
      } else if (ia == 0 && ib == 1) {
        for (int64_t k = 0; k < inner; ++k) row[k] = f(xr[0], yr[k]);
      } else {
        for (int64_t k = 0; k < inner; ++k) row[k] = f(xr[k * ia], yr[k * ib]);
      }
      row += inner;
    });
  }
  return out;
}

}  // namespace glimpse::detail
