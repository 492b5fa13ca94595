// Lesson 04: the GRU step, written as the equations in gru_cell.hpp. Two matmuls compute all
// three gates' pre-activations at once; chunk splits them (as views) into r, z, n parts.
#include "nn/gru_cell.hpp"

#include <cmath>

#include "nn/cell_checks.hpp"
#include "nn/init.hpp"

namespace glimpse::nn {

GRUCell::GRUCell(int64_t input_size, int64_t hidden_size, Generator& gen, Loc loc)
    : input_size_(input_size), hidden_size_(hidden_size) {
  detail::check_cell_sizes("GRUCell", input_size, hidden_size, loc);
  const float k = 1.0f / std::sqrt(static_cast<float>(hidden_size));
  weight_ih_ = register_parameter("weight_ih", zeros({3 * hidden_size, input_size}));
  weight_hh_ = register_parameter("weight_hh", zeros({3 * hidden_size, hidden_size}));
  bias_ih_ = register_parameter("bias_ih", zeros({3 * hidden_size}));
  bias_hh_ = register_parameter("bias_hh", zeros({3 * hidden_size}));
  for (Tensor* p : {&weight_ih_, &weight_hh_, &bias_ih_, &bias_hh_}) init::uniform_(*p, -k, k, gen);
}

Tensor GRUCell::forward(const Tensor& x, const Tensor& h, Loc loc) const {
  detail::check_cell_inputs("GRUCell", x, h, input_size_, hidden_size_, loc);
  if (fused_ && !tracing())  // the same equations in one op: see autograd/fused_gru.cpp
    return gru_cell_gates(matmul(x, weight_ih_.t(), loc), matmul(h, weight_hh_.t(), loc), bias_ih_, bias_hh_, h,
                          loc);
  const Tensor from_input = add(matmul(x, weight_ih_.t(), loc), bias_ih_, loc);  // [B, 3H]
  const Tensor from_state = add(matmul(h, weight_hh_.t(), loc), bias_hh_, loc);  // [B, 3H]
  const std::vector<Tensor> i = chunk(from_input, 3, 1, loc);                    // i_r, i_z, i_n
  const std::vector<Tensor> s = chunk(from_state, 3, 1, loc);                    // h_r, h_z, h_n
  Tensor r = sigmoid(add(i[0], s[0], loc), loc);
  Tensor z = sigmoid(add(i[1], s[1], loc), loc);
  // The reset gate scales the state's contribution *after* its matmul (PyTorch's variant).
  Tensor n = tanh(add(i[2], mul(r, s[2], loc), loc), loc);
  Tensor h_next = add(mul(rsub(z, 1.0f, loc), n, loc), mul(z, h, loc), loc);
  emit_step({{"h", h_next}, {"r", r}, {"z", z}, {"n", n}});
  return h_next;
}

Tensor GRUCell::forward(const Tensor& x, Loc loc) const {
  return forward(x, zeros({x.dim() == 2 ? x.shape()[0] : 1, hidden_size_}), loc);
}

}  // namespace glimpse::nn
