// Lesson 10: dropout switches on and off with the module's training flag.
#include "nn/dropout.hpp"

#include <fmt/format.h>

namespace glimpse::nn {

Dropout::Dropout(float p, Generator& gen, Loc loc) : p_(p), gen_(&gen) {
  glimpse::detail::check(p >= 0.0f && p <= 1.0f, "Dropout", loc,
                         [&] { return fmt::format("p must be in [0, 1], got {}", p); });
}

Tensor Dropout::forward(const Tensor& x, Loc loc) const { return dropout(x, p_, is_training(), *gen_, loc); }

}  // namespace glimpse::nn
