// GRUCell: one step of the gated recurrent unit, torch.nn.GRUCell (Cho et al. 2014).
// Introduced in lesson 04 (recurrence: why gates help a network remember).
//
//   r  = σ(W_ir x + b_ir + W_hr h + b_hr)         reset gate: how much of h the candidate sees
//   z  = σ(W_iz x + b_iz + W_hz h + b_hz)         update gate: how much of h is kept
//   n  = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))  candidate state
//   h' = (1 − z) ⊙ n + z ⊙ h
//
// PyTorch's layout: weight_ih [3H, I] and weight_hh [3H, H] stack the r, z, n rows in that order;
// bias_ih and bias_hh are [3H].
#pragma once

#include "autograd/random.hpp"
#include "nn/module.hpp"

namespace glimpse::nn {

class GRUCell : public Module {
 public:
  // Every parameter U(-1/√H, 1/√H), as in PyTorch.
  GRUCell(int64_t input_size, int64_t hidden_size, Generator& gen = default_generator(),
          Loc caller = Loc::current());

  // x [B, I], h [B, H] → h' [B, H]. Emits the step {"h", "r", "z", "n"} to the tracer.
  Tensor forward(const Tensor& x, const Tensor& h, Loc caller = Loc::current()) const;
  // Starts from h = 0.
  Tensor forward(const Tensor& x, Loc caller = Loc::current()) const;
  Tensor operator()(const Tensor& x, const Tensor& h, Loc caller = Loc::current()) const {
    return forward(x, h, caller);
  }
  Tensor operator()(const Tensor& x, Loc caller = Loc::current()) const { return forward(x, caller); }

  std::string kind() const override { return "GRUCell"; }

  int64_t input_size() const { return input_size_; }
  int64_t hidden_size() const { return hidden_size_; }
  const Tensor& weight_ih() const { return weight_ih_; }
  const Tensor& weight_hh() const { return weight_hh_; }
  const Tensor& bias_ih() const { return bias_ih_; }
  const Tensor& bias_hh() const { return bias_hh_; }

  // The gate arithmetic runs as one fused op (gru_cell_gates, issue 6) unless a tracer is
  // attached or this is turned off; both paths agree to float rounding (tests/nn/gru_cell_test).
  void use_fused_kernel(bool on) { fused_ = on; }
  bool uses_fused_kernel() const { return fused_; }

 private:
  int64_t input_size_, hidden_size_;
  Tensor weight_ih_, weight_hh_, bias_ih_, bias_hh_;
  bool fused_ = true;
};

}  // namespace glimpse::nn
