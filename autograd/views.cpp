// Lesson 02: views. A view is a new shape and new strides over the same storage: no data is
// copied. Each view's backward maps the gradient back onto the input's shape.
#include <fmt/format.h>

#include <algorithm>

#include "autograd/ops.hpp"
#include "autograd/tape.hpp"

namespace glimpse {

using detail::check;
using detail::make_view;
using detail::Node;

namespace {

// Resolves a single -1 in a requested shape from the number of elements.
Shape infer_shape(const Shape& requested, int64_t n, const char* op, const Shape& from, Loc loc) {
  Shape out = requested;
  int infer_at = -1;
  for (int i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      check(infer_at < 0, op, loc, [] { return std::string("only one dim can be -1"); });
      infer_at = i;
    } else {
      check(out[i] >= 0, op, loc, [&] { return fmt::format("invalid size {} in {}", out[i], to_string(requested)); });
    }
  }
  if (infer_at >= 0) out[infer_at] = 1;
  const int64_t known = detail::checked_numel(out, op, loc);  // the product of the given sizes
  if (infer_at >= 0 && known != 0 && n % known == 0) out[infer_at] = n / known;
  check(detail::checked_numel(out, op, loc) == n && (infer_at < 0 || known != 0), op, loc, [&] {
    return fmt::format("cannot reshape a tensor of shape {} ({} elements) into {}", to_string(from), n,
                       to_string(requested));
  });
  return out;
}

// Gradient of a view that picks a part of its input: zeros everywhere else.
Tensor scatter_into_zeros(const Shape& input_shape, const Tensor& grad,
                          const std::function<Tensor(const Tensor&)>& same_view) {
  Tensor full_grad = zeros(input_shape);
  Tensor part = same_view(full_grad);
  detail::copy_into(part, grad);
  return full_grad;
}

}  // namespace

Tensor Tensor::view(const Shape& requested, Loc loc) const {
  detail::check_defined({this}, "view", loc);
  const Shape s = infer_shape(requested, numel(), "view", shape(), loc);
  check(is_contiguous(), "view", loc, [&] {
    return fmt::format("view() needs a contiguous tensor, but shape {} has strides {}; use reshape()",
                       to_string(shape()), to_string(strides()));
  });
  Tensor out = make_view(*this, s, contiguous_strides(s), offset());
  // d reshape: the gradient is reshaped back.
  detail::record(out, "view", {*this}, [](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
    const Tensor& x = result.inputs[0];
    Tensor& dx = grads[0];
    dx = grad.reshape(x.shape());
  });
  return out;
}

Tensor Tensor::reshape(const Shape& requested, Loc loc) const {
  detail::check_defined({this}, "reshape", loc);
  const Shape s = infer_shape(requested, numel(), "reshape", shape(), loc);
  if (!is_contiguous()) return contiguous(loc).view(s, loc);
  Tensor out = make_view(*this, s, contiguous_strides(s), offset());
  detail::record(out, "reshape", {*this},
                 [](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
                   const Tensor& x = result.inputs[0];
                   Tensor& dx = grads[0];
                   dx = grad.reshape(x.shape());
                 });
  return out;
}

Tensor Tensor::flatten(Loc loc) const { return reshape(Shape{-1}, loc); }

Tensor Tensor::permute(const Shape& dims, Loc loc) const {
  detail::check_defined({this}, "permute", loc);
  check(dims.size() == dim(), "permute", loc, [&] {
    return fmt::format("got {} dims {} for a tensor of shape {}", dims.size(), to_string(dims),
                       to_string(shape()));
  });
  Shape order, new_shape, new_strides;
  std::array<bool, Shape::kMaxDims> seen{};
  for (int i = 0; i < dims.size(); ++i) {
    const int d = normalize_dim(dims[i], dim(), "permute", loc);
    check(!seen[d], "permute", loc, [&] { return fmt::format("dim {} repeats in {}", d, to_string(dims)); });
    seen[d] = true;
    order.push_back(d);
    new_shape.push_back(shape()[d]);
    new_strides.push_back(strides()[d]);
  }
  Tensor out = make_view(*this, new_shape, new_strides, offset());
  // d permute: apply the inverse permutation to the gradient.
  detail::record(out, "permute", {*this}, [order](const Node&, const Tensor& grad, std::span<Tensor> grads) {
    Tensor& dx = grads[0];
    Shape inverse = order;
    for (int i = 0; i < order.size(); ++i) inverse[static_cast<int>(order[i])] = i;
    dx = grad.permute(inverse);
  });
  return out;
}

