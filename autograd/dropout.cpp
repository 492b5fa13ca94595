// Lesson 10: dropout. In training each element is zeroed with probability p and the survivors
// are scaled by 1/(1-p), so the expected value is unchanged; in evaluation it does nothing.
#include <fmt/format.h>

#include "autograd/ops.hpp"
#include "autograd/tape.hpp"

namespace glimpse {

Tensor dropout(const Tensor& a, float p, bool training, Generator& gen, Loc loc) {
  detail::check_defined({&a}, "dropout", loc);
  detail::check(p >= 0.0f && p <= 1.0f, "dropout", loc, [&] { return fmt::format("p must be in [0, 1], got {}", p); });
  if (!training || p == 0.0f) return a;
  Tensor mask = detail::empty(a.shape());
  const float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
  for (int64_t i = 0, n = mask.numel(); i < n; ++i) mask.data()[i] = gen.uniform() < p ? 0.0f : scale;
  // The mask is a constant: d(a·mask)/da = mask. `mul` records that backward for us.
  return mul(a, mask, loc);
}

Tensor dropout(const Tensor& a, float p, bool training, Loc loc) {
  return dropout(a, p, training, default_generator(), loc);
}

}  // namespace glimpse
