// Lesson 04: the simplest recurrence. The new state mixes the input and the old state through
// one tanh; backpropagation through time is just backward through the unrolled chain of ops.
#include "nn/rnn_cell.hpp"

#include <cmath>

#include "nn/cell_checks.hpp"
#include "nn/init.hpp"

namespace glimpse::nn {

RNNCell::RNNCell(int64_t input_size, int64_t hidden_size, Generator& gen, Loc caller)
    : input_size_(input_size), hidden_size_(hidden_size) {
  const CallerScope scope(caller);
  detail::check_cell_sizes("RNNCell", input_size, hidden_size);
  const float k = 1.0f / std::sqrt(static_cast<float>(hidden_size));
  weight_ih_ = register_parameter("weight_ih", zeros({hidden_size, input_size}));
  weight_hh_ = register_parameter("weight_hh", zeros({hidden_size, hidden_size}));
  bias_ih_ = register_parameter("bias_ih", zeros({hidden_size}));
  bias_hh_ = register_parameter("bias_hh", zeros({hidden_size}));
  for (Tensor* p : {&weight_ih_, &weight_hh_, &bias_ih_, &bias_hh_}) init::uniform_(*p, -k, k, gen);
}

Tensor RNNCell::forward(const Tensor& x, const Tensor& h, Loc caller) const {
  const CallerScope scope(caller);
  detail::check_cell_inputs("RNNCell", x, h, input_size_, hidden_size_);
  const Tensor from_input = matmul(x, weight_ih_.t()) + bias_ih_;
  const Tensor from_state = matmul(h, weight_hh_.t()) + bias_hh_;
  Tensor h_next = tanh(from_input + from_state);
  emit_step({{"h", h_next}});
  return h_next;
}

Tensor RNNCell::forward(const Tensor& x, Loc caller) const {
  const CallerScope scope(caller);
  return forward(x, zeros({x.dim() == 2 ? x.shape()[0] : 1, hidden_size_}));
}

}  // namespace glimpse::nn
