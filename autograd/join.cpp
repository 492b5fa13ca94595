// Lesson 04: joining and splitting. cat copies its inputs side by side along one dim; its
// backward hands each input its slice of the gradient. stack is unsqueeze + cat; split and
// chunk are views.
#include <fmt/format.h>

#include "autograd/ops.hpp"
#include "autograd/tape.hpp"

namespace glimpse {

using detail::check;
using detail::Node;

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim, Loc loc) {
  check(!tensors.empty(), "cat", loc, [] { return std::string("needs at least one tensor"); });
  for (const Tensor& t : tensors) detail::check_defined({&t}, "cat", loc);
  const Tensor& first = tensors[0];
  const int d = normalize_dim(dim, first.dim(), "cat", loc);
  Shape out_shape = first.shape();
  out_shape[d] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    bool ok = t.dim() == first.dim();
    for (int j = 0; ok && j < t.dim(); ++j) ok = j == d || t.shape()[j] == first.shape()[j];
    check(ok, "cat", loc, [&] {
      return fmt::format("tensor {} has shape {} but tensor 0 has shape {}: all sizes except dim {} must match",
                         i, to_string(t.shape()), to_string(first.shape()), d);
    });
    out_shape[d] += t.shape()[d];
  }
  Tensor out = detail::empty(out_shape, "cat", loc);
  std::vector<int64_t> starts;
  int64_t start = 0;
  for (const Tensor& t : tensors) {
    Shape part_shape = out_shape;
    part_shape[d] = t.shape()[d];
    Tensor part = detail::make_view(out, part_shape, out.strides(), start * out.strides()[d]);
    detail::copy_into(part, t);
    starts.push_back(start);
    start += t.shape()[d];
  }
  // d cat: each input's gradient is its own slice of the output gradient.
  detail::record(
      out, "cat", tensors,
      [d, starts = std::move(starts)](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
        for (size_t i = 0; i < grads.size(); ++i) {
          const Tensor& part = result.inputs[i];
          Tensor& dpart = grads[i];
          if (part.requires_grad()) dpart = grad.narrow(d, starts[i], part.shape()[d]);
        }
      });
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim, Loc loc) {
  check(!tensors.empty(), "stack", loc, [] { return std::string("needs at least one tensor"); });
  for (const Tensor& t : tensors) detail::check_defined({&t}, "stack", loc);
  const int d = normalize_dim(dim, tensors[0].dim() + 1, "stack", loc);
  std::vector<Tensor> parts;
  parts.reserve(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    check(tensors[i].shape() == tensors[0].shape(), "stack", loc, [&] {
      return fmt::format("tensor {} has shape {} but tensor 0 has shape {}: stack needs equal shapes", i,
                         to_string(tensors[i].shape()), to_string(tensors[0].shape()));
    });
    parts.push_back(tensors[i].unsqueeze(d));
  }
  return cat(parts, d, loc);
}

std::vector<Tensor> split(const Tensor& a, const std::vector<int64_t>& sizes, int64_t dim, Loc loc) {
  detail::check_defined({&a}, "split", loc);
  const int d = normalize_dim(dim, a.dim(), "split", loc);
  int64_t total = 0;
  for (int64_t s : sizes) total += s;
  check(total == a.shape()[d], "split", loc, [&] {
    return fmt::format("sizes [{}] add up to {}, but dim {} of shape {} has size {}", fmt::join(sizes, ", "), total,
                       d, to_string(a.shape()), a.shape()[d]);
  });
  std::vector<Tensor> parts;
  int64_t start = 0;
  for (int64_t s : sizes) {
    parts.push_back(a.narrow(d, start, s, loc));
    start += s;
  }
  return parts;
}

std::vector<Tensor> split(const Tensor& a, int64_t split_size, int64_t dim, Loc loc) {
  detail::check_defined({&a}, "split", loc);
  const int d = normalize_dim(dim, a.dim(), "split", loc);
  check(split_size > 0, "split", loc, [&] { return fmt::format("split_size must be positive, got {}", split_size); });
  std::vector<int64_t> sizes;
  for (int64_t start = 0; start < a.shape()[d]; start += split_size) sizes.push_back(std::min(split_size, a.shape()[d] - start));
  return split(a, sizes, d, loc);
}

std::vector<Tensor> chunk(const Tensor& a, int64_t chunks, int64_t dim, Loc loc) {
  detail::check_defined({&a}, "chunk", loc);
  const int d = normalize_dim(dim, a.dim(), "chunk", loc);
  check(chunks > 0 && a.shape()[d] % chunks == 0, "chunk", loc, [&] {
    return fmt::format("cannot cut dim {} of size {} (shape {}) into {} equal chunks", d, a.shape()[d],
                       to_string(a.shape()), chunks);
  });
  return split(a, a.shape()[d] / chunks, d, loc);
}

}  // namespace glimpse