Tensor Tensor::transpose(int64_t dim0, int64_t dim1, Loc loc) const {
  detail::check_defined({this}, "transpose", loc);
  const int d0 = normalize_dim(dim0, dim(), "transpose", loc);
  const int d1 = normalize_dim(dim1, dim(), "transpose", loc);
  Shape s = shape(), st = strides();
  std::swap(s[d0], s[d1]);
  std::swap(st[d0], st[d1]);
  Tensor out = make_view(*this, s, st, offset());
  detail::record(out, "transpose", {*this},
                 [d0, d1](const Node&, const Tensor& grad, std::span<Tensor> grads) {
                   Tensor& dx = grads[0];
                   dx = grad.transpose(d0, d1);
                 });
  return out;
}

Tensor Tensor::t(Loc loc) const {
  detail::check_defined({this}, "t", loc);
  check(dim() == 2, "t", loc, [&] { return fmt::format("t() needs a 2-D tensor, got shape {}", to_string(shape())); });
  return transpose(0, 1, loc);
}

Tensor Tensor::select(int64_t d, int64_t index, Loc loc) const {
  detail::check_defined({this}, "select", loc);
  const int dd = normalize_dim(d, dim(), "select", loc);
  const int64_t n = shape()[dd];
  check(index >= -n && index < n, "select", loc, [&] {
    return fmt::format("index {} is out of range for dim {} of size {} (shape {})", index, dd, n,
                       to_string(shape()));
  });
  const int64_t i = index < 0 ? index + n : index;
  Shape s = shape(), st = strides();
  s.erase(dd);
  st.erase(dd);
  Tensor out = make_view(*this, s, st, offset() + i * strides()[dd]);
  // d select: the gradient lands in row i of a zero tensor shaped like the input.
  detail::record(out, "select", {*this},
                 [dd, i](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
                   const Tensor& x = result.inputs[0];
                   Tensor& dx = grads[0];
                   dx = scatter_into_zeros(x.shape(), grad, [&](const Tensor& z) { return z.select(dd, i); });
                 });
  return out;
}

Tensor Tensor::slice(int64_t d, int64_t start, int64_t end, int64_t step, Loc loc) const {
  detail::check_defined({this}, "slice", loc);
  const int dd = normalize_dim(d, dim(), "slice", loc);
  check(step > 0, "slice", loc, [&] { return fmt::format("step must be positive, got {}", step); });
  const int64_t n = shape()[dd];
  // Python slicing rules: negative counts from the end, out-of-range clamps.
  auto clamp = [n](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + n : i, 0, n); };
  const int64_t b = clamp(start), e = std::max(clamp(end), b);
  Shape s = shape(), st = strides();
  s[dd] = (e - b + step - 1) / step;
  st[dd] = strides()[dd] * step;
  Tensor out = make_view(*this, s, st, offset() + b * strides()[dd]);
  detail::record(out, "slice", {*this},
                 [dd, b, e, step](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
                   const Tensor& x = result.inputs[0];
                   Tensor& dx = grads[0];
                   dx = scatter_into_zeros(x.shape(), grad,
                                           [&](const Tensor& z) { return z.slice(dd, b, e, step); });
                 });
  return out;
}

Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length, Loc loc) const {
  detail::check_defined({this}, "narrow", loc);
  const int dd = normalize_dim(d, dim(), "narrow", loc);
  const int64_t n = shape()[dd];
  check(start >= 0 && length >= 0 && start + length <= n, "narrow", loc, [&] {
    return fmt::format("start {} + length {} exceeds size {} of dim {} (shape {})", start, length, n, dd,
                       to_string(shape()));
  });
  return slice(dd, start, start + length, 1, loc);
}

