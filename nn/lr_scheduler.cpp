// Lesson 05: big steps while far from a minimum, smaller ones as training settles.
#include "nn/lr_scheduler.hpp"

#include <fmt/format.h>

#include <cmath>

#include "autograd/caller_scope.hpp"

namespace glimpse::nn {

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, float gamma, Loc caller)
    : optimizer_(&optimizer), step_size_(step_size), gamma_(gamma), initial_lr_(optimizer.lr()) {
  const CallerScope scope(caller);
  glimpse::detail::check(step_size > 0 && gamma > 0.0f, "StepLR", caller, [&] {
    return fmt::format("step_size must be > 0 and gamma > 0, got {} and {}", step_size, gamma);
  });
}

void StepLR::step() {
  ++epoch_;
  // The closed form, so rounding does not build up over many epochs.
  const double factor = std::pow(static_cast<double>(gamma_), static_cast<double>(epoch_ / step_size_));
  optimizer_->set_lr(static_cast<float>(initial_lr_ * factor));
}

}  // namespace glimpse::nn
