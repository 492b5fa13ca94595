// Lesson 06: masked softmax — padding gets weight 0, and a fully masked row gets zeros, not NaN.
#include "nn/masked_softmax.hpp"

#include <fmt/format.h>

#include <limits>

#include "autograd/tape.hpp"
#include "nn/attention_mask.hpp"

namespace glimpse::nn {

Tensor fully_masked_rows(const Tensor& mask, const Shape& shape, int64_t dim, Loc caller) {
  const CallerScope scope(caller);
  const int d = normalize_dim(dim, shape.size(), "masked_softmax");
  const Shape full = broadcast_shapes(shape, mask.shape(), "masked_softmax");
  glimpse::detail::check(full == shape, "masked_softmax", caller, [&] {
    return fmt::format("mask of shape {} must broadcast to the scores' shape {}", to_string(mask.shape()),
                       to_string(shape));
  });
  NoGradGuard no_grad;
  Shape reduced = shape;
  reduced[d] = 1;
  Tensor out = zeros(reduced);
  // Each row of the scores reads its row of the mask where it is (a [T, T] causal mask serves
  // every batch and head) rather than a copy of the mask broadcast to the scores' shape.
  const Shape sm = broadcast_strides(mask.shape(), mask.strides(), shape);
  const Shape* strides[3] = {&sm, nullptr, nullptr};
  int64_t base[3] = {0, 0, 0};
  int64_t row = 0;
  glimpse::detail::for_each_offset(reduced, strides, base, [&](int64_t first, int64_t, int64_t) {
    bool all_masked = true;
    for (int64_t k = 0; k < shape[d] && all_masked; ++k) {
      const float v = mask.data()[first + k * sm[d]];
      all_masked = v == 1.0f || v == -std::numeric_limits<float>::infinity();  // 0/1 or additive
    }
    out.data()[row++] = all_masked ? 1.0f : 0.0f;
  });
  return out;
}

Tensor masked_softmax(const Tensor& scores, const Tensor& mask, int64_t dim, Loc caller) {
  const CallerScope scope(caller);
  if (!mask.defined()) return softmax(scores, dim);
  glimpse::detail::check(!mask.requires_grad(), "masked_softmax", caller,
                         [] { return std::string("the mask must not require grad (masks are constants)"); });
  const MaskKind kind = mask_kind(mask, "masked_softmax");
  const Tensor empty_rows = fully_masked_rows(mask, scores.shape(), dim);
  const float inf = std::numeric_limits<float>::infinity();
  // exp(-inf) = 0: no weight, no gradient. An additive mask is added as PyTorch adds it.
  Tensor filled = kind == MaskKind::zero_one ? masked_fill(scores, mask, -inf) : scores + mask;
  bool any_empty = false;
  for (int64_t i = 0; i < empty_rows.numel(); ++i) any_empty = any_empty || empty_rows.data()[i] != 0.0f;
  if (!any_empty) return softmax(filled, dim);
  // A row of -inf would give NaN: give softmax finite zeros there, then zero its weights.
  filled = masked_fill(filled, empty_rows, 0.0f);
  return masked_fill(softmax(filled, dim), empty_rows, 0.0f);
}

}  // namespace glimpse::nn
