// Lesson 02: reductions. sum's backward is expand (every input element contributed once);
// expand's backward is sum — the pair that makes broadcasting differentiable.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "autograd/kernels/parallel.hpp"
#include "autograd/ops.hpp"
#include "autograd/tape.hpp"

namespace glimpse {

using detail::check;
using detail::Node;

namespace {

struct Reduction {
  std::array<bool, Shape::kMaxDims> reduced{};
  Shape kept;  // input shape with reduced dims set to 1
  Shape out;   // the result's shape (kept, or kept without the reduced dims)
};

// Which dims a reduction folds and the shapes it keeps (checks the dims).
Reduction plan_reduction(const Tensor& a, const Shape& dims, bool keepdim, const char* op, Loc loc);
// Sums `a` over the dims marked in `r`, in double (below, after the ops).
Tensor sum_kernel(const Tensor& a, const Reduction& r);

}  // namespace

Tensor sum(const Tensor& a, Loc loc) {
  detail::check_defined({&a}, "sum", loc);
  Tensor out = detail::empty(Shape{});
  if (a.is_contiguous()) {
    double total = 0.0;  // a double accumulator keeps long sums accurate
    const float* x = a.data();
    for (int64_t i = 0, n = a.numel(); i < n; ++i) total += x[i];
    out.data()[0] = static_cast<float>(total);
  } else {
    Reduction all;
    for (int i = 0; i < a.dim(); ++i) all.reduced[i] = true, all.kept.push_back(1);
    out.data()[0] = sum_kernel(a, all).data()[0];  // also in double, in the input's order
  }
  // d sum: every element gets the upstream gradient.
  detail::record(out, "sum", {a}, [](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
    const Tensor& x = result.inputs[0];
    Tensor& dx = grads[0];
    dx = grad.expand(x.shape());
  });
  return out;
}

Tensor sum(const Tensor& a, const Shape& dims, bool keepdim, Loc loc) {
  detail::check_defined({&a}, "sum", loc);
  const Reduction r = plan_reduction(a, dims, keepdim, "sum", loc);
  Tensor out = sum_kernel(a, r);
  detail::record(out, "sum", {a},
                 [kept = r.kept](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
                   const Tensor& x = result.inputs[0];
                   Tensor& dx = grads[0];
                   dx = grad.reshape(kept).expand(x.shape());
                 });
  return out;
}

Tensor mean(const Tensor& a, Loc loc) {
  detail::check_defined({&a}, "mean", loc);
  check(a.numel() > 0, "mean", loc, [] { return std::string("mean of an empty tensor"); });
  return div(sum(a, loc), static_cast<float>(a.numel()), loc);
}

Tensor mean(const Tensor& a, const Shape& dims, bool keepdim, Loc loc) {
  detail::check_defined({&a}, "mean", loc);
  Tensor s = sum(a, dims, keepdim, loc);
  const int64_t count = a.numel() / std::max<int64_t>(s.numel(), 1);
  return div(s, static_cast<float>(count), loc);
}

namespace {

// Position (0..n-1) of the first largest value in each lane.
std::vector<int64_t> argmax_lanes(const Tensor& c, const detail::Lanes& l) {
  std::vector<int64_t> idx(l.outer * l.inner);
  const float* x = c.data();
  for (int64_t o = 0; o < l.outer; ++o)
    for (int64_t i = 0; i < l.inner; ++i) {
      const float* lane = x + o * l.n * l.inner + i;
      int64_t best = 0;
      for (int64_t k = 1; k < l.n; ++k)
        if (lane[k * l.inner] > lane[best * l.inner]) best = k;
      idx[o * l.inner + i] = best;
    }
  return idx;
}

Shape reduced_shape(const Shape& shape, int d, bool keepdim) {
  Shape s = shape;
  if (keepdim)
    s[d] = 1;
  else
    s.erase(d);
  return s;
}

}  // namespace

Tensor max(const Tensor& a, Loc loc) {
  detail::check_defined({&a}, "max", loc);
  check(a.numel() > 0, "max", loc, [] { return std::string("max of an empty tensor"); });
  const Tensor c = a.contiguous();
  const float* x = c.data();
  int64_t best = 0;
  for (int64_t i = 1, n = c.numel(); i < n; ++i)
    if (x[i] > x[best]) best = i;
  Tensor out = full(Shape{}, x[best]);
  // d max: the gradient flows only to the element that was the max.
  detail::record(out, "max", {a}, [best](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
    const Tensor& x = result.inputs[0];
    Tensor& dx = grads[0];
    dx = zeros(x.shape());
    dx.data()[best] = grad.item();
  });
  return out;
}

Tensor max(const Tensor& a, int64_t dim, bool keepdim, Loc loc) {
  detail::check_defined({&a}, "max", loc);
  const int d = normalize_dim(dim, a.dim(), "max", loc);
  check(a.shape()[d] > 0, "max", loc, [&] { return fmt::format("max over an empty dim {} of shape {}", d, to_string(a.shape())); });
  const Tensor c = a.contiguous();
  const detail::Lanes l = detail::lanes_of(c.shape(), d);
  std::vector<int64_t> idx = argmax_lanes(c, l);
  Tensor out = detail::empty(reduced_shape(a.shape(), d, keepdim));
  for (int64_t o = 0; o < l.outer; ++o)
    for (int64_t i = 0; i < l.inner; ++i)
      out.data()[o * l.inner + i] = c.data()[(o * l.n + idx[o * l.inner + i]) * l.inner + i];
  // d max along dim: each lane's gradient flows to the element that was its max.
  detail::record(out, "max", {a},
                 [idx = std::move(idx), l](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
                   const Tensor& x = result.inputs[0];
                   Tensor& dx = grads[0];
                   dx = zeros(x.shape());
                   const Tensor dout = grad.contiguous();
                   for (int64_t o = 0; o < l.outer; ++o)
                     for (int64_t i = 0; i < l.inner; ++i)
                       dx.data()[(o * l.n + idx[o * l.inner + i]) * l.inner + i] =
                           dout.data()[o * l.inner + i];
                 });
  return out;
}

IndexTensor argmax(const Tensor& a, int64_t dim, bool keepdim, Loc loc) {
  detail::check_defined({&a}, "argmax", loc);
  const int d = normalize_dim(dim, a.dim(), "argmax", loc);
  check(a.shape()[d] > 0, "argmax", loc, [&] { return fmt::format("argmax over an empty dim {}", d); });
  const Tensor c = a.contiguous();
  return IndexTensor(argmax_lanes(c, detail::lanes_of(c.shape(), d)), reduced_shape(a.shape(), d, keepdim));
}

Tensor sum_to_shape(const Tensor& grad, const Shape& shape, Loc loc) {
  detail::check_defined({&grad}, "sum_to_shape", loc);
  if (grad.shape() == shape) return grad;
  const int lead = grad.dim() - shape.size();
  check(lead >= 0, "sum_to_shape", loc, [&] {
    return fmt::format("cannot sum shape {} down to {}", to_string(grad.shape()), to_string(shape));
  });
  Shape dims;
  for (int i = 0; i < grad.dim(); ++i) {
    const int j = i - lead;
    if (j < 0 || (shape[j] == 1 && grad.shape()[i] != 1)) {
      dims.push_back(i);
    } else {
      check(shape[j] == grad.shape()[i], "sum_to_shape", loc, [&] {
        return fmt::format("cannot sum shape {} down to {}", to_string(grad.shape()), to_string(shape));
      });
    }
  }
  return sum(grad, dims, true, loc).reshape(shape, loc);
}

// ---- how a reduction runs ------------------------------------------------------------------

namespace {

Reduction plan_reduction(const Tensor& a, const Shape& dims, bool keepdim, const char* op, Loc loc) {
  Reduction r;
  for (int64_t d : dims) {
    const int i = normalize_dim(d, a.dim(), op, loc);
    check(!r.reduced[i], op, loc, [&] {
      return fmt::format("dim {} appears more than once in dims {} (shape {})", d, to_string(dims),
                         to_string(a.shape()));
    });
    r.reduced[i] = true;
  }
  r.kept = a.shape();
  for (int i = 0; i < a.dim(); ++i) {
    if (r.reduced[i]) r.kept[i] = 1;
    if (!r.reduced[i] || keepdim) r.out.push_back(r.kept[i]);
  }
  return r;
}

// Sums `a` over the dims marked in `r`; the result is laid out as r.out. Each output cell adds
// its inputs in one fixed order (the input's), in double: adding 4096 × 0.1 one float at a time
// drifts to 409.6158, in double it is 409.60001 (exact: 409.6000061).
Tensor sum_kernel(const Tensor& a, const Reduction& r) {
  std::vector<double> totals(static_cast<size_t>(numel(r.out)), 0.0);
  const float* x = a.data();
  // The common cases in a few plain loops: a contiguous input whose reduced dims are one block
  // (a bias's gradient sums the leading dims, a mean the last), viewed as [outer, reduced, inner].
  // Each cell still adds its inputs in the input's order, so the bits are those of the walk below;
  // the loop along `inner` adds into `inner` cells at once, and vectorises. Dims of size 1 may sit
  // anywhere: they change no order.
  int first = -1, last = -1;  // the first and last reduced dim of size > 1
  for (int i = 0; i < a.dim(); ++i)
    if (r.reduced[i] && a.shape()[i] != 1) {
      if (first < 0) first = i;
      last = i;
    }
  bool one_block = a.is_contiguous() && first >= 0;
  for (int i = first; one_block && i <= last; ++i) one_block = r.reduced[i] || a.shape()[i] == 1;
  if (one_block) {
    int64_t outer = 1, reduced = 1, inner = 1;
    for (int i = 0; i < first; ++i) outer *= a.shape()[i];
    for (int i = first; i <= last; ++i) reduced *= a.shape()[i];
    for (int i = last + 1; i < a.dim(); ++i) inner *= a.shape()[i];
    // Cells [i0, i1) of outer rows [o0, o1).
    const auto add_block = [&](int64_t o0, int64_t o1, int64_t i0, int64_t i1) {
      int64_t o = o0;
      if (inner == 1) {
        // One cell per row (a mean over the last dim): each row's sum is a chain of dependent
        // adds, so eight rows at once keep the adder busy, each row still adding in order.
        constexpr int64_t kRows = 8;
        for (; o + kRows <= o1; o += kRows) {
          double acc[kRows] = {};
          for (int64_t k = 0; k < reduced; ++k)
            for (int64_t j = 0; j < kRows; ++j) acc[j] += x[(o + j) * reduced + k];
          std::copy(acc, acc + kRows, totals.data() + o);
        }
      }
      for (; o < o1; ++o) {
        double* cell = totals.data() + o * inner;
        for (int64_t k = 0; k < reduced; ++k) {
          const float* row = x + (o * reduced + k) * inner;
          for (int64_t i = i0; i < i1; ++i) cell[i] += row[i];
        }
      }
    };
    // Cells are independent: a large sum shares out its outer rows across threads (a mean over
    // the last dim), or its cells along `inner` when there is one outer row (a bias's gradient),
    // and each cell still adds its inputs in the same order on one thread (parallel.hpp).
    if (outer > 1) {
      detail::parallel_for(outer, std::max<int64_t>(1, detail::kElementsPerRange / (reduced * inner)),
                           [&](int64_t begin, int64_t end) { add_block(begin, end, 0, inner); });
    } else {
      detail::parallel_for(inner, std::max<int64_t>(1, detail::kElementsPerRange / reduced),
                           [&](int64_t begin, int64_t end) { add_block(0, 1, begin, end); });
    }
  } else {
    // Walk the input; each element adds into the output cell it reduces to (stride 0 along
    // reduced dims sends them all to one cell).
    Shape out_strides = contiguous_strides(r.kept);
    for (int i = 0; i < a.dim(); ++i)
      if (r.reduced[i]) out_strides[i] = 0;
    const Shape* strides[3] = {&a.strides(), &out_strides, nullptr};
    int64_t base[3] = {0, 0, 0};
    detail::for_each_offset(a.shape(), strides, base,
                            [&](int64_t ia, int64_t io, int64_t) { totals[io] += x[ia]; });
  }
  Tensor out = detail::empty(r.out);
  std::copy(totals.begin(), totals.end(), out.data());
  return out;
}

}  // namespace

}  // namespace glimpse
