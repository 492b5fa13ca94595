// Lesson 04: the GRU step, written as the equations in gru_cell.hpp. Two matmuls compute all
// three gates' pre-activations at once; chunk splits them (as views) into r, z, n parts.
#include "nn/gru_cell.hpp"

#include <cmath>

#include "nn/cell_checks.hpp"
#include "nn/init.hpp"

namespace glimpse::nn {

GRUCell::GRUCell(int64_t input_size, int64_t hidden_size, Generator& gen, Loc caller)
    : input_size_(input_size), hidden_size_(hidden_size) {
  const CallerScope scope(caller);
  detail::check_cell_sizes("GRUCell", input_size, hidden_size);
  const float k = 1.0f / std::sqrt(static_cast<float>(hidden_size));
  weight_ih_ = register_parameter("weight_ih", zeros({3 * hidden_size, input_size}));
  weight_hh_ = register_parameter("weight_hh", zeros({3 * hidden_size, hidden_size}));
  bias_ih_ = register_parameter("bias_ih", zeros({3 * hidden_size}));
  bias_hh_ = register_parameter("bias_hh", zeros({3 * hidden_size}));
  for (Tensor* p : {&weight_ih_, &weight_hh_, &bias_ih_, &bias_hh_}) init::uniform_(*p, -k, k, gen);
}

Tensor GRUCell::forward(const Tensor& x, const Tensor& h, Loc caller) const {
  const CallerScope scope(caller);
  detail::check_cell_inputs("GRUCell", x, h, input_size_, hidden_size_);
  if (fused_ && !tracing())  // the same equations in one op: see autograd/fused_gru.cpp
    return gru_cell_gates(matmul(x, weight_ih_.t()), matmul(h, weight_hh_.t()), bias_ih_, bias_hh_, h);
  const Tensor from_input = matmul(x, weight_ih_.t()) + bias_ih_;  // [B, 3H]
  const Tensor from_state = matmul(h, weight_hh_.t()) + bias_hh_;  // [B, 3H]
  const std::vector<Tensor> i = chunk(from_input, 3, 1);           // i_r, i_z, i_n
  const std::vector<Tensor> s = chunk(from_state, 3, 1);           // h_r, h_z, h_n
  Tensor r = sigmoid(i[0] + s[0]);
  Tensor z = sigmoid(i[1] + s[1]);
  // The reset gate scales the state's contribution *after* its matmul (PyTorch's variant).
  Tensor n = tanh(i[2] + r * s[2]);
  Tensor h_next = (1.0f - z) * n + z * h;
  emit_step({{"h", h_next}, {"r", r}, {"z", z}, {"n", n}});
  return h_next;
}

Tensor GRUCell::forward(const Tensor& x, Loc caller) const {
  const CallerScope scope(caller);
  return forward(x, zeros({x.dim() == 2 ? x.shape()[0] : 1, hidden_size_}));
}

}  // namespace glimpse::nn
