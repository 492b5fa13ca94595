// RNN, GRU and LSTM layers: a cell unrolled over a whole sequence (torch.nn.RNN/GRU/LSTM with
// batch_first=True and one layer).
// Introduced in lesson 04 (recurrence), used by the encoders and decoders of lessons 05-07.
//
// The unrolling is a plain for loop over time steps calling the cell (see rnn.cpp), so a trace
// shows every step. With bidirectional = true a second cell reads the sequence backwards and the
// two outputs are concatenated on the last dim, forward first, as in PyTorch.
//
// Masks: mask [B, T] holds 1 for real steps and 0 for padding. At a padded step the state is
// carried over unchanged,  h_t = m·h_new + (1 − m)·h_prev,  so the last state of a padded
// sequence is its state after its last real token (and the backward direction starts at that
// token). The output at a padded position is the carried state (PyTorch's packed sequences give
// zeros there instead).
//
// Parameters are the cells' own: "cell.weight_ih", ..., and "cell_reverse.weight_ih", ... for
// the backward direction (PyTorch names these weight_ih_l0 and weight_ih_l0_reverse).
#pragma once

#include <memory>

#include "autograd/random.hpp"
#include "nn/gru_cell.hpp"
#include "nn/lstm_cell.hpp"
#include "nn/module.hpp"
#include "nn/rnn_cell.hpp"

namespace glimpse::nn {

// What a recurrent layer returns. D is 2 when bidirectional, else 1.
struct RecurrentOutput {
  Tensor output;  // [B, T, D·H]: the state after every step, both directions side by side
  Tensor h_n;     // [D, B, H]: the last state of each direction (PyTorch's h_n layout)
  Tensor c_n;     // [D, B, H]: the LSTM's last cell state (undefined for RNN and GRU)

  // The last states of all directions side by side, [B, D·H]: what a decoder usually starts from.
  Tensor last(Loc loc = Loc::current()) const;
};

class RNN : public Module {
 public:
  RNN(int64_t input_size, int64_t hidden_size, bool bidirectional = false,
      Generator& gen = default_generator(), Loc loc = Loc::current());

  // x [B, T, I]; h0 [D, B, H] (zeros when undefined); mask [B, T] of 0/1 (all ones when undefined).
  RecurrentOutput forward(const Tensor& x, const Tensor& h0 = Tensor(), const Tensor& mask = Tensor(),
                          Loc loc = Loc::current()) const;
  RecurrentOutput operator()(const Tensor& x, const Tensor& h0 = Tensor(), const Tensor& mask = Tensor(),
                             Loc loc = Loc::current()) const {
    return forward(x, h0, mask, loc);
  }

  std::string kind() const override { return "RNN"; }
  bool bidirectional() const { return cell_reverse_ != nullptr; }
  const RNNCell& cell() const { return *cell_; }
  const RNNCell* cell_reverse() const { return cell_reverse_.get(); }  // null unless bidirectional

 private:
  std::shared_ptr<RNNCell> cell_;
  std::shared_ptr<RNNCell> cell_reverse_;
};

class GRU : public Module {
 public:
  GRU(int64_t input_size, int64_t hidden_size, bool bidirectional = false,
      Generator& gen = default_generator(), Loc loc = Loc::current());

  // x [B, T, I]; h0 [D, B, H] (zeros when undefined); mask [B, T] of 0/1 (all ones when undefined).
  RecurrentOutput forward(const Tensor& x, const Tensor& h0 = Tensor(), const Tensor& mask = Tensor(),
                          Loc loc = Loc::current()) const;
  RecurrentOutput operator()(const Tensor& x, const Tensor& h0 = Tensor(), const Tensor& mask = Tensor(),
                             Loc loc = Loc::current()) const {
    return forward(x, h0, mask, loc);
  }

  std::string kind() const override { return "GRU"; }
  bool bidirectional() const { return cell_reverse_ != nullptr; }
  const GRUCell& cell() const { return *cell_; }
  const GRUCell* cell_reverse() const { return cell_reverse_.get(); }  // null unless bidirectional

 private:
  std::shared_ptr<GRUCell> cell_;
  std::shared_ptr<GRUCell> cell_reverse_;
};

class LSTM : public Module {
 public:
  LSTM(int64_t input_size, int64_t hidden_size, bool bidirectional = false,
       Generator& gen = default_generator(), Loc loc = Loc::current());

  // x [B, T, I]; state0 {h [D, B, H], c [D, B, H]} (zeros when undefined); mask [B, T] of 0/1.
  RecurrentOutput forward(const Tensor& x, const LSTMState& state0 = {}, const Tensor& mask = Tensor(),
                          Loc loc = Loc::current()) const;
  RecurrentOutput operator()(const Tensor& x, const LSTMState& state0 = {}, const Tensor& mask = Tensor(),
                             Loc loc = Loc::current()) const {
    return forward(x, state0, mask, loc);
  }

  std::string kind() const override { return "LSTM"; }
  bool bidirectional() const { return cell_reverse_ != nullptr; }
  const LSTMCell& cell() const { return *cell_; }
  const LSTMCell* cell_reverse() const { return cell_reverse_.get(); }  // null unless bidirectional

 private:
  std::shared_ptr<LSTMCell> cell_;
  std::shared_ptr<LSTMCell> cell_reverse_;
};

}  // namespace glimpse::nn
