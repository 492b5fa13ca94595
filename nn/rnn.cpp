// Lesson 04: unrolling. A recurrent layer is a for loop that feeds each time step and the
// previous state to a cell; the tape records the whole chain, and backward through it is
// backpropagation through time.
#include "nn/rnn.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <type_traits>
#include <utility>
#include <vector>

namespace glimpse::nn {

using glimpse::detail::check;

namespace {

// Where the mask is 0 (padding), the state stays what it was:  m·new + (1 − m)·old.
Tensor keep_where_padded(const Tensor& m, const Tensor& h_new, const Tensor& h_old) {
  return m * h_new + (1.0f - m) * h_old;
}
LSTMState keep_where_padded(const Tensor& m, const LSTMState& s_new, const LSTMState& s_old) {
  return {keep_where_padded(m, s_new.h, s_old.h), keep_where_padded(m, s_new.c, s_old.c)};
}

const Tensor& hidden_of(const Tensor& h) { return h; }
const Tensor& hidden_of(const LSTMState& s) { return s.h; }

// Runs `cell` over the time steps of x [B, T, I] — forwards, or backwards when `reverse` — from
// `state`. Returns the hidden state after each step (in time order) and the final state.
template <class Cell, class State>
std::pair<std::vector<Tensor>, State> unroll(const Cell& cell, const Tensor& x, State state,
                                             const Tensor& mask, bool reverse) {
  const int64_t steps = x.shape()[1];
  std::vector<Tensor> hidden(static_cast<size_t>(steps));
  for (int64_t k = 0; k < steps; ++k) {
    const int64_t t = reverse ? steps - 1 - k : k;
    StepScope scope(t);  // the cell's step record is tagged with the time index t
    State next = cell.forward(x.select(1, t), state);
    if (mask.defined()) next = keep_where_padded(mask.select(1, t).unsqueeze(1), next, state);
    state = std::move(next);
    hidden[static_cast<size_t>(t)] = hidden_of(state);
  }
  return {std::move(hidden), std::move(state)};
}

struct Sizes {
  int64_t batch, steps, states;  // states = layers · directions
};

Sizes check_layer_inputs(const char* layer, const Tensor& x, const Tensor& mask, int64_t input_size,
                         int64_t states) {
  check(x.dim() == 3 && x.shape()[2] == input_size && x.shape()[1] > 0, layer, [&] {
    return fmt::format("expects batch-first input [batch, steps >= 1, {}], got {}", input_size,
                       to_string(x.shape()));
  });
  const int64_t batch = x.shape()[0], steps = x.shape()[1];
  if (mask.defined()) {
    check(mask.dim() == 2 && mask.shape()[0] == batch && mask.shape()[1] == steps, layer, [&] {
      return fmt::format("expects mask [{}, {}] (batch, steps) for input {}, got {}", batch, steps,
                         to_string(x.shape()), to_string(mask.shape()));
    });
    check(!mask.requires_grad(), layer, [] { return std::string("the mask must not require grad"); });
  }
  return {batch, steps, states};
}

// The initial state of cell k (l0, l0_reverse, l1, ...): a slice of s0 [L·D, B, H], or zeros
// when s0 is undefined.
Tensor initial_state(const char* layer, const char* name, const Tensor& s0, const Sizes& n,
                     int64_t hidden_size, int64_t k) {
  if (!s0.defined()) return zeros({n.batch, hidden_size});
  check(s0.dim() == 3 && s0.shape()[0] == n.states && s0.shape()[1] == n.batch &&
            s0.shape()[2] == hidden_size,
        layer, [&] {
          return fmt::format("expects {} [{}, {}, {}] (layers·directions, batch, hidden), got {}", name,
                             n.states, n.batch, hidden_size, to_string(s0.shape()));
        });
  return s0.select(0, k);
}

// Unrolls each layer's directions over its input (layer 0: x, then the layer below's output) and
// assembles PyTorch's outputs. cells and initial states are in PyTorch's order l0, l0_reverse, l1, ...
template <class Cell, class State>
RecurrentOutput run_layers(const std::vector<const Cell*>& cells, int64_t directions, const Tensor& x,
                           const std::vector<State>& initial, const Tensor& mask) {
  std::vector<Tensor> last_h, last_c;
  Tensor input = x;
  for (size_t first = 0; first < cells.size(); first += static_cast<size_t>(directions)) {
    std::vector<Tensor> outputs;
    for (size_t d = 0; d < static_cast<size_t>(directions); ++d) {
      auto [hidden, final_state] =
          unroll(*cells[first + d], input, initial[first + d], mask, /*reverse=*/d == 1);
      outputs.push_back(stack(hidden, 1));  // [B, T, H]
      last_h.push_back(hidden_of(final_state));
      if constexpr (std::is_same_v<State, LSTMState>) last_c.push_back(final_state.c);
    }
    input = outputs.size() == 1 ? outputs[0] : cat(outputs, 2);  // what the next layer reads
  }
  RecurrentOutput out;
  out.output = input;
  out.h_n = stack(last_h, 0);
  if (!last_c.empty()) out.c_n = stack(last_c, 0);
  out.directions = directions;
  return out;
}

}  // namespace

Tensor RecurrentOutput::last(Loc caller) const {
  const CallerScope scope(caller);
  check(h_n.defined() && h_n.dim() == 3 && directions >= 1 && h_n.shape()[0] % directions == 0,
        "RecurrentOutput::last", caller,
        [] { return std::string("h_n must be a [layers·directions, batch, hidden] tensor"); });
  const int64_t top = h_n.shape()[0] - directions;  // the top layer's first direction
  if (directions == 1) return h_n.select(0, top);
  std::vector<Tensor> parts;
  for (int64_t d = 0; d < directions; ++d) parts.push_back(h_n.select(0, top + d));
  return cat(parts, 1);
}

// ---- the stack of cells, named like PyTorch -------------------------------------------------
namespace detail {

template <class Cell>
RecurrentLayers<Cell>::RecurrentLayers(const char* name, int64_t input_size, int64_t hidden_size,
                                       int64_t num_layers, bool bidirectional, Generator& gen, Loc caller)
    : num_layers_(num_layers), directions_(bidirectional ? 2 : 1) {
  const CallerScope scope(caller);
  check(num_layers >= 1, name, caller,
        [&] { return fmt::format("num_layers must be >= 1, got {}", num_layers); });
  std::vector<std::string> suffixes;
  for (int64_t layer = 0; layer < num_layers; ++layer)
    for (int64_t d = 0; d < directions_; ++d) {
      // Layer 0 reads x; each layer above reads the one below, both directions side by side.
      const int64_t layer_input = layer == 0 ? input_size : directions_ * hidden_size;
      cells_.push_back(std::make_shared<Cell>(layer_input, hidden_size, gen));
      suffixes.push_back(fmt::format("_l{}{}", layer, d == 1 ? "_reverse" : ""));  // PyTorch's suffixes
    }
  for (size_t k = 0; k < cells_.size(); ++k) {
    const Cell& c = *cells_[k];
    register_parameter("weight_ih" + suffixes[k], c.weight_ih());
    register_parameter("weight_hh" + suffixes[k], c.weight_hh());
    register_parameter("bias_ih" + suffixes[k], c.bias_ih());
    register_parameter("bias_hh" + suffixes[k], c.bias_hh());
  }
  for (size_t k = 0; k < cells_.size(); ++k) register_module("cell" + suffixes[k], cells_[k]);
}

template <class Cell>
const Cell& RecurrentLayers<Cell>::cell(int64_t layer, bool reverse, Loc caller) const {
  const CallerScope scope(caller);
  check(layer >= 0 && layer < num_layers_ && (!reverse || directions_ == 2), kind().c_str(), caller, [&] {
    return fmt::format("has no cell for layer {}{} ({} layers, {})", layer, reverse ? " reverse" : "", num_layers_,
                       directions_ == 2 ? "bidirectional" : "one direction");
  });
  return *cells_[static_cast<size_t>(layer * directions_ + (reverse ? 1 : 0))];
}

template <class Cell>
std::vector<const Cell*> RecurrentLayers<Cell>::cells() const {
  std::vector<const Cell*> out;
  for (const auto& c : cells_) out.push_back(c.get());
  return out;
}

template <class Cell>
std::vector<Cell*> RecurrentLayers<Cell>::mutable_cells() {
  std::vector<Cell*> out;
  for (const auto& c : cells_) out.push_back(c.get());
  return out;
}

template class RecurrentLayers<RNNCell>;
template class RecurrentLayers<GRUCell>;
template class RecurrentLayers<LSTMCell>;

}  // namespace detail

// ---- RNN -----------------------------------------------------------------------------------
RNN::RNN(int64_t input_size, int64_t hidden_size, int64_t num_layers, bool bidirectional, Generator& gen,
         Loc caller)
    : RecurrentLayers("RNN", input_size, hidden_size, num_layers, bidirectional, gen, caller) {}

RecurrentOutput RNN::forward(const Tensor& x, const Tensor& h0, const Tensor& mask, Loc caller) const {
  const CallerScope scope(caller);
  glimpse::detail::check_defined({&x}, "RNN");
  const auto all = cells();
  const Sizes n = check_layer_inputs("RNN", x, mask, input_size(), std::ssize(all));
  std::vector<Tensor> initial;
  for (int64_t k = 0; k < n.states; ++k)
    initial.push_back(initial_state("RNN", "h0", h0, n, hidden_size(), k));
  return run_layers(all, bidirectional() ? 2 : 1, x, initial, mask);
}

// ---- GRU -----------------------------------------------------------------------------------
GRU::GRU(int64_t input_size, int64_t hidden_size, int64_t num_layers, bool bidirectional, Generator& gen,
         Loc caller)
    : RecurrentLayers("GRU", input_size, hidden_size, num_layers, bidirectional, gen, caller) {}

RecurrentOutput GRU::forward(const Tensor& x, const Tensor& h0, const Tensor& mask, Loc caller) const {
  const CallerScope scope(caller);
  glimpse::detail::check_defined({&x}, "GRU");
  const auto all = cells();
  const Sizes n = check_layer_inputs("GRU", x, mask, input_size(), std::ssize(all));
  std::vector<Tensor> initial;
  for (int64_t k = 0; k < n.states; ++k)
    initial.push_back(initial_state("GRU", "h0", h0, n, hidden_size(), k));
  return run_layers(all, bidirectional() ? 2 : 1, x, initial, mask);
}

// ---- LSTM ----------------------------------------------------------------------------------
LSTM::LSTM(int64_t input_size, int64_t hidden_size, int64_t num_layers, bool bidirectional, Generator& gen,
           Loc caller)
    : RecurrentLayers("LSTM", input_size, hidden_size, num_layers, bidirectional, gen, caller) {}

RecurrentOutput LSTM::forward(const Tensor& x, const LSTMState& state0, const Tensor& mask,
                              Loc caller) const {
  const CallerScope scope(caller);
  glimpse::detail::check_defined({&x}, "LSTM");
  const auto all = cells();
  const Sizes n = check_layer_inputs("LSTM", x, mask, input_size(), std::ssize(all));
  check(state0.h.defined() == state0.c.defined(), "LSTM", caller,
        [] { return std::string("give both h0 and c0 in the initial state, or neither"); });
  std::vector<LSTMState> initial;
  for (int64_t k = 0; k < n.states; ++k)
    initial.push_back({initial_state("LSTM", "h0", state0.h, n, hidden_size(), k),
                       initial_state("LSTM", "c0", state0.c, n, hidden_size(), k)});
  const bool fused =
      std::all_of(all.begin(), all.end(), [](const LSTMCell* c) { return c->uses_fused_kernel(); });
  if (fused && !mask.defined() && !tracing()) return run_fused_layers(all, x, initial);
  return run_layers(all, bidirectional() ? 2 : 1, x, initial, mask);
}

void LSTM::use_fused_kernel(bool on) {
  for (LSTMCell* c : mutable_cells()) c->use_fused_kernel(on);
}

// The same layers with each direction's whole sequence in one op (lstm_sequence, issue 14): the
// input part x·W_ihᵀ of all steps as one product, then the recurrence. What a tracer sees, and the
// cell-by-cell loop above, is the reference; tests/nn/rnn_test.cpp checks the two agree.
RecurrentOutput LSTM::run_fused_layers(const std::vector<const LSTMCell*>& cells, const Tensor& x,
                                       const std::vector<LSTMState>& initial) const {
  const int64_t directions = bidirectional() ? 2 : 1, hidden = hidden_size(), steps = x.shape()[1];
  std::vector<Tensor> last_h, last_c;
  Tensor input = x;
  for (size_t first = 0; first < cells.size(); first += static_cast<size_t>(directions)) {
    std::vector<Tensor> outputs;
    for (size_t d = 0; d < static_cast<size_t>(directions); ++d) {
      const LSTMCell& cell = *cells[first + d];
      const LSTMState& s0 = initial[first + d];
      const bool reverse = d == 1;
      const Tensor states = lstm_sequence(matmul(input.contiguous(), cell.weight_ih().t()), cell.weight_hh(),
                                          cell.bias_ih(), cell.bias_hh(), s0.h, s0.c, reverse);  // [B, T, 2H]
      outputs.push_back(states.narrow(2, 0, hidden));
      const Tensor final_state = states.select(1, reverse ? 0 : steps - 1);  // [B, 2H]: h then c
      last_h.push_back(final_state.narrow(1, 0, hidden));
      last_c.push_back(final_state.narrow(1, hidden, hidden));
    }
    input = outputs.size() == 1 ? outputs[0] : cat(outputs, 2);
  }
  RecurrentOutput out;
  out.output = input;
  out.h_n = stack(last_h, 0);
  out.c_n = stack(last_c, 0);
  out.directions = directions;
  return out;
}

}  // namespace glimpse::nn
