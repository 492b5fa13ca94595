// Optimisers: how gradients turn into parameter updates — SGD with momentum, Adam and AdamW, with
// PyTorch's exact update rules (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW).
// Introduced in lesson 03 (a first network: training is repeated small steps downhill).
//
// An optimiser holds the parameter tensors themselves (cheap handles), so a step changes the
// model's values in place. Parameters whose .grad is undefined (no gradient reached them) are
// skipped, as in PyTorch.
#pragma once

#include <vector>

#include "autograd/tensor.hpp"

namespace glimpse::nn {

class Optimizer {
 public:
  Optimizer(std::vector<Tensor> params, float lr, const char* name, Loc caller);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter from its current .grad (under NoGradGuard).
  virtual void step() = 0;
  // Forgets every parameter's .grad (call before each backward).
  void zero_grad();

  // The learning rate, which schedules such as StepLR change between epochs.
  float lr() const { return lr_; }
  void set_lr(float lr) { lr_ = lr; }
  const std::vector<Tensor>& params() const { return params_; }

 protected:
  std::vector<Tensor> params_;
  float lr_;
};

struct SGDOptions {
  float lr = 0.01f;
  float momentum = 0.0f;
  float weight_decay = 0.0f;  // L2 penalty: adds weight_decay·p to the gradient
};

// Stochastic gradient descent with PyTorch's momentum rule:
//   g ← grad + weight_decay·p
//   buf ← g on the first step, then buf ← momentum·buf + g
//   p ← p − lr·buf                                   (p ← p − lr·g without momentum)
class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, SGDOptions options, Loc caller = Loc::current());
  void step() override;

 private:
  SGDOptions options_;
  std::vector<std::vector<float>> momentum_;  // one buffer per parameter, empty until first used
};

struct AdamOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;  // L2 penalty added to the gradient (Adam, not AdamW)
};

// Adam (Kingma & Ba 2015) exactly as torch.optim.Adam computes it:
//   g ← grad + weight_decay·p;  t ← t + 1  (t counts this parameter's own updates)
//   m ← β1·m + (1 − β1)·g           v ← β2·v + (1 − β2)·g²
//   p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps)
// Note eps is added after the square root and the bias correction.
class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, AdamOptions options = {}, Loc caller = Loc::current());
  void step() override;

 protected:
  // decoupled: weight decay shrinks p directly (AdamW) instead of joining the gradient.
  Adam(std::vector<Tensor> params, AdamOptions options, bool decoupled, const char* name, Loc caller);

 private:
  AdamOptions options_;
  bool decoupled_ = false;
  std::vector<int64_t> t_;                 // updates so far, per parameter
  std::vector<std::vector<float>> m_, v_;  // first and second moments, per parameter
};

struct AdamWOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 1e-2f;  // PyTorch's default for AdamW
};

// AdamW (Loshchilov & Hutter 2019) exactly as torch.optim.AdamW computes it: the weight decay is
// decoupled from the gradient, so it shrinks every weight at the same rate whatever its moments:
//   p ← p · (1 − lr·weight_decay)
//   then Adam's update with g = grad (no weight_decay term in the moments).
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, AdamWOptions options = {}, Loc caller = Loc::current());
};

}  // namespace glimpse::nn
