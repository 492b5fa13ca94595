// Argument checks shared by RNNCell, GRUCell and LSTMCell (internal).
// Introduced with the cells in lesson 04 (recurrence).
#pragma once

#include "autograd/tensor.hpp"

namespace glimpse::nn::detail {

// Sizes must be positive.
void check_cell_sizes(const char* cell, int64_t input_size, int64_t hidden_size);
// x must be [B, input_size] and h [B, hidden_size].
void check_cell_inputs(const char* cell, const Tensor& x, const Tensor& h, int64_t input_size,
                       int64_t hidden_size);

}  // namespace glimpse::nn::detail
