// Gradient-norm clipping: rescale all gradients together when their overall size is too large
// (torch.nn.utils.clip_grad_norm_). Recurrent networks need it: backprop through many steps can
// multiply a gradient into an explosion.
// Introduced in lesson 04 (recurrence).
#pragma once

#include <vector>

#include "autograd/tensor.hpp"

namespace glimpse::nn {

// total = √(Σ over all parameters' grads of g²). If total > max_norm, every grad is multiplied
// in place by max_norm / (total + 1e-6). Returns total (before clipping), which is worth
// logging. Parameters without a .grad are ignored.
float clip_grad_norm(const std::vector<Tensor>& params, float max_norm, Loc caller = Loc::current());

}  // namespace glimpse::nn
