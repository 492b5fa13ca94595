// Lesson 10: dropout switches on and off with the module's training flag.
#include "nn/dropout.hpp"

#include <fmt/format.h>

namespace glimpse::nn {

Dropout::Dropout(float p, Generator& gen, Loc caller) : p_(p), gen_(&gen) {
  const CallerScope scope(caller);
  glimpse::detail::check(p >= 0.0f && p <= 1.0f, "Dropout", caller,
                         [&] { return fmt::format("p must be in [0, 1], got {}", p); });
}

Tensor Dropout::forward(const Tensor& x, Loc caller) const {
  const CallerScope scope(caller);
  return dropout(x, p_, is_training(), *gen_);
}

}  // namespace glimpse::nn
