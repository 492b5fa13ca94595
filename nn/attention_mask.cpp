// Lessons 06 and 10: padding and causal masks (1 = masked out).
#include "nn/attention_mask.hpp"

#include <fmt/format.h>

namespace glimpse::nn {

Tensor causal_mask(int64_t size, Loc loc) {
  glimpse::detail::check(size >= 0, "causal_mask", loc, [&] { return fmt::format("size must be >= 0, got {}", size); });
  Tensor mask = zeros({size, size}, loc);
  for (int64_t t = 0; t < size; ++t)
    for (int64_t s = t + 1; s < size; ++s) mask.data()[t * size + s] = 1.0f;  // s > t: the future
  return mask;
}

Tensor padding_mask(const std::vector<int64_t>& lengths, int64_t max_len, Loc loc) {
  const int64_t batch = static_cast<int64_t>(lengths.size());
  Tensor mask = zeros({batch, max_len}, loc);
  for (int64_t b = 0; b < batch; ++b) {
    glimpse::detail::check(lengths[b] >= 0 && lengths[b] <= max_len, "padding_mask", loc, [&] {
      return fmt::format("length {} of sequence {} is not in [0, {}] (shape [{}, {}])", lengths[b], b, max_len, batch,
                         max_len);
    });
    for (int64_t s = lengths[b]; s < max_len; ++s) mask.data()[b * max_len + s] = 1.0f;
  }
  return mask;
}

}  // namespace glimpse::nn
