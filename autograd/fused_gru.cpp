// Issue 6 (performance); the equations are lesson 04's GRU cell (nn/gru_cell.hpp).
// The gate arithmetic of one GRU step as a single op. nn::GRUCell composes the same equations
// from ~15 small ops (readable, and what the tracer shows); this op computes them in one pass
// over the batch and writes its backward by hand, which makes a small model's training step
// several times cheaper. tests/autograd/fused_gru_test.cpp checks it against the composition.
//
// With a = x·W_ihᵀ + b_ih and b = h·W_hhᵀ + b_hh, each split into r, z, n thirds:
//   r = σ(a_r + b_r),  z = σ(a_z + b_z),  n = tanh(a_n + r ⊙ b_n),  h' = (1 − z) ⊙ n + z ⊙ h
// The backward (gates_backward_row, exercise `fused_gru` in docs/exercises.md) is the chain rule
// through those four lines; the biases get the batch sums of da and db.
#include <fmt/format.h>

#include "autograd/kernels/vector_math.hpp"
#include "autograd/ops.hpp"
#include "autograd/tape.hpp"

namespace glimpse {

using detail::Node;

namespace {

// One batch row of the forward pass. The pointers never overlap (__restrict), which lets the
// compiler vectorise the loop; `saved` receives r, z, n and b_n, H values each.
void gates_forward_row(const float* __restrict a, const float* __restrict b, const float* __restrict bias_i,
                       const float* __restrict bias_h, const float* __restrict h, float* __restrict out,
                       float* __restrict saved, int64_t hidden) {
  for (int64_t j = 0; j < hidden; ++j) {
    const float r = detail::vec_sigmoid((a[j] + bias_i[j]) + (b[j] + bias_h[j]));
    const float z = detail::vec_sigmoid((a[hidden + j] + bias_i[hidden + j]) + (b[hidden + j] + bias_h[hidden + j]));
    const float bn = b[2 * hidden + j] + bias_h[2 * hidden + j];
    const float n = detail::vec_tanh((a[2 * hidden + j] + bias_i[2 * hidden + j]) + r * bn);
    out[j] = (1.0f - z) * n + z * h[j];
    saved[j] = r, saved[hidden + j] = z, saved[2 * hidden + j] = n, saved[3 * hidden + j] = bn;
  }
}

// One batch row of the backward pass: da, db [3H] and dh [H] from dout [H], the gradient dh'
// reaching the row's output h' (`out` in the forward).
void gates_backward_row(const float* __restrict dout, const float* __restrict h,
                        const float* __restrict saved, float* __restrict da, float* __restrict db,
                        float* __restrict dh, int64_t hidden) {
  // For an upstream gradient dh':
  //   dn = dh' ⊙ (1 − z),  dz = dh' ⊙ (h − n),  dh = dh' ⊙ z
  //   da_n = dn ⊙ (1 − n²),  da_z = dz ⊙ z(1 − z),  da_r = (da_n ⊙ b_n) ⊙ r(1 − r)
  //   db_r = da_r,  db_z = da_z,  db_n = da_n ⊙ r
  for (int64_t j = 0; j < hidden; ++j) {
    const float r = saved[j], z = saved[hidden + j], n = saved[2 * hidden + j], bn = saved[3 * hidden + j];
    const float da_n = dout[j] * (1.0f - z) * (1.0f - n * n);
    const float da_z = dout[j] * (h[j] - n) * z * (1.0f - z);
    const float da_r = da_n * bn * r * (1.0f - r);
    da[j] = da_r, da[hidden + j] = da_z, da[2 * hidden + j] = da_n;
    db[j] = da_r, db[hidden + j] = da_z, db[2 * hidden + j] = da_n * r;
    dh[j] = dout[j] * z;
  }
}

}  // namespace

Tensor gru_cell_gates(const Tensor& input_part, const Tensor& hidden_part, const Tensor& bias_ih,
                      const Tensor& bias_hh, const Tensor& h, Loc loc) {
  const bool shapes_ok = h.defined() && h.dim() == 2 && input_part.defined() && hidden_part.defined() &&
                         bias_ih.defined() && bias_hh.defined() &&
                         input_part.shape() == Shape{h.shape()[0], 3 * h.shape()[1]} &&
                         hidden_part.shape() == input_part.shape() && bias_ih.shape() == Shape{3 * h.shape()[1]} &&
                         bias_hh.shape() == bias_ih.shape();
  detail::check(shapes_ok, "gru_cell_gates", loc, [&] {
    auto name = [](const Tensor& t) { return t.defined() ? to_string(t.shape()) : std::string("undefined"); };
    return fmt::format(
        "expected x·W_ihᵀ [B, 3H], h·W_hhᵀ [B, 3H], b_ih [3H], b_hh [3H] and h [B, H]; got {}, {}, {}, {} and {}",
        name(input_part), name(hidden_part), name(bias_ih), name(bias_hh), name(h));
  });
  const int64_t batch = h.shape()[0], hidden = h.shape()[1];
  const Tensor a = input_part.contiguous(), b = hidden_part.contiguous(), bi = bias_ih.contiguous(),
               bh = bias_hh.contiguous(), hc = h.contiguous();
  Tensor out = detail::empty({batch, hidden});
  // Saved for backward, per batch row: r, z, n and b_n (the hidden part of n, bias included).
  Tensor saved = detail::empty({batch, 4 * hidden});
  for (int64_t i = 0; i < batch; ++i)
    gates_forward_row(a.data() + i * 3 * hidden, b.data() + i * 3 * hidden, bi.data(), bh.data(),
                      hc.data() + i * hidden, out.data() + i * hidden, saved.data() + i * 4 * hidden, hidden);
  detail::record(out, "gru_cell_gates", {input_part, hidden_part, bias_ih, bias_hh, h},
                 [saved, batch, hidden](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
                   const Tensor& input_part = result.inputs[0];
                   const Tensor& hidden_part = result.inputs[1];
                   const Tensor& bias_ih = result.inputs[2];
                   const Tensor& bias_hh = result.inputs[3];
                   const Tensor& h = result.inputs[4];
                   Tensor& d_input_part = grads[0];
                   Tensor& d_hidden_part = grads[1];
                   Tensor& d_bias_ih = grads[2];
                   Tensor& d_bias_hh = grads[3];
                   Tensor& d_h = grads[4];
                   const Tensor dout = grad.contiguous();
                   const Tensor hc = h.contiguous();
                   Tensor da = detail::empty({batch, 3 * hidden});  // d(x·W_ihᵀ + b_ih)
                   Tensor db = detail::empty({batch, 3 * hidden});  // d(h·W_hhᵀ + b_hh)
                   Tensor dh = detail::empty({batch, hidden});
                   for (int64_t i = 0; i < batch; ++i)
                     gates_backward_row(dout.data() + i * hidden, hc.data() + i * hidden,
                                        saved.data() + i * 4 * hidden, da.data() + i * 3 * hidden,
                                        db.data() + i * 3 * hidden, dh.data() + i * hidden, hidden);
                   // a = input_part + bias_ih, b = hidden_part + bias_hh: each part gets da or db, each
                   // bias its sum over the batch.
                   if (input_part.requires_grad()) d_input_part = da;
                   if (hidden_part.requires_grad()) d_hidden_part = db;
                   if (bias_ih.requires_grad()) d_bias_ih = sum(da, {0});
                   if (bias_hh.requires_grad()) d_bias_hh = sum(db, {0});
                   if (h.requires_grad()) d_h = dh;
                 });
  return out;
}

}  // namespace glimpse
