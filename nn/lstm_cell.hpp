// LSTMCell: one step of the long short-term memory unit, torch.nn.LSTMCell
// (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000).
// Introduced in lesson 04 (recurrence: why gates help a network remember).
//
//   i  = σ(W_ii x + b_ii + W_hi h + b_hi)       input gate
//   f  = σ(W_if x + b_if + W_hf h + b_hf)       forget gate
//   g  = tanh(W_ig x + b_ig + W_hg h + b_hg)    candidate cell
//   o  = σ(W_io x + b_io + W_ho h + b_ho)       output gate
//   c' = f ⊙ c + i ⊙ g
//   h' = o ⊙ tanh(c')
//
// PyTorch's layout: weight_ih [4H, I] and weight_hh [4H, H] stack the i, f, g, o rows in that
// order; bias_ih and bias_hh are [4H].
#pragma once

#include "autograd/random.hpp"
#include "nn/module.hpp"

namespace glimpse::nn {

// The LSTM's state: the hidden state h (what the next layer sees) and the cell c (its memory).
struct LSTMState {
  Tensor h;
  Tensor c;
};

class LSTMCell : public Module {
 public:
  // Every parameter U(-1/√H, 1/√H), as in PyTorch.
  LSTMCell(int64_t input_size, int64_t hidden_size, Generator& gen = default_generator(),
           Loc caller = Loc::current());

  // x [B, I], state {h [B, H], c [B, H]} → {h', c'}. Emits the step {"h", "c", "i", "f", "g", "o"}.
  LSTMState forward(const Tensor& x, const LSTMState& state, Loc caller = Loc::current()) const;
  // Starts from h = c = 0.
  LSTMState forward(const Tensor& x, Loc caller = Loc::current()) const;
  LSTMState operator()(const Tensor& x, const LSTMState& state, Loc caller = Loc::current()) const {
    return forward(x, state, caller);
  }
  LSTMState operator()(const Tensor& x, Loc caller = Loc::current()) const { return forward(x, caller); }

  std::string kind() const override { return "LSTMCell"; }

  int64_t input_size() const { return input_size_; }
  int64_t hidden_size() const { return hidden_size_; }
  const Tensor& weight_ih() const { return weight_ih_; }
  const Tensor& weight_hh() const { return weight_hh_; }
  const Tensor& bias_ih() const { return bias_ih_; }
  const Tensor& bias_hh() const { return bias_hh_; }

  // The gate arithmetic runs as one fused op (lstm_cell_gates, issue 14) unless a tracer is
  // attached or this is turned off; both paths give the same bits (tests/autograd/fused_lstm_test).
  void use_fused_kernel(bool on) { fused_ = on; }
  bool uses_fused_kernel() const { return fused_; }

 private:
  int64_t input_size_, hidden_size_;
  Tensor weight_ih_, weight_hh_, bias_ih_, bias_hh_;
  bool fused_ = true;
};

}  // namespace glimpse::nn
