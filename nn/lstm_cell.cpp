// Lesson 04: the LSTM step, written as the equations in lstm_cell.hpp. The cell c is updated by
// addition (f ⊙ c + i ⊙ g), which is why gradients survive many steps: along c, backward
// multiplies by f, not by a squashing derivative.
#include "nn/lstm_cell.hpp"

#include <cmath>

#include "nn/cell_checks.hpp"
#include "nn/init.hpp"

namespace glimpse::nn {

LSTMCell::LSTMCell(int64_t input_size, int64_t hidden_size, Generator& gen, Loc caller)
    : input_size_(input_size), hidden_size_(hidden_size) {
  const CallerScope scope(caller);
  detail::check_cell_sizes("LSTMCell", input_size, hidden_size);
  const float k = 1.0f / std::sqrt(static_cast<float>(hidden_size));
  weight_ih_ = register_parameter("weight_ih", zeros({4 * hidden_size, input_size}));
  weight_hh_ = register_parameter("weight_hh", zeros({4 * hidden_size, hidden_size}));
  bias_ih_ = register_parameter("bias_ih", zeros({4 * hidden_size}));
  bias_hh_ = register_parameter("bias_hh", zeros({4 * hidden_size}));
  for (Tensor* p : {&weight_ih_, &weight_hh_, &bias_ih_, &bias_hh_}) init::uniform_(*p, -k, k, gen);
}

LSTMState LSTMCell::forward(const Tensor& x, const LSTMState& state, Loc caller) const {
  const CallerScope scope(caller);
  detail::check_cell_inputs("LSTMCell", x, state.h, input_size_, hidden_size_);
  detail::check_cell_inputs("LSTMCell", x, state.c, input_size_, hidden_size_);
  if (fused_ && !tracing()) {  // the same equations in one op: see autograd/fused_lstm.cpp
    const Tensor both = lstm_cell_gates(matmul(x, weight_ih_.t()), matmul(state.h, weight_hh_.t()), bias_ih_,
                                        bias_hh_, state.c);  // [B, 2H]: h' then c'
    return {both.narrow(1, 0, hidden_size_), both.narrow(1, hidden_size_, hidden_size_)};
  }
  // All four gates' pre-activations at once: [B, 4H], then split into i, f, g, o views.
  const Tensor gates = matmul(x, weight_ih_.t()) + bias_ih_ + (matmul(state.h, weight_hh_.t()) + bias_hh_);
  const std::vector<Tensor> parts = chunk(gates, 4, 1);
  Tensor i = sigmoid(parts[0]);
  Tensor f = sigmoid(parts[1]);
  Tensor g = tanh(parts[2]);
  Tensor o = sigmoid(parts[3]);
  Tensor c_next = f * state.c + i * g;
  Tensor h_next = o * tanh(c_next);
  emit_step({{"h", h_next}, {"c", c_next}, {"i", i}, {"f", f}, {"g", g}, {"o", o}});
  return {h_next, c_next};
}

LSTMState LSTMCell::forward(const Tensor& x, Loc caller) const {
  const CallerScope scope(caller);
  const Shape state_shape{x.dim() == 2 ? x.shape()[0] : 1, hidden_size_};
  return forward(x, LSTMState{zeros(state_shape), zeros(state_shape)});
}

}  // namespace glimpse::nn
