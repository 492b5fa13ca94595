// Scaled dot-product attention: every query scores every key, the scores become weights, and the
// weights average the values. Introduced in lesson 09 (self-attention); the multi-head attention
// and the Transformer of lesson 10 are built on it.
//
//   scores  = q · kᵀ / √d                    q [..., T, d], k [..., S, d]  → [..., T, S]
//   weights = softmax over S of the scores, masked positions set to 0 (see masked_softmax.hpp)
//   context = weights · v                    v [..., S, d_v]               → [..., T, d_v]
//
// `masked_out` is broadcastable to [..., T, S] and read as every Glimpse mask (nn/attention_mask.hpp):
// a 0/1 mask with 1 = masked out, or an additive mask (0, −0.5, −inf) added to the scores. The
// additive form is exactly torch.nn.functional.scaled_dot_product_attention's float attn_mask. A
// 0/1 mask means the OPPOSITE of torch's boolean attn_mask, where True = may attend: for a torch
// boolean mask `allowed`, pass 1 − allowed. (Torch's MultiheadAttention reads True as masked out,
// as Glimpse does.) A query whose whole row is masked gets all-zero weights and a zero context
// (PyTorch would give NaN).
#pragma once

#include "autograd/ops.hpp"
#include "autograd/random.hpp"
#include "autograd/tensor.hpp"

namespace glimpse::nn {

// What every attention in Glimpse returns: the weights are an output, never hidden.
struct AttentionOutput {
  Tensor context;  // the weighted average of the values, one per query
  Tensor weights;  // how much each query looked at each key; each unmasked row sums to 1
};

// Leading (batch, head) dims of q, k and v broadcast as in matmul. `masked_out` may be undefined.
// With dropout_p > 0 the weights are dropped out (and rescaled) before they average the values,
// as in PyTorch's training mode; the returned weights are the ones before dropout, so they still
// sum to 1 (PyTorch's MultiheadAttention returns them after dropout). Pass dropout_p = 0 in
// evaluation.
AttentionOutput scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                             const Tensor& masked_out = Tensor(), float dropout_p = 0.0f,
                                             Generator& gen = default_generator(),
                                             Loc caller = Loc::current());

}  // namespace glimpse::nn
