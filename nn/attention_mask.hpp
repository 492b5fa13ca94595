// Masks that tell attention where it may not look: padding (lesson 06) and the future (lesson 10).
//
// A mask is a float tensor read by its values, the same way in every Glimpse attention:
//   a 0/1 mask   1 = masked out, 0 = may attend (PyTorch's boolean masks in MultiheadAttention,
//                where True = not allowed). causal_mask and padding_mask make these.
//   an additive  every value <= 0, added to the scores before the softmax, as PyTorch's float
//   mask         masks: 0 leaves a score alone, −0.5 lowers it, −inf masks it out.
// Anything else (0.5, 2, NaN, a 1 beside negative values) could mean either and is an error. An
// all-zero mask reads the same both ways: nothing is masked.
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace glimpse::nn {

// [T, T] with 1 above the diagonal: query t may look at keys 0..t only (a decoder must not see
// the tokens it has yet to predict). torch.nn.Transformer.generate_square_subsequent_mask, as 0/1.
Tensor causal_mask(int64_t size, Loc caller = Loc::current());

// [B, max_len] with 1 at the padding positions: row b is 0 for its first lengths[b] positions
// and 1 after them. A key padding mask for attention over a padded batch.
Tensor padding_mask(const std::vector<int64_t>& lengths, int64_t max_len, Loc caller = Loc::current());

enum class MaskKind { zero_one, additive };

// How `mask` reads (see above); a glimpse::Error naming `op` and the first ambiguous value otherwise.
MaskKind mask_kind(const Tensor& mask, const char* op = "mask_kind", Loc caller = Loc::current());

// The additive form of any mask: a 0/1 mask becomes 0/−inf, an additive mask stays as it is.
Tensor additive_mask(const Tensor& mask, const char* op = "additive_mask", Loc caller = Loc::current());

// Two masks as one, broadcast together: two 0/1 masks give 1 where either is 1 (their sum would
// hold 2, which no mask may); otherwise the sum of their additive forms (PyTorch adds a float
// attn_mask to a key_padding_mask's −inf). E.g. combine_masks(padding, causal_mask(T)).
Tensor combine_masks(const Tensor& a, const Tensor& b, const char* op = "combine_masks",
                     Loc caller = Loc::current());

}  // namespace glimpse::nn