Tensor Tensor::unsqueeze(int64_t d, Loc loc) const {
  detail::check_defined({this}, "unsqueeze", loc);
  const int dd = normalize_dim(d, dim() + 1, "unsqueeze", loc);
  Shape s = shape(), st = strides();
  const int64_t stride = dd < dim() ? strides()[dd] * shape()[dd] : 1;
  s.insert(dd, 1, loc);
  st.insert(dd, stride, loc);
  Tensor out = make_view(*this, s, st, offset());
  detail::record(out, "unsqueeze", {*this}, [dd](const Node&, const Tensor& grad, std::span<Tensor> grads) {
    Tensor& dx = grads[0];
    dx = grad.squeeze(dd);
  });
  return out;
}

Tensor Tensor::squeeze(int64_t d, Loc loc) const {
  detail::check_defined({this}, "squeeze", loc);
  const int dd = normalize_dim(d, dim(), "squeeze", loc);
  if (shape()[dd] != 1) return *this;  // PyTorch: squeezing a dim that is not 1 changes nothing
  Shape s = shape(), st = strides();
  s.erase(dd);
  st.erase(dd);
  Tensor out = make_view(*this, s, st, offset());
  detail::record(out, "squeeze", {*this}, [dd](const Node&, const Tensor& grad, std::span<Tensor> grads) {
    Tensor& dx = grads[0];
    dx = grad.unsqueeze(dd);
  });
  return out;
}

Tensor Tensor::squeeze(Loc loc) const {
  detail::check_defined({this}, "squeeze", loc);
  Shape s, st;
  for (int i = 0; i < dim(); ++i)
    if (shape()[i] != 1) s.push_back(shape()[i]), st.push_back(strides()[i]);
  if (s.size() == dim()) return *this;
  Tensor out = make_view(*this, s, st, offset());
  (void)loc;
  detail::record(out, "squeeze", {*this},
                 [](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
                   const Tensor& x = result.inputs[0];
                   Tensor& dx = grads[0];
                   dx = grad.reshape(x.shape());
                 });
  return out;
}

Tensor Tensor::expand(const Shape& target, Loc loc) const {
  detail::check_defined({this}, "expand", loc);
  check(target.size() >= dim(), "expand", loc, [&] {
    return fmt::format("cannot expand shape {} to fewer dims {}", to_string(shape()), to_string(target));
  });
  Shape s = target, st = target;
  const int lead = target.size() - dim();
  for (int i = 0; i < target.size(); ++i) {
    const int j = i - lead;
    const int64_t have = j >= 0 ? shape()[j] : 1;
    const int64_t want = target[i] == -1 ? have : target[i];
    check(want >= 0 && (want == have || have == 1), "expand", loc, [&] {
      return fmt::format("cannot expand shape {} to {}: size {} at dim {} is not 1", to_string(shape()),
                         to_string(target), have, i);
    });
    s[i] = want;
    st[i] = (j < 0 || have != want) ? 0 : strides()[j];  // stride 0: every index reads one value
  }
  detail::checked_numel(s, "expand", loc);
  Tensor out = make_view(*this, s, st, offset());
  // d expand: copies of one value each carry gradient back to it, so sum them.
  detail::record(out, "expand", {*this}, [](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
    const Tensor& x = result.inputs[0];
    Tensor& dx = grads[0];
    dx = sum_to_shape(grad, x.shape());
  });
  return out;
}

Tensor Tensor::clone(Loc loc) const {
  detail::check_defined({this}, "clone", loc);
  Tensor out = detail::empty(shape(), "clone", loc);
  detail::copy_into(out, *this);
  detail::record(out, "clone", {*this}, [](const Node&, const Tensor& grad, std::span<Tensor> grads) {
    Tensor& dx = grads[0];
    dx = grad;
  });
  return out;
}

Tensor Tensor::contiguous(Loc loc) const {
  detail::check_defined({this}, "contiguous", loc);
  if (is_contiguous()) return *this;
  Tensor out = detail::empty(shape(), "contiguous", loc);
  detail::copy_into(out, *this);
  detail::record(out, "contiguous", {*this}, [](const Node&, const Tensor& grad, std::span<Tensor> grads) {
    Tensor& dx = grads[0];
    dx = grad;
  });
  return out;
}

}  // namespace glimpse
