// Masks that tell attention where it may not look: padding (lesson 06) and the future (lesson 10).
//
// Convention (the same in every Glimpse attention, as PyTorch's boolean masks): float tensors of
// 0 and 1, where 1 = masked out (torch: True, "not allowed") and 0 = may attend.
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace glimpse::nn {

// [T, T] with 1 above the diagonal: query t may look at keys 0..t only (a decoder must not see
// the tokens it has yet to predict). torch.nn.Transformer.generate_square_subsequent_mask, as 0/1.
Tensor causal_mask(int64_t size, Loc loc = Loc::current());

// [B, max_len] with 1 at the padding positions: row b is 0 for its first lengths[b] positions
// and 1 after them. A key padding mask for attention over a padded batch.
Tensor padding_mask(const std::vector<int64_t>& lengths, int64_t max_len, Loc loc = Loc::current());

}  // namespace glimpse::nn
