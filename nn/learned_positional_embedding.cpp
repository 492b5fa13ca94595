// Issue 11: learned positions, x + P[0:T].
#include "nn/learned_positional_embedding.hpp"

#include <fmt/format.h>

#include "nn/init.hpp"
#include "nn/positional_encoding.hpp"

namespace glimpse::nn {

LearnedPositionalEmbedding::LearnedPositionalEmbedding(int64_t max_len, int64_t d_model, Generator& gen,
                                                       Loc caller) {
  const CallerScope scope(caller);
  glimpse::detail::check(max_len > 0 && d_model > 0, "LearnedPositionalEmbedding", caller, [&] {
    return fmt::format("sizes must be positive, got max_len {} and d_model {}", max_len, d_model);
  });
  weight_ = register_parameter("weight", zeros({max_len, d_model}));
  init::normal_(weight_, 0.0f, 1.0f, gen);
}

Tensor LearnedPositionalEmbedding::forward(const Tensor& x, Loc caller) const {
  const CallerScope scope(caller);
  glimpse::detail::check_defined({&x}, "LearnedPositionalEmbedding");
  const int64_t d = weight_.size(1);
  glimpse::detail::check(x.dim() >= 2 && x.shape().back() == d, "LearnedPositionalEmbedding", caller, [&] {
    return fmt::format("expects input [..., T, {}], got {}", d, to_string(x.shape()));
  });
  glimpse::detail::check(x.size(-2) <= max_len(), "LearnedPositionalEmbedding", caller, [&] {
    return fmt::format(
        "a sequence of {} positions, but only {} are learned (max_len): train with a larger "
        "max_len, or use the sinusoids",
        x.size(-2), max_len());
  });
  return x + weight_.slice(0, 0, x.size(-2));  // [T, d] broadcasts over the batch
}

Tensor add_positions(const Tensor& x, const LearnedPositionalEmbedding* learned) {
  return learned ? learned->forward(x) : x + sinusoidal_encoding(x.size(-2), x.size(-1));
}

}  // namespace glimpse::nn
