// Lesson 03: starting weights. Small random values break the symmetry between units; the
// bounds shrink with fan_in so a layer's output keeps roughly the scale of its input.
#include "nn/init.hpp"

#include <fmt/format.h>

#include <cmath>

#include "autograd/caller_scope.hpp"
#include "autograd/tape.hpp"

namespace glimpse::nn::init {

namespace {
// Parameters are created contiguous by the modules; a view would need strided writes.
void check_fillable(const Tensor& t, const char* op) {
  glimpse::detail::check(t.defined() && t.is_contiguous(), op, Loc::current(),
                         [] { return std::string("expects a defined, contiguous tensor"); });
}
}  // namespace

Tensor& uniform_(Tensor& t, float low, float high, Generator& gen) {
  check_fillable(t, "init::uniform_");
  NoGradGuard no_grad;
  float* p = t.data();
  for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = gen.uniform(low, high);
  return t;
}

Tensor& normal_(Tensor& t, float mean, float std, Generator& gen) {
  check_fillable(t, "init::normal_");
  NoGradGuard no_grad;
  float* p = t.data();
  for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = mean + std * gen.normal();
  return t;
}

Tensor& constant_(Tensor& t, float value) {
  check_fillable(t, "init::constant_");
  NoGradGuard no_grad;
  float* p = t.data();
  for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = value;
  return t;
}

Tensor& zeros_(Tensor& t) { return constant_(t, 0.0f); }
Tensor& ones_(Tensor& t) { return constant_(t, 1.0f); }

int64_t fan_in(const Tensor& weight, Loc caller) {
  const CallerScope scope(caller);
  glimpse::detail::check(weight.dim() >= 2, "init::fan_in", caller, [&] {
    return fmt::format("needs a weight with at least 2 dims [out, in, ...], got shape {}",
                       to_string(weight.shape()));
  });
  int64_t fan = weight.shape()[1];
  for (int d = 2; d < weight.dim(); ++d) fan *= weight.shape()[d];
  return fan;
}

Tensor& kaiming_uniform_(Tensor& t, float a, Generator& gen, Loc caller) {
  const CallerScope scope(caller);
  const int64_t fan = fan_in(t);
  const float gain = std::sqrt(2.0f / (1.0f + a * a));
  const float bound = fan > 0 ? gain * std::sqrt(3.0f / static_cast<float>(fan)) : 0.0f;
  return uniform_(t, -bound, bound, gen);
}

}  // namespace glimpse::nn::init
