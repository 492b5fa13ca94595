// Lesson 10: layer normalisation, composed of mean, sub, mul, sqrt and div — the tape derives
// its (famously fiddly) backward for us.
#include "nn/layer_norm.hpp"

#include <fmt/format.h>

namespace glimpse::nn {

LayerNorm::LayerNorm(Shape normalized_shape, float eps, bool elementwise_affine, Loc caller)
    : normalized_shape_(normalized_shape), eps_(eps) {
  const CallerScope scope(caller);
  glimpse::detail::check(
      !normalized_shape.empty() && numel(normalized_shape) > 0 && eps >= 0.0f, "LayerNorm", caller, [&] {
        return fmt::format("needs a non-empty normalized_shape and eps >= 0, got {} and eps {}",
                           to_string(normalized_shape), eps);
      });
  if (elementwise_affine) {
    weight_ = register_parameter("weight", ones(normalized_shape));
    bias_ = register_parameter("bias", zeros(normalized_shape));
  }
}

Tensor LayerNorm::forward(const Tensor& x, Loc caller) const {
  const CallerScope scope(caller);
  glimpse::detail::check_defined({&x}, "LayerNorm");
  const int k = normalized_shape_.size();
  bool matches = x.dim() >= k;
  for (int i = 0; matches && i < k; ++i) matches = x.shape()[x.dim() - k + i] == normalized_shape_[i];
  glimpse::detail::check(matches, "LayerNorm", caller, [&] {
    return fmt::format("expects input [..., {}], got {}",
                       fmt::join(normalized_shape_.begin(), normalized_shape_.end(), ", "), to_string(x.shape()));
  });
  Shape dims;
  for (int i = 0; i < k; ++i) dims.push_back(x.dim() - k + i);
  const Tensor mu = mean(x, dims, /*keepdim=*/true);
  const Tensor centred = x - mu;
  const Tensor var = mean(centred * centred, dims, /*keepdim=*/true);
  Tensor y = centred / sqrt(var + eps_);
  if (weight_.defined()) y = y * weight_ + bias_;
  return y;
}

}  // namespace glimpse::nn
