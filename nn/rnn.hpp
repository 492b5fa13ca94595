// RNN, GRU and LSTM layers: cells unrolled over a whole sequence, torch.nn.RNN/GRU/LSTM with
// batch_first=True, num_layers and bidirectional (no dropout between layers, no proj_size).
// Introduced in lesson 04 (recurrence), used by the encoders and decoders of lessons 05-07.
//
// The unrolling is a plain for loop over time steps calling the cell (see rnn.cpp), so a trace
// shows every step. (Untraced and unmasked, LSTM runs each direction's sequence as one fused op,
// lstm_sequence, with the same outputs: LSTM::use_fused_kernel.) With bidirectional = true a second cell
// reads the sequence backwards and the two outputs are concatenated on the last dim, forward first, as in
// PyTorch. With num_layers = L each layer reads the outputs of the layer below (layer 0 reads x).
//
// Masks: mask [B, T] holds 1 for real steps and 0 for padding. At a padded step the state is
// carried over unchanged,  h_t = m·h_new + (1 − m)·h_prev,  so the last state of a padded
// sequence is its state after its last real token (and the backward direction starts at that
// token). The output at a padded position is the carried state (PyTorch's packed sequences give
// zeros there instead).
//
// Parameters carry PyTorch's names, so torch.nn.GRU(...).load_state_dict() takes a Glimpse
// checkpoint unchanged: weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, then
// weight_ih_l0_reverse, ... when bidirectional, then weight_ih_l1, ... for the next layer. They are
// the tensors of the cells that compute each step, children "cell_l0", "cell_l0_reverse",
// "cell_l1", ... (named_parameters() lists a shared tensor once, under its first name, as
// PyTorch does).
#pragma once

#include <memory>
#include <vector>

#include "autograd/random.hpp"
#include "nn/gru_cell.hpp"
#include "nn/lstm_cell.hpp"
#include "nn/module.hpp"
#include "nn/rnn_cell.hpp"

namespace glimpse::nn {

// What a recurrent layer returns. D is 2 when bidirectional, else 1; L is num_layers.
struct RecurrentOutput {
  Tensor output;  // [B, T, D·H]: the top layer's state after every step, both directions side by side
  Tensor h_n;     // [L·D, B, H]: the last state of each layer and direction (PyTorch's h_n layout:
                  // l0, l0_reverse, l1, ...)
  Tensor c_n;     // [L·D, B, H]: the LSTM's last cell states (undefined for RNN and GRU)
  int64_t directions = 1;  // D

  // The top layer's last states, directions side by side, [B, D·H]: what a decoder usually starts from.
  Tensor last(Loc caller = Loc::current()) const;
};

namespace detail {
// What RNN, GRU and LSTM share: num_layers × directions cells, created (and so initialised from
// `gen`) in PyTorch's order l0, l0_reverse, l1, ..., their tensors registered under PyTorch's names.
template <class Cell>
class RecurrentLayers : public Module {
 public:
  int64_t input_size() const { return cells_.front()->input_size(); }
  int64_t hidden_size() const { return cells_.front()->hidden_size(); }
  int64_t num_layers() const { return num_layers_; }
  bool bidirectional() const { return directions_ == 2; }
  // The cell of layer `layer` (0 reads x) that reads the sequence forwards, or backwards.
  const Cell& cell(int64_t layer = 0, bool reverse = false, Loc caller = Loc::current()) const;

 protected:
  RecurrentLayers(const char* name, int64_t input_size, int64_t hidden_size, int64_t num_layers,
                  bool bidirectional, Generator& gen, Loc caller);
  std::vector<const Cell*> cells() const;  // l0, l0_reverse, l1, ...
  std::vector<Cell*> mutable_cells();

 private:
  std::vector<std::shared_ptr<Cell>> cells_;
  int64_t num_layers_, directions_;
};
}  // namespace detail

class RNN : public detail::RecurrentLayers<RNNCell> {
 public:
  RNN(int64_t input_size, int64_t hidden_size, int64_t num_layers = 1, bool bidirectional = false,
      Generator& gen = default_generator(), Loc caller = Loc::current());

  // x [B, T, I]; h0 [L·D, B, H] (zeros when undefined); mask [B, T] of 0/1 (all ones when undefined).
  RecurrentOutput forward(const Tensor& x, const Tensor& h0 = Tensor(), const Tensor& mask = Tensor(),
                          Loc caller = Loc::current()) const;
  RecurrentOutput operator()(const Tensor& x, const Tensor& h0 = Tensor(), const Tensor& mask = Tensor(),
                             Loc caller = Loc::current()) const {
    return forward(x, h0, mask, caller);
  }

  std::string kind() const override { return "RNN"; }
};

class GRU : public detail::RecurrentLayers<GRUCell> {
 public:
  GRU(int64_t input_size, int64_t hidden_size, int64_t num_layers = 1, bool bidirectional = false,
      Generator& gen = default_generator(), Loc caller = Loc::current());

  // x [B, T, I]; h0 [L·D, B, H] (zeros when undefined); mask [B, T] of 0/1 (all ones when undefined).
  RecurrentOutput forward(const Tensor& x, const Tensor& h0 = Tensor(), const Tensor& mask = Tensor(),
                          Loc caller = Loc::current()) const;
  RecurrentOutput operator()(const Tensor& x, const Tensor& h0 = Tensor(), const Tensor& mask = Tensor(),
                             Loc caller = Loc::current()) const {
    return forward(x, h0, mask, caller);
  }

  std::string kind() const override { return "GRU"; }
};

class LSTM : public detail::RecurrentLayers<LSTMCell> {
 public:
  LSTM(int64_t input_size, int64_t hidden_size, int64_t num_layers = 1, bool bidirectional = false,
       Generator& gen = default_generator(), Loc caller = Loc::current());

  // x [B, T, I]; state0 {h [L·D, B, H], c [L·D, B, H]} (zeros when undefined); mask [B, T] of 0/1.
  RecurrentOutput forward(const Tensor& x, const LSTMState& state0 = {}, const Tensor& mask = Tensor(),
                          Loc caller = Loc::current()) const;
  RecurrentOutput operator()(const Tensor& x, const LSTMState& state0 = {}, const Tensor& mask = Tensor(),
                             Loc caller = Loc::current()) const {
    return forward(x, state0, mask, caller);
  }

  std::string kind() const override { return "LSTM"; }

  // Without a mask, each direction's sequence runs as one fused op (lstm_sequence, issue 14)
  // unless a tracer is attached or this is turned off (for every cell, whose steps then run one
  // by one as the readable composition). The outputs have the same bits either way; the weight
  // gradients add the same terms in another order (tests/nn/rnn_test.cpp).
  void use_fused_kernel(bool on);

 private:
  // forward without a mask or a tracer: each direction's sequence as one lstm_sequence op.
  RecurrentOutput run_fused_layers(const std::vector<const LSTMCell*>& cells, const Tensor& x,
                                   const std::vector<LSTMState>& initial) const;
};

}  // namespace glimpse::nn
