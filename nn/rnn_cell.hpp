// RNNCell: one step of the plain (Elman) recurrent network, torch.nn.RNNCell with tanh.
// Introduced in lesson 04 (recurrence).
//
//   h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)
#pragma once

#include "autograd/random.hpp"
#include "nn/module.hpp"

namespace glimpse::nn {

class RNNCell : public Module {
 public:
  // weight_ih [H, I], weight_hh [H, H], bias_ih [H], bias_hh [H], all U(-1/√H, 1/√H) as in PyTorch.
  RNNCell(int64_t input_size, int64_t hidden_size, Generator& gen = default_generator(),
          Loc caller = Loc::current());

  // x [B, I], h [B, H] → h' [B, H]. Emits the step {"h": h'} to the tracer.
  Tensor forward(const Tensor& x, const Tensor& h, Loc caller = Loc::current()) const;
  // Starts from h = 0.
  Tensor forward(const Tensor& x, Loc caller = Loc::current()) const;
  Tensor operator()(const Tensor& x, const Tensor& h, Loc caller = Loc::current()) const {
    return forward(x, h, caller);
  }
  Tensor operator()(const Tensor& x, Loc caller = Loc::current()) const { return forward(x, caller); }

  std::string kind() const override { return "RNNCell"; }

  int64_t input_size() const { return input_size_; }
  int64_t hidden_size() const { return hidden_size_; }
  const Tensor& weight_ih() const { return weight_ih_; }
  const Tensor& weight_hh() const { return weight_hh_; }
  const Tensor& bias_ih() const { return bias_ih_; }
  const Tensor& bias_hh() const { return bias_hh_; }

 private:
  int64_t input_size_, hidden_size_;
  Tensor weight_ih_, weight_hh_, bias_ih_, bias_hh_;
};

}  // namespace glimpse::nn
