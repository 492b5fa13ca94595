// Lesson 09: scaled dot-product attention, composed of autograd ops (matmul, softmax, ...), so
// its gradient comes from the tape.
#include "nn/scaled_dot_product_attention.hpp"

#include <fmt/format.h>

#include <cmath>

#include "nn/masked_softmax.hpp"

namespace glimpse::nn {

AttentionOutput scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                             const Tensor& masked_out, float dropout_p, Generator& gen,
                                             Loc caller) {
  const CallerScope scope(caller);
  const char* op = "scaled_dot_product_attention";
  glimpse::detail::check(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2, op, caller, [&] {
    return fmt::format("q, k and v need at least 2 dims ([..., T, d]), got q {}, k {}, v {}", to_string(q.shape()),
                       to_string(k.shape()), to_string(v.shape()));
  });
  const int64_t d = q.shape().back();
  glimpse::detail::check(k.shape().back() == d && k.size(-2) == v.size(-2), op, caller, [&] {
    return fmt::format("q [..., T, d] and k [..., S, d] must share d, k and v [..., S, d_v] must share S; got q {}, k {}, v {}",
                       to_string(q.shape()), to_string(k.shape()), to_string(v.shape()));
  });
  // scores = q·kᵀ/√d: dividing by √d keeps their spread near 1 however large d is, so the
  // softmax does not saturate.
  const Tensor scores = matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<float>(d));
  const Tensor weights = masked_softmax(scores, masked_out, -1);
  const Tensor dropped = dropout_p > 0.0f ? dropout(weights, dropout_p, true, gen) : weights;
  return {matmul(dropped, v), weights};
}

}  // namespace glimpse::nn
