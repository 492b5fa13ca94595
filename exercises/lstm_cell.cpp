// EXERCISE (lesson 04): write LSTMCell::forward with PyTorch's gate order i, f, g, o.
// This is your copy of nn/lstm_cell.cpp with the exercise part removed. Build the lessons against
// it with  cmake -B build -DGLIMPSE_EXERCISES=lstm_cell  and check it with  ctest --test-dir build -L exercise.
// The reference solution is nn/lstm_cell.cpp: peek only when stuck.
//
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
  // TODO(exercise): write this yourself. The equations are in the header and in
  // docs/lessons/04_recurrence.md; `ctest --test-dir build -L exercise` checks your version.
  throw glimpse::Error("exercise", "LSTMCell::forward (gates i, f, g, o; c' = f⊙c + i⊙g; h' = o⊙tanh(c')) is not written yet (exercises/, see docs/exercises.md)");
}

LSTMState LSTMCell::forward(const Tensor& x, Loc caller) const {
  const CallerScope scope(caller);
  const Shape state_shape{x.dim() == 2 ? x.shape()[0] : 1, hidden_size_};
  return forward(x, LSTMState{zeros(state_shape), zeros(state_shape)});
}

}  // namespace glimpse::nn
