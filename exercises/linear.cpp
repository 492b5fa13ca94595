// EXERCISE (lesson 03): write Linear::forward, y = x·Wᵀ + b, from matmul and add.
// This is your copy of nn/linear.cpp with the exercise part removed. Build the lessons against
// it with  cmake -B build -DGLIMPSE_EXERCISES=linear  and check it with  ctest --test-dir build -L exercise.
// The reference solution is nn/linear.cpp: peek only when stuck.
//
// Lesson 03: the linear layer, composed of matmul and a broadcast add — its backward comes from
// those two ops on the tape.
#include "nn/linear.hpp"

#include <fmt/format.h>

#include <cmath>

#include "nn/init.hpp"

namespace glimpse::nn {

Linear::Linear(int64_t in_features, int64_t out_features, bool bias, Generator& gen, Loc caller)
    : in_features_(in_features), out_features_(out_features) {
  const CallerScope scope(caller);
  glimpse::detail::check(in_features > 0 && out_features > 0, "Linear", caller, [&] {
    return fmt::format("sizes must be positive, got in_features {} and out_features {}", in_features, out_features);
  });
  weight_ = register_parameter("weight", zeros({out_features, in_features}));
  init::kaiming_uniform_(weight_, std::sqrt(5.0f), gen);
  if (bias) {
    const float bound = 1.0f / std::sqrt(static_cast<float>(in_features));
    bias_ = register_parameter("bias", zeros({out_features}));
    init::uniform_(bias_, -bound, bound, gen);
  }
}

Tensor Linear::forward(const Tensor& x, Loc caller) const {
  const CallerScope scope(caller);
  glimpse::detail::check_defined({&x}, "Linear");
  glimpse::detail::check(x.dim() >= 1 && x.shape().back() == in_features_, "Linear", caller, [&] {
    return fmt::format("expects input [..., {}], got {}", in_features_, to_string(x.shape()));
  });
  // TODO(exercise): write this yourself. The equations are in the header and in
  // docs/lessons/03_first_network.md; `ctest --test-dir build -L exercise` checks your version.
  throw glimpse::Error("exercise", "Linear::forward (y = x·Wᵀ + b) is not written yet (exercises/, see docs/exercises.md)");
}

}  // namespace glimpse::nn
