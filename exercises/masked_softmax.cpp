// EXERCISE (lesson 06): write masked_softmax: attention must never look at padding.
// This is your copy of nn/masked_softmax.cpp with the exercise part removed. Build the lessons against
// it with  cmake -B build -DGLIMPSE_EXERCISES=masked_softmax  and check it with  ctest --test-dir build -L exercise.
// The reference solution is nn/masked_softmax.cpp: peek only when stuck.
//
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
  // TODO(exercise): write this yourself. The equations are in the header and in
  // docs/lessons/06_attention.md; `ctest --test-dir build -L exercise` checks your version.
  throw glimpse::Error("exercise", "masked_softmax (padding gets weight 0; a fully masked row gets zeros, not NaN) is not written yet (exercises/, see docs/exercises.md)");
}

}  // namespace glimpse::nn
