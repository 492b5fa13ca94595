// Dropout as a module: active in train(), the identity in eval() (torch.nn.Dropout).
// Introduced in lesson 10 (regularisation).
#pragma once

#include "autograd/random.hpp"
#include "nn/module.hpp"

namespace glimpse::nn {

class Dropout : public Module {
 public:
  // Zeroes each element with probability p while training and scales the rest by 1/(1-p).
  // The masks are drawn from `gen`, which must outlive the module.
  explicit Dropout(float p = 0.5f, Generator& gen = default_generator(), Loc caller = Loc::current());

  Tensor forward(const Tensor& x, Loc caller = Loc::current()) const;
  Tensor operator()(const Tensor& x, Loc caller = Loc::current()) const { return forward(x, caller); }

  std::string kind() const override { return "Dropout"; }
  float p() const { return p_; }

 private:
  float p_;
  Generator* gen_;  // not owned
};

}  // namespace glimpse::nn
