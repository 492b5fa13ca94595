// Masked softmax: attention weights that never go to padding or to the future.
// Introduced in lesson 06 (Bahdanau attention over padded batches); reused by every attention.
//
// Masks (see nn/attention_mask.hpp) are read by their values, as PyTorch reads its two kinds:
//   0/1 mask:       weights = softmax(masked_fill(scores, mask, −inf), dim)   1 = masked out
//   additive mask:  weights = softmax(scores + mask, dim)       values <= 0; −inf = masked out
// Masked positions get exactly weight 0. A value that fits neither (0.5, NaN, ...) is an error.
//
// A fully masked row (every position masked: e.g. a query that may look at nothing) would make
// softmax compute 0/0 = NaN. Here such a row gets all-zero weights (and so a zero context) and
// a zero gradient, instead of NaN garbage (PyTorch gives NaN); `fully_masked_rows` lets callers
// detect it.
#pragma once

#include "autograd/ops.hpp"
#include "autograd/tensor.hpp"

namespace glimpse::nn {

// softmax(scores) along `dim` with masked positions set to weight 0. `mask` (optional: an
// undefined Tensor means no mask) must broadcast to scores' shape and must not require grad.
Tensor masked_softmax(const Tensor& scores, const Tensor& mask, int64_t dim = -1,
                      Loc caller = Loc::current());

// 1 where every position along `dim` of the mask (broadcast to `shape`) is masked (1 in a 0/1
// mask, −inf in an additive one), else 0;
// the result has `shape` with `dim` reduced to size 1. Not differentiable (masks carry no grad).
Tensor fully_masked_rows(const Tensor& mask, const Shape& shape, int64_t dim = -1,
                         Loc caller = Loc::current());

}  // namespace glimpse::nn
