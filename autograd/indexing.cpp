// Lessons 04 and 06: gathering rows (embeddings) and masking (attention never looks at padding).
// The backward of a gather is a scatter-add: a row used twice receives both gradients.
#include <fmt/format.h>

#include "autograd/kernels/elementwise_loops.hpp"
#include "autograd/ops.hpp"
#include "autograd/tape.hpp"

namespace glimpse {

using detail::check;
using detail::Node;

namespace {
void check_indices(const IndexTensor& index, int64_t limit, const char* op, const Shape& shape, int d, Loc loc) {
  for (int64_t k = 0; k < index.numel(); ++k)
    check(index[k] >= 0 && index[k] < limit, op, loc, [&] {
      return fmt::format("index {} (at position {}) is out of range for dim {} of size {} (shape {})", index[k], k, d,
                         limit, to_string(shape));
    });
}
}  // namespace

Tensor index_select(const Tensor& a, int64_t dim, const IndexTensor& index, Loc loc) {
  detail::check_defined({&a}, "index_select", loc);
  const int d = normalize_dim(dim, a.dim(), "index_select", loc);
  check(index.shape.size() == 1, "index_select", loc, [&] {
    return fmt::format("index must be 1-D, got shape {}", to_string(index.shape));
  });
  check_indices(index, a.shape()[d], "index_select", a.shape(), d, loc);
  const Tensor c = a.contiguous();
  const detail::Lanes l = detail::lanes_of(c.shape(), d);
  Shape out_shape = a.shape();
  out_shape[d] = index.numel();
  Tensor out = detail::empty(out_shape, "index_select", loc);
  const int64_t k_out = index.numel();
  for (int64_t o = 0; o < l.outer; ++o)
    for (int64_t k = 0; k < k_out; ++k)
      std::copy_n(c.data() + (o * l.n + index[k]) * l.inner, l.inner, out.data() + (o * k_out + k) * l.inner);
  // d index_select: scatter-add each gradient row back to the row it was read from.
  detail::record(out, "index_select", {a},
                 [d, index](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
                   const Tensor& x = result.inputs[0];
                   Tensor& dx = grads[0];
                   const Tensor dout = grad.contiguous();
                   dx = zeros(x.shape());
                   const detail::Lanes l = detail::lanes_of(dx.shape(), d);
                   const int64_t k_out = index.numel();
                   for (int64_t o = 0; o < l.outer; ++o)
                     for (int64_t k = 0; k < k_out; ++k) {
                       float* dst = dx.data() + (o * l.n + index[k]) * l.inner;
                       const float* src = dout.data() + (o * k_out + k) * l.inner;
                       for (int64_t i = 0; i < l.inner; ++i) dst[i] += src[i];
                     }
                 });
  return out;
}

Tensor embedding(const Tensor& weight, const IndexTensor& ids, int64_t padding_idx, Loc loc) {
  detail::check_defined({&weight}, "embedding", loc);
  check(weight.dim() == 2, "embedding", loc, [&] {
    return fmt::format("weight must be 2-D [num_embeddings, embedding_dim], got shape {}", to_string(weight.shape()));
  });
  check_indices(ids, weight.shape()[0], "embedding", weight.shape(), 0, loc);
  const Tensor w = weight.contiguous();
  const int64_t dim = weight.shape()[1];
  Shape out_shape = ids.shape;
  out_shape.push_back(dim, loc);
  Tensor out = detail::empty(out_shape, "embedding", loc);
  for (int64_t k = 0; k < ids.numel(); ++k) std::copy_n(w.data() + ids[k] * dim, dim, out.data() + k * dim);
  // d embedding: as index_select, each gradient row is added to the weight row it was read from.
  detail::record(out, "embedding", {weight},
                 [ids, padding_idx, dim](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
                   const Tensor& weight = result.inputs[0];
                   Tensor& dweight = grads[0];
                   const Tensor dout = grad.contiguous();
                   dweight = zeros(weight.shape());
                   for (int64_t k = 0; k < ids.numel(); ++k) {
                     if (ids[k] == padding_idx) continue;  // the padding row stays fixed
                     float* dst = dweight.data() + ids[k] * dim;
                     const float* src = dout.data() + k * dim;
                     for (int64_t i = 0; i < dim; ++i) dst[i] += src[i];
                   }
                 });
  return out;
}

Tensor masked_fill(const Tensor& a, const Tensor& mask, float value, Loc loc) {
  detail::check_defined({&a, &mask}, "masked_fill", loc);
  check(!mask.requires_grad(), "masked_fill", loc, [] { return std::string("the mask must not require grad"); });
  const Shape shape = broadcast_shapes(a.shape(), mask.shape(), "masked_fill", loc);
  check(shape == a.shape(), "masked_fill", loc, [&] {
    return fmt::format("mask of shape {} must broadcast to the tensor's shape {}", to_string(mask.shape()),
                       to_string(a.shape()));
  });
  // The elementwise ops' broadcasting walk (rows, split across threads when large, as for
  // attention's [B, H, T, T] scores): out, and keep, 1 where a is kept and 0 where it is filled.
  Tensor out = detail::map_binary(
      a, mask, [value](float x, float m) { return m != 0.0f ? value : x; }, "masked_fill", loc);
  const Tensor keep = detail::map_binary(
      a, mask, [](float, float m) { return m != 0.0f ? 0.0f : 1.0f; }, "masked_fill", loc);
  // d masked_fill: gradient passes where the input was kept, zero where it was filled.
  detail::record(out, "masked_fill", {a}, [keep](const Node&, const Tensor& grad, std::span<Tensor> grads) {
    Tensor& dx = grads[0];
    dx = mul(grad, keep);
  });
  return out;
}

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b, Loc loc) {
  detail::check_defined({&condition, &a, &b}, "where", loc);
  check(!condition.requires_grad(), "where", loc, [] { return std::string("the condition must not require grad"); });
  const Shape shape = broadcast_shapes(broadcast_shapes(condition.shape(), a.shape(), "where", loc), b.shape(), "where", loc);
  Tensor chosen_a = detail::empty(shape, "where", loc);  // 1 where the result comes from a
  {
    const Shape sc = broadcast_strides(condition.shape(), condition.strides(), shape);
    const Shape* strides[3] = {&sc, nullptr, nullptr};
    int64_t base[3] = {0, 0, 0};
    int64_t i = 0;
    detail::for_each_offset(shape, strides, base, [&](int64_t oc, int64_t, int64_t) {
      chosen_a.data()[i++] = condition.data()[oc] != 0.0f ? 1.0f : 0.0f;
    });
  }
  Tensor out;
  {
    NoGradGuard no_grad;  // out = a·c + b·(1-c), computed without recording these helpers
    const Tensor ea = a.expand(shape), eb = b.expand(shape);
    out = detail::empty(shape, "where", loc);
    detail::copy_into(out, eb);
    const Tensor ca = ea.contiguous();
    for (int64_t i = 0, n = out.numel(); i < n; ++i)
      if (chosen_a.data()[i] != 0.0f) out.data()[i] = ca.data()[i];
  }
  // d where: a's gradient where the condition held, b's elsewhere.
  detail::record(out, "where", {a, b},
                 [chosen_a](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
                   const Tensor& a = result.inputs[0];
                   const Tensor& b = result.inputs[1];
                   Tensor& da = grads[0];
                   Tensor& db = grads[1];
                   if (a.requires_grad()) da = sum_to_shape(mul(grad, chosen_a), a.shape());
                   if (b.requires_grad()) db = sum_to_shape(mul(grad, rsub(chosen_a, 1.0f)), b.shape());
                 });
  return out;
}

}  // namespace glimpse
