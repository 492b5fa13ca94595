// Lesson 04: unrolling. A recurrent layer is a for loop that feeds each time step and the
// previous state to a cell; the tape records the whole chain, and backward through it is
// backpropagation through time.
#include "nn/rnn.hpp"

#include <fmt/format.h>

#include <type_traits>
#include <utility>
#include <vector>

namespace glimpse::nn {

using glimpse::detail::check;

namespace {

// Where the mask is 0 (padding), the state stays what it was:  m·new + (1 − m)·old.
Tensor keep_where_padded(const Tensor& m, const Tensor& h_new, const Tensor& h_old, Loc loc) {
  return add(mul(m, h_new, loc), mul(rsub(m, 1.0f, loc), h_old, loc), loc);
}
LSTMState keep_where_padded(const Tensor& m, const LSTMState& s_new, const LSTMState& s_old, Loc loc) {
  return {keep_where_padded(m, s_new.h, s_old.h, loc), keep_where_padded(m, s_new.c, s_old.c, loc)};
}

const Tensor& hidden_of(const Tensor& h) { return h; }
const Tensor& hidden_of(const LSTMState& s) { return s.h; }

// Runs `cell` over the time steps of x [B, T, I] — forwards, or backwards when `reverse` — from
// `state`. Returns the hidden state after each step (in time order) and the final state.
template <class Cell, class State>
std::pair<std::vector<Tensor>, State> unroll(const Cell& cell, const Tensor& x, State state,
                                             const Tensor& mask, bool reverse, Loc loc) {
  const int64_t steps = x.shape()[1];
  std::vector<Tensor> hidden(static_cast<size_t>(steps));
  for (int64_t k = 0; k < steps; ++k) {
    const int64_t t = reverse ? steps - 1 - k : k;
    StepScope scope(t);  // the cell's step record is tagged with the time index t
    State next = cell.forward(x.select(1, t, loc), state, loc);
    if (mask.defined()) next = keep_where_padded(mask.select(1, t, loc).unsqueeze(1, loc), next, state, loc);
    state = std::move(next);
    hidden[static_cast<size_t>(t)] = hidden_of(state);
  }
  return {std::move(hidden), std::move(state)};
}

struct Sizes {
  int64_t batch, steps, directions;
};

Sizes check_layer_inputs(const char* layer, const Tensor& x, const Tensor& mask, int64_t input_size,
                         int64_t directions, Loc loc) {
  check(x.dim() == 3 && x.shape()[2] == input_size && x.shape()[1] > 0, layer, loc, [&] {
    return fmt::format("expects batch-first input [batch, steps >= 1, {}], got {}", input_size,
                       to_string(x.shape()));
  });
  const int64_t batch = x.shape()[0], steps = x.shape()[1];
  if (mask.defined()) {
    check(mask.dim() == 2 && mask.shape()[0] == batch && mask.shape()[1] == steps, layer, loc, [&] {
      return fmt::format("expects mask [{}, {}] (batch, steps) for input {}, got {}", batch, steps,
                         to_string(x.shape()), to_string(mask.shape()));
    });
    check(!mask.requires_grad(), layer, loc, [] { return std::string("the mask must not require grad"); });
  }
  return {batch, steps, directions};
}

// The initial state of each direction: slices of s0 [D, B, H], or zeros when s0 is undefined.
Tensor initial_state(const char* layer, const char* name, const Tensor& s0, const Sizes& n,
                     int64_t hidden_size, int64_t direction, Loc loc) {
  if (!s0.defined()) return zeros({n.batch, hidden_size});
  check(s0.dim() == 3 && s0.shape()[0] == n.directions && s0.shape()[1] == n.batch &&
            s0.shape()[2] == hidden_size,
        layer, loc, [&] {
          return fmt::format("expects {} [{}, {}, {}] (directions, batch, hidden), got {}", name,
                             n.directions, n.batch, hidden_size, to_string(s0.shape()));
        });
  return s0.select(0, direction, loc);
}

// Unrolls each direction and assembles PyTorch's outputs.
template <class Cell, class State>
RecurrentOutput run_directions(const std::vector<const Cell*>& cells, const Tensor& x,
                               const std::vector<State>& initial, const Tensor& mask, Loc loc) {
  std::vector<Tensor> outputs, last_h, last_c;
  for (size_t d = 0; d < cells.size(); ++d) {
    auto [hidden, final_state] = unroll(*cells[d], x, initial[d], mask, /*reverse=*/d == 1, loc);
    outputs.push_back(stack(hidden, 1, loc));  // [B, T, H]
    last_h.push_back(hidden_of(final_state));
    if constexpr (std::is_same_v<State, LSTMState>) last_c.push_back(final_state.c);
  }
  RecurrentOutput out;
  out.output = outputs.size() == 1 ? outputs[0] : cat(outputs, 2, loc);
  out.h_n = stack(last_h, 0, loc);
  if (!last_c.empty()) out.c_n = stack(last_c, 0, loc);
  return out;
}

template <class Cell>
std::vector<const Cell*> directions(const std::shared_ptr<Cell>& cell,
                                    const std::shared_ptr<Cell>& cell_reverse) {
  if (cell_reverse) return {cell.get(), cell_reverse.get()};
  return {cell.get()};
}

}  // namespace

Tensor RecurrentOutput::last(Loc loc) const {
  check(h_n.defined() && h_n.dim() == 3, "RecurrentOutput::last", loc,
        [] { return std::string("h_n must be a [directions, batch, hidden] tensor"); });
  if (h_n.shape()[0] == 1) return h_n.select(0, 0, loc);
  std::vector<Tensor> parts;
  for (int64_t d = 0; d < h_n.shape()[0]; ++d) parts.push_back(h_n.select(0, d, loc));
  return cat(parts, 1, loc);
}

// ---- RNN -----------------------------------------------------------------------------------
RNN::RNN(int64_t input_size, int64_t hidden_size, bool bidirectional, Generator& gen, Loc loc) {
  cell_ = register_module("cell", std::make_shared<RNNCell>(input_size, hidden_size, gen, loc));
  if (bidirectional)
    cell_reverse_ =
        register_module("cell_reverse", std::make_shared<RNNCell>(input_size, hidden_size, gen, loc));
}

RecurrentOutput RNN::forward(const Tensor& x, const Tensor& h0, const Tensor& mask, Loc loc) const {
  const auto cells = directions(cell_, cell_reverse_);
  const Sizes n = check_layer_inputs("RNN", x, mask, cell_->input_size(), std::ssize(cells), loc);
  std::vector<Tensor> initial;
  for (int64_t d = 0; d < n.directions; ++d)
    initial.push_back(initial_state("RNN", "h0", h0, n, cell_->hidden_size(), d, loc));
  return run_directions(cells, x, initial, mask, loc);
}

// ---- GRU -----------------------------------------------------------------------------------
GRU::GRU(int64_t input_size, int64_t hidden_size, bool bidirectional, Generator& gen, Loc loc) {
  cell_ = register_module("cell", std::make_shared<GRUCell>(input_size, hidden_size, gen, loc));
  if (bidirectional)
    cell_reverse_ =
        register_module("cell_reverse", std::make_shared<GRUCell>(input_size, hidden_size, gen, loc));
}

RecurrentOutput GRU::forward(const Tensor& x, const Tensor& h0, const Tensor& mask, Loc loc) const {
  const auto cells = directions(cell_, cell_reverse_);
  const Sizes n = check_layer_inputs("GRU", x, mask, cell_->input_size(), std::ssize(cells), loc);
  std::vector<Tensor> initial;
  for (int64_t d = 0; d < n.directions; ++d)
    initial.push_back(initial_state("GRU", "h0", h0, n, cell_->hidden_size(), d, loc));
  return run_directions(cells, x, initial, mask, loc);
}

// ---- LSTM ----------------------------------------------------------------------------------
LSTM::LSTM(int64_t input_size, int64_t hidden_size, bool bidirectional, Generator& gen, Loc loc) {
  cell_ = register_module("cell", std::make_shared<LSTMCell>(input_size, hidden_size, gen, loc));
  if (bidirectional)
    cell_reverse_ =
        register_module("cell_reverse", std::make_shared<LSTMCell>(input_size, hidden_size, gen, loc));
}

RecurrentOutput LSTM::forward(const Tensor& x, const LSTMState& state0, const Tensor& mask, Loc loc) const {
  const auto cells = directions(cell_, cell_reverse_);
  const Sizes n = check_layer_inputs("LSTM", x, mask, cell_->input_size(), std::ssize(cells), loc);
  check(state0.h.defined() == state0.c.defined(), "LSTM", loc,
        [] { return std::string("give both h0 and c0 in the initial state, or neither"); });
  std::vector<LSTMState> initial;
  for (int64_t d = 0; d < n.directions; ++d)
    initial.push_back({initial_state("LSTM", "h0", state0.h, n, cell_->hidden_size(), d, loc),
                       initial_state("LSTM", "c0", state0.c, n, cell_->hidden_size(), d, loc)});
  return run_directions(cells, x, initial, mask, loc);
}

}  // namespace glimpse::nn
