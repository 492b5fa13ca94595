// Linear: y = x·Wᵀ + b, the affine map every network is built from (torch.nn.Linear).
// Introduced in lesson 03 (a first network).
#pragma once

#include "autograd/random.hpp"
#include "nn/module.hpp"

namespace glimpse::nn {

class Linear : public Module {
 public:
  // weight [out_features, in_features] and bias [out_features], both U(-1/√in, 1/√in) as in
  // PyTorch (kaiming_uniform with a = √5 for the weight).
  Linear(int64_t in_features, int64_t out_features, bool bias = true, Generator& gen = default_generator(),
         Loc caller = Loc::current());
  Linear(int64_t in_features, int64_t out_features, Generator& gen, Loc caller = Loc::current())
      : Linear(in_features, out_features, true, gen, caller) {}

  // x [..., in_features] → [..., out_features].
  Tensor forward(const Tensor& x, Loc caller = Loc::current()) const;
  Tensor operator()(const Tensor& x, Loc caller = Loc::current()) const { return forward(x, caller); }

  std::string kind() const override { return "Linear"; }

  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }  // undefined when built with bias = false

 private:
  int64_t in_features_, out_features_;
  Tensor weight_;
  Tensor bias_;
};

}  // namespace glimpse::nn
