// Issue 14 (performance); the equations are lesson 04's LSTM cell (nn/lstm_cell.hpp).
// The gate arithmetic of one LSTM step as a single op, as fused_gru.cpp is the GRU's. nn::LSTMCell
// composes the same equations from ~15 small ops (readable, and what the tracer shows); this op
// computes them in one pass over the batch and writes its backward by hand. Every line below is
// the composed op's own formula in the composed op's order, so the two give the same bits, forward
// and backward (tests/autograd/fused_lstm_test.cpp checks it).
//
// With gates = (x·W_ihᵀ + b_ih) + (h·W_hhᵀ + b_hh), split into i, f, g, o quarters:
//   i = σ(gates_i),  f = σ(gates_f),  g = tanh(gates_g),  o = σ(gates_o)
//   c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c')
// The op returns h' and c' side by side, [B, 2H]: one tensor, so one node on the tape.
//
// lstm_sequence, below, runs the same step over a whole sequence in one op (nn::LSTM's fast path).
#include <fmt/format.h>

#include "autograd/kernels/gemm.hpp"
#include "autograd/kernels/vector_math.hpp"
#include "autograd/ops.hpp"
#include "autograd/tape.hpp"

namespace glimpse {

using detail::Node;

namespace {

// One batch row of the forward pass; `saved` receives i, f, g, o and tanh(c'), H values each.
void lstm_forward_row(const float* __restrict a, const float* __restrict b, const float* __restrict bias_i,
                      const float* __restrict bias_h, const float* __restrict c, float* __restrict out,
                      float* __restrict saved, int64_t hidden) {
  // a and b hold the gates' input and state parts in PyTorch's order i, f, g, o, H values each.
  const int64_t F = hidden, G = 2 * hidden, O = 3 * hidden;
  // Seven outputs and seventeen inputs are more pairs than GCC checks for overlap before it
  // vectorises; the pointers never overlap (__restrict), and this says the loop may vectorise.
#pragma omp simd
  for (int64_t j = 0; j < hidden; ++j) {
    const float i = detail::vec_sigmoid((a[j] + bias_i[j]) + (b[j] + bias_h[j]));
    const float f = detail::vec_sigmoid((a[F + j] + bias_i[F + j]) + (b[F + j] + bias_h[F + j]));
    const float g = detail::vec_tanh((a[G + j] + bias_i[G + j]) + (b[G + j] + bias_h[G + j]));
    const float o = detail::vec_sigmoid((a[O + j] + bias_i[O + j]) + (b[O + j] + bias_h[O + j]));
    const float c_next = f * c[j] + i * g;
    const float tanh_c = detail::vec_tanh(c_next);
    out[j] = o * tanh_c, out[hidden + j] = c_next;
    saved[j] = i, saved[hidden + j] = f, saved[2 * hidden + j] = g, saved[3 * hidden + j] = o;
    saved[4 * hidden + j] = tanh_c;
  }
}

// One batch row of the backward pass: d_gates [4H] and dc [H] from dout [2H], the gradients
// reaching h' and c' (c' also feeds the next step, whose gradient arrives here first).
void lstm_backward_row(const float* __restrict dout, const float* __restrict c, const float* __restrict saved,
                       float* __restrict d_gates, float* __restrict dc, int64_t hidden) {
  //   d_o = dh'·tanh c',  dc' += (dh'·o)(1 − tanh² c')
  //   d_f = dc'·c,  d_i = dc'·g,  d_g = dc'·i,  dc = dc'·f
  //   through σ: d·y(1 − y);  through tanh: d(1 − y²)
  for (int64_t j = 0; j < hidden; ++j) {
    const float i = saved[j], f = saved[hidden + j], g = saved[2 * hidden + j], o = saved[3 * hidden + j];
    const float tanh_c = saved[4 * hidden + j];
    const float dh = dout[j];
    const float d_o = dh * tanh_c;
    const float d_c_next = dout[hidden + j] + (dh * o) * (1.0f - tanh_c * tanh_c);
    const float d_f = d_c_next * c[j], d_i = d_c_next * g, d_g = d_c_next * i;
    d_gates[j] = d_i * i * (1.0f - i);
    d_gates[hidden + j] = d_f * f * (1.0f - f);
    d_gates[2 * hidden + j] = d_g * (1.0f - g * g);
    d_gates[3 * hidden + j] = d_o * o * (1.0f - o);
    dc[j] = d_c_next * f;
  }
}

}  // namespace

Tensor lstm_cell_gates(const Tensor& input_part, const Tensor& hidden_part, const Tensor& bias_ih,
                       const Tensor& bias_hh, const Tensor& c, Loc loc) {
  const bool shapes_ok = c.defined() && c.dim() == 2 && input_part.defined() && hidden_part.defined() &&
                         bias_ih.defined() && bias_hh.defined() &&
                         input_part.shape() == Shape{c.shape()[0], 4 * c.shape()[1]} &&
                         hidden_part.shape() == input_part.shape() &&
                         bias_ih.shape() == Shape{4 * c.shape()[1]} && bias_hh.shape() == bias_ih.shape();
  detail::check(shapes_ok, "lstm_cell_gates", loc, [&] {
    auto name = [](const Tensor& t) { return t.defined() ? to_string(t.shape()) : std::string("undefined"); };
    return fmt::format(
        "expected x·W_ihᵀ [B, 4H], h·W_hhᵀ [B, 4H], b_ih [4H], b_hh [4H] and c [B, H]; got {}, {}, {}, {} "
        "and {}",
        name(input_part), name(hidden_part), name(bias_ih), name(bias_hh), name(c));
  });
  const int64_t batch = c.shape()[0], hidden = c.shape()[1];
  const Tensor a = input_part.contiguous(), b = hidden_part.contiguous(), bi = bias_ih.contiguous(),
               bh = bias_hh.contiguous(), cc = c.contiguous();
  Tensor out = detail::empty({batch, 2 * hidden});
  Tensor saved = detail::empty({batch, 5 * hidden});  // per row: i, f, g, o, tanh(c')
  for (int64_t r = 0; r < batch; ++r)
    lstm_forward_row(a.data() + r * 4 * hidden, b.data() + r * 4 * hidden, bi.data(), bh.data(),
                     cc.data() + r * hidden, out.data() + r * 2 * hidden, saved.data() + r * 5 * hidden,
                     hidden);
  detail::record(out, "lstm_cell_gates", {input_part, hidden_part, bias_ih, bias_hh, c},
                 [saved, batch, hidden](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
                   const Tensor& input_part = result.inputs[0];
                   const Tensor& hidden_part = result.inputs[1];
                   const Tensor& bias_ih = result.inputs[2];
                   const Tensor& bias_hh = result.inputs[3];
                   const Tensor& c = result.inputs[4];
                   Tensor& d_input_part = grads[0];
                   Tensor& d_hidden_part = grads[1];
                   Tensor& d_bias_ih = grads[2];
                   Tensor& d_bias_hh = grads[3];
                   Tensor& d_c = grads[4];
                   const Tensor dout = grad.contiguous();
                   const Tensor cc = c.contiguous();
                   Tensor d_gates = detail::empty({batch, 4 * hidden});
                   Tensor dc = detail::empty({batch, hidden});
                   for (int64_t r = 0; r < batch; ++r)
                     lstm_backward_row(dout.data() + r * 2 * hidden, cc.data() + r * hidden,
                                       saved.data() + r * 5 * hidden, d_gates.data() + r * 4 * hidden,
                                       dc.data() + r * hidden, hidden);
                   // gates = (input_part + bias_ih) + (hidden_part + bias_hh): both parts get d_gates,
                   // each bias its sum over the batch (as sum_to_shape sums a broadcast bias's).
                   if (input_part.requires_grad()) d_input_part = d_gates;
                   if (hidden_part.requires_grad()) d_hidden_part = d_gates;
                   if (bias_ih.requires_grad() || bias_hh.requires_grad()) {
                     const Tensor d_bias = sum(d_gates, {0});  // the same sum for both: computed once
                     if (bias_ih.requires_grad()) d_bias_ih = d_bias;
                     if (bias_hh.requires_grad()) d_bias_hh = d_bias;
                   }
                   if (c.requires_grad()) d_c = dc;
                 });
  return out;
}

// ---- the whole sequence in one op --------------------------------------------------------
// nn::LSTM without a tracer: the input part x_t·W_ihᵀ of every step is one product made by the
// caller (one matmul over B·T rows instead of T small ones), and this op runs the recurrence over
// it, step by step, with lstm_forward_row. Backward is backpropagation through time written out:
// each step's d_gates from the rows above, d_h(t−1) = d_gates·W_hh, and the weight gradient once
// at the end, dW_hh = Σ_t d_gates(t)ᵀ·h(t−1), as one product over all B·T rows, instead of a
// [4H, H] product and a [4H, H] sum at every step.
//
// The forward gives the bits of the step-by-step composition (each element of every product is
// the same chain of FMAs, gemm.hpp); the weight and bias gradients add the same terms in another
// order, so they agree to rounding (tests/autograd/fused_lstm_test.cpp: 1e-5).
Tensor lstm_sequence(const Tensor& input_part, const Tensor& weight_hh, const Tensor& bias_ih,
                     const Tensor& bias_hh, const Tensor& h0, const Tensor& c0, bool reverse, Loc loc) {
  const bool shapes_ok = input_part.defined() && weight_hh.defined() && bias_ih.defined() &&
                         bias_hh.defined() && h0.defined() && c0.defined() && h0.dim() == 2 &&
                         input_part.dim() == 3 && input_part.shape()[1] >= 1 && c0.shape() == h0.shape() &&
                         input_part.shape()[0] == h0.shape()[0] &&
                         input_part.shape()[2] == 4 * h0.shape()[1] &&
                         weight_hh.shape() == Shape{4 * h0.shape()[1], h0.shape()[1]} &&
                         bias_ih.shape() == Shape{4 * h0.shape()[1]} && bias_hh.shape() == bias_ih.shape();
  detail::check(shapes_ok, "lstm_sequence", loc, [&] {
    auto name = [](const Tensor& t) { return t.defined() ? to_string(t.shape()) : std::string("undefined"); };
    return fmt::format(
        "expected x·W_ihᵀ [B, T >= 1, 4H], W_hh [4H, H], b_ih [4H], b_hh [4H], h0 [B, H] and c0 [B, H]; got "
        "{}, {}, {}, {}, {} and {}",
        name(input_part), name(weight_hh), name(bias_ih), name(bias_hh), name(h0), name(c0));
  });
  const int64_t batch = h0.shape()[0], hidden = h0.shape()[1], steps = input_part.shape()[1];
  const int64_t gates = 4 * hidden, state = 2 * hidden;  // a row of gates; a row of h then c
  const Tensor x_part = input_part.contiguous(), w = weight_hh.contiguous(), bi = bias_ih.contiguous(),
               bh = bias_hh.contiguous(), h_start = h0.contiguous(), c_start = c0.contiguous();
  Tensor out = detail::empty({batch, steps, state});         // h(t) and c(t) for every step
  Tensor before = detail::empty({batch, steps, state});      // h(t−1) and c(t−1): what backward reads
  Tensor saved = detail::empty({batch, steps, 5 * hidden});  // i, f, g, o, tanh c(t)
  float *out_p = out.data(), *before_p = before.data(), *saved_p = saved.data();
  std::vector<float> hidden_part(static_cast<size_t>(batch * gates));
  for (int64_t k = 0; k < steps; ++k) {
    const int64_t t = reverse ? steps - 1 - k : k, previous = reverse ? t + 1 : t - 1;
    for (int64_t b = 0; b < batch; ++b) {
      const float* h = k == 0 ? h_start.data() + b * hidden : out_p + (b * steps + previous) * state;
      const float* c = k == 0 ? c_start.data() + b * hidden : out_p + (b * steps + previous) * state + hidden;
      float* dst = before_p + (b * steps + t) * state;
      std::copy_n(h, hidden, dst), std::copy_n(c, hidden, dst + hidden);
    }
    // h(t−1)·W_hhᵀ for the whole batch: W_hh [4H, H] read in place as its transpose.
    detail::gemm(batch, gates, hidden, {before_p + t * state, steps * state, false}, {w.data(), hidden, true},
                 0.0f, hidden_part.data(), gates);
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t at = b * steps + t;  // row (b, t)
      lstm_forward_row(x_part.data() + at * gates, hidden_part.data() + b * gates, bi.data(), bh.data(),
                       before_p + at * state + hidden, out_p + at * state, saved_p + at * 5 * hidden, hidden);
    }
  }
  detail::record(
      out, "lstm_sequence", {input_part, weight_hh, bias_ih, bias_hh, h0, c0},
      [before, saved, batch, hidden, steps, reverse](const Node& result, const Tensor& grad,
                                                     std::span<Tensor> grads) {
        const int64_t gates = 4 * hidden, state = 2 * hidden;
        const auto& in = result.inputs;  // x·W_ihᵀ, W_hh, b_ih, b_hh, h0, c0
        const Tensor dout = grad.contiguous(), w = in[1].contiguous();
        Tensor d_gates = detail::empty({batch, steps, gates});
        std::vector<float> d_state(static_cast<size_t>(batch * state));  // per row: dh(t) and dc(t) in full
        Tensor dh_carry = zeros({batch, hidden}), dc_carry = zeros({batch, hidden});  // from step t+1
        const bool need_dh0 = in[4].requires_grad();
        float *dh = dh_carry.data(), *dc = dc_carry.data(), *dg = d_gates.data();
        for (int64_t k = steps - 1; k >= 0; --k) {
          const int64_t t = reverse ? steps - 1 - k : k;
          for (int64_t b = 0; b < batch; ++b) {
            const int64_t at = b * steps + t;  // row (b, t)
            // What reaches h(t) and c(t): from above (the output) and from step t+1.
            const float* g = dout.data() + at * state;
            float* d = d_state.data() + b * state;
            for (int64_t j = 0; j < hidden; ++j)
              d[j] = g[j] + dh[b * hidden + j], d[hidden + j] = g[hidden + j] + dc[b * hidden + j];
            lstm_backward_row(d, before.data() + at * state + hidden, saved.data() + at * 5 * hidden,
                              dg + at * gates, dc + b * hidden, hidden);
          }
          // dh(t−1) = d_gates(t)·W_hh, for the step before (or h0).
          if (k > 0 || need_dh0)
            detail::gemm(batch, hidden, gates, {dg + t * gates, steps * gates, false},
                         {w.data(), hidden, false}, 0.0f, dh, hidden);
        }
        if (in[0].requires_grad()) grads[0] = d_gates;
        if (in[1].requires_grad()) {
          // dW_hh = Σ over every row (b, t) of d_gates(b, t)ᵀ·h(b, t−1): [4H, B·T]·[B·T, H].
          Tensor dw = detail::empty({gates, hidden});
          detail::gemm(gates, hidden, batch * steps, {d_gates.data(), gates, true},
                       {before.data(), state, false}, 0.0f, dw.data(), hidden);
          grads[1] = dw;
        }
        if (in[2].requires_grad() || in[3].requires_grad()) {
          const Tensor d_bias = sum(d_gates.reshape({batch * steps, gates}), {0});
          if (in[2].requires_grad()) grads[2] = d_bias;
          if (in[3].requires_grad()) grads[3] = d_bias;
        }
        if (need_dh0) grads[4] = dh_carry;
        if (in[5].requires_grad()) grads[5] = dc_carry;
      });
  return out;
}

}  // namespace glimpse
