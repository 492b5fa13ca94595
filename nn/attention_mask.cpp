// Lessons 06 and 10: padding and causal masks (1 = masked out), and how a mask's values read.
#include "nn/attention_mask.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "autograd/ops.hpp"
#include "autograd/tape.hpp"

namespace glimpse::nn {

using glimpse::detail::check;

Tensor causal_mask(int64_t size, Loc caller) {
  const CallerScope scope(caller);
  check(size >= 0, "causal_mask", caller, [&] { return fmt::format("size must be >= 0, got {}", size); });
  Tensor mask = zeros({size, size});
  for (int64_t t = 0; t < size; ++t)
    for (int64_t s = t + 1; s < size; ++s) mask.data()[t * size + s] = 1.0f;  // s > t: the future
  return mask;
}

Tensor padding_mask(const std::vector<int64_t>& lengths, int64_t max_len, Loc caller) {
  const CallerScope scope(caller);
  const int64_t batch = static_cast<int64_t>(lengths.size());
  Tensor mask = zeros({batch, max_len});
  for (int64_t b = 0; b < batch; ++b) {
    check(lengths[b] >= 0 && lengths[b] <= max_len, "padding_mask", caller, [&] {
      return fmt::format("length {} of sequence {} is not in [0, {}] (shape [{}, {}])", lengths[b], b, max_len, batch,
                         max_len);
    });
    for (int64_t s = lengths[b]; s < max_len; ++s) mask.data()[b * max_len + s] = 1.0f;
  }
  return mask;
}

MaskKind mask_kind(const Tensor& mask, const char* op, Loc caller) {
  const CallerScope scope(caller);
  check(mask.defined(), op, caller, [] { return std::string("the mask is an undefined tensor"); });
  NoGradGuard no_grad;
  const Tensor m = mask.contiguous();
  bool has_one = false, has_negative = false;
  for (int64_t i = 0; i < m.numel(); ++i) {
    const float v = m.data()[i];
    check(v == 0.0f || v == 1.0f || v < 0.0f, op, caller, [&] {
      return fmt::format("mask value {} at flat index {} is neither 0/1 (1 = masked out) nor additive (<= 0, "
                         "e.g. -inf = masked out){}",
                         v, i, v == 2.0f ? "; two 0/1 masks added? join them with nn::combine_masks" : "");
    });
    has_one = has_one || v == 1.0f;
    has_negative = has_negative || v < 0.0f;
    check(!(has_one && has_negative), op, caller, [&] {
      return fmt::format("mask mixes 1 (a 0/1 mask's \"masked out\") with negative additive values (e.g. {} at "
                         "flat index {}); use one convention",
                         v, i);
    });
  }
  return has_negative ? MaskKind::additive : MaskKind::zero_one;
}

Tensor additive_mask(const Tensor& mask, const char* op, Loc caller) {
  const CallerScope scope(caller);
  if (mask_kind(mask, op) == MaskKind::additive) return mask;
  NoGradGuard no_grad;
  return masked_fill(zeros(mask.shape()), mask, -std::numeric_limits<float>::infinity());
}

Tensor combine_masks(const Tensor& a, const Tensor& b, const char* op, Loc caller) {
  const CallerScope scope(caller);
  NoGradGuard no_grad;
  if (mask_kind(a, op) == MaskKind::zero_one && mask_kind(b, op) == MaskKind::zero_one)
    return a + b - a * b;  // a or b, for 0/1 values
  return additive_mask(a, op) + additive_mask(b, op);
}

}  // namespace glimpse::nn
