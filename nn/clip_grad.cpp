// Lesson 04: clipping keeps the direction of the gradient and caps its length.
#include "nn/clip_grad.hpp"

#include <fmt/format.h>

#include <cmath>

#include "autograd/caller_scope.hpp"
#include "autograd/tape.hpp"

namespace glimpse::nn {

float clip_grad_norm(const std::vector<Tensor>& params, float max_norm, Loc caller) {
  const CallerScope scope(caller);
  glimpse::detail::check(max_norm > 0.0f, "clip_grad_norm", caller,
                         [&] { return fmt::format("max_norm must be > 0, got {}", max_norm); });
  NoGradGuard no_grad;
  double sum_sq = 0.0;  // accumulated in double: many small squares
  for (const Tensor& p : params) {
    if (!p.defined() || !p.grad().defined()) continue;
    const Tensor g = p.grad().contiguous();
    const float* d = g.data();
    for (int64_t i = 0, n = g.numel(); i < n; ++i) sum_sq += static_cast<double>(d[i]) * d[i];
  }
  const float total = static_cast<float>(std::sqrt(sum_sq));
  const float scale = max_norm / (total + 1e-6f);
  if (scale < 1.0f) {
    for (const Tensor& p : params) {
      if (!p.defined() || !p.grad().defined()) continue;
      // A leaf's .grad is its own contiguous tensor (the tape clones it), so scale it in place.
      Tensor g = p.grad();
      float* d = g.data();
      for (int64_t i = 0, n = g.numel(); i < n; ++i) d[i] *= scale;
    }
  }
  return total;
}

}  // namespace glimpse::nn
