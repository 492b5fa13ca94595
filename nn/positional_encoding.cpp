// Lesson 10: sinusoidal positional encoding, added to the token embeddings.
#include "nn/positional_encoding.hpp"

#include <fmt/format.h>

#include <cmath>

namespace glimpse::nn {

Tensor sinusoidal_encoding(int64_t max_len, int64_t d_model, Loc caller) {
  const CallerScope scope(caller);
  glimpse::detail::check(max_len >= 0 && d_model > 0, "sinusoidal_encoding", caller, [&] {
    return fmt::format("need max_len >= 0 and d_model > 0, got max_len {} and d_model {}", max_len, d_model);
  });
  Tensor pe = zeros({max_len, d_model});
  for (int64_t pos = 0; pos < max_len; ++pos)
    for (int64_t j = 0; j < d_model; ++j) {
      const int64_t two_i = j - j % 2;  // dims 2i and 2i+1 share one frequency
      const double angle = static_cast<double>(pos) / std::pow(10000.0, static_cast<double>(two_i) / d_model);
      pe.data()[pos * d_model + j] = static_cast<float>(j % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
  return pe;
}

PositionalEncoding::PositionalEncoding(int64_t d_model, float dropout, int64_t max_len, Generator& gen,
                                       Loc caller)
    : d_model_(d_model),
      table_(sinusoidal_encoding(max_len, d_model, caller)),
      dropout_(register_module("dropout", std::make_shared<Dropout>(dropout, gen, caller))) {}

Tensor PositionalEncoding::forward(const Tensor& x, Loc caller) const {
  const CallerScope scope(caller);
  glimpse::detail::check_defined({&x}, "PositionalEncoding");
  glimpse::detail::check(x.dim() >= 2 && x.shape().back() == d_model_ && x.size(-2) <= table_.size(0),
                         "PositionalEncoding", caller, [&] {
                           return fmt::format("expected input [..., T, {}] with T <= max_len {}, got {}",
                                              d_model_, table_.size(0), to_string(x.shape()));
                         });
  const Tensor summed = x + table_.slice(0, 0, x.size(-2));  // [T, d] broadcasts over the batch
  return dropout_->forward(summed);
}

}  // namespace glimpse::nn
