// Lesson 03: the update rules. Plain loops over each parameter's values; no graph is recorded
// (NoGradGuard), because an update is not part of the function being differentiated.
#include "nn/optim.hpp"

#include <fmt/format.h>

#include <cmath>

#include "autograd/caller_scope.hpp"
#include "autograd/tape.hpp"

namespace glimpse::nn {

using glimpse::detail::check;

namespace {
// One hyperparameter: `ok` must hold for `value`, or the error names it and its allowed range.
void check_option(bool ok, const char* optimizer, const char* name, float value, const char* range) {
  check(ok, optimizer, [&] { return fmt::format("{} must be {}, got {}", name, range, value); });
}
}  // namespace

Optimizer::Optimizer(std::vector<Tensor> params, float lr, const char* name, Loc caller)
    : params_(std::move(params)), lr_(lr) {
  const CallerScope scope(caller);
  check_option(lr > 0.0f && std::isfinite(lr), name, "lr", lr, "a finite number > 0");
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    // Updates write p.data() in place, which needs a leaf that owns its values contiguously.
    check(p.defined() && p.is_leaf() && p.requires_grad() && p.is_contiguous(), name, caller,
          [&] { return fmt::format("parameter {} must be a contiguous leaf tensor that requires grad", i); });
  }
}

void Optimizer::zero_grad() {
  for (Tensor& p : params_) p.zero_grad();
}

// ---- SGD -----------------------------------------------------------------------------------

SGD::SGD(std::vector<Tensor> params, SGDOptions options, Loc caller)
    : Optimizer(std::move(params), options.lr, "SGD", caller), options_(options), momentum_(params_.size()) {
  const CallerScope scope(caller);
  const float momentum = options.momentum, weight_decay = options.weight_decay;
  check_option(momentum >= 0.0f && momentum < 1.0f, "SGD", "momentum", momentum, "in [0, 1)");
  check_option(weight_decay >= 0.0f && std::isfinite(weight_decay), "SGD", "weight_decay", weight_decay,
               "a finite number >= 0");
}

void SGD::step() {
  NoGradGuard no_grad;
  for (size_t k = 0; k < params_.size(); ++k) {
    Tensor& p = params_[k];
    if (!p.grad().defined()) continue;
    const Tensor grad = p.grad().contiguous();
    float* w = p.data();
    const float* g = grad.data();
    const size_t n = static_cast<size_t>(p.numel());
    std::vector<float>& buf = momentum_[k];
    const bool first = buf.empty();
    if (options_.momentum != 0.0f && first) buf.resize(n);
    for (size_t i = 0; i < n; ++i) {
      float d = g[i] + options_.weight_decay * w[i];
      if (options_.momentum != 0.0f) {
        buf[i] = first ? d : options_.momentum * buf[i] + d;
        d = buf[i];
      }
      w[i] -= lr_ * d;
    }
  }
}

// ---- Adam ----------------------------------------------------------------------------------

Adam::Adam(std::vector<Tensor> params, AdamOptions options, Loc caller)
    : Adam(std::move(params), options, /*decoupled=*/false, "Adam", caller) {}

Adam::Adam(std::vector<Tensor> params, AdamOptions options, bool decoupled, const char* name, Loc caller)
    : Optimizer(std::move(params), options.lr, name, caller),
      options_(options),
      decoupled_(decoupled),
      t_(params_.size(), 0),
      m_(params_.size()),
      v_(params_.size()) {
  const CallerScope scope(caller);
  const float beta1 = options.beta1, beta2 = options.beta2, eps = options.eps, weight_decay = options.weight_decay;
  check_option(beta1 >= 0.0f && beta1 < 1.0f, name, "beta1", beta1, "in [0, 1)");
  check_option(beta2 >= 0.0f && beta2 < 1.0f, name, "beta2", beta2, "in [0, 1)");
  check_option(eps > 0.0f && std::isfinite(eps), name, "eps", eps, "a finite number > 0");
  check_option(weight_decay >= 0.0f && std::isfinite(weight_decay), name, "weight_decay", weight_decay,
               "a finite number >= 0");
}

void Adam::step() {
  NoGradGuard no_grad;
  const float beta1 = options_.beta1, beta2 = options_.beta2, eps = options_.eps, wd = options_.weight_decay;
  for (size_t k = 0; k < params_.size(); ++k) {
    Tensor& p = params_[k];
    if (!p.grad().defined()) continue;
    // The bias corrections undo the moments' start at zero; computed in double, as PyTorch does.
    const double t = static_cast<double>(++t_[k]);
    const double bias_correction1 = 1.0 - std::pow(static_cast<double>(beta1), t);
    const double bias_correction2 = 1.0 - std::pow(static_cast<double>(beta2), t);
    const float step_size = static_cast<float>(lr_ / bias_correction1);
    const float bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
    // AdamW's decoupled decay, p ← p·(1 − lr·wd); Adam's L2 term joins the gradient instead.
    const float decay = decoupled_ ? static_cast<float>(1.0 - static_cast<double>(lr_) * wd) : 1.0f;
    const float l2 = decoupled_ ? 0.0f : wd;
    const Tensor grad = p.grad().contiguous();
    float* w = p.data();
    const float* gr = grad.data();
    const size_t n = static_cast<size_t>(p.numel());
    std::vector<float>& m = m_[k];
    std::vector<float>& v = v_[k];
    if (m.empty()) m.assign(n, 0.0f), v.assign(n, 0.0f);
    for (size_t i = 0; i < n; ++i) {
      if (decoupled_) w[i] *= decay;
      const float g = gr[i] + l2 * w[i];
      m[i] = beta1 * m[i] + (1.0f - beta1) * g;
      v[i] = beta2 * v[i] + (1.0f - beta2) * (g * g);
      const float denom = std::sqrt(v[i]) / bias_correction2_sqrt + eps;
      w[i] -= step_size * m[i] / denom;
    }
  }
}

// ---- AdamW ---------------------------------------------------------------------------------

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions o, Loc caller)
    : Adam(std::move(params), {o.lr, o.beta1, o.beta2, o.eps, o.weight_decay}, /*decoupled=*/true, "AdamW",
           caller) {}

}  // namespace glimpse::nn
