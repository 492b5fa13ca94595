// Lesson 04: token ids become vectors by looking up rows of a learned table.
#include "nn/embedding.hpp"

#include <fmt/format.h>

#include "autograd/tape.hpp"
#include "nn/init.hpp"

namespace glimpse::nn {

Embedding::Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx,
                     Generator& gen, Loc caller)
    : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {
  const CallerScope scope(caller);
  glimpse::detail::check(num_embeddings > 0 && embedding_dim > 0, "Embedding", caller, [&] {
    return fmt::format("sizes must be positive, got num_embeddings {} and embedding_dim {}", num_embeddings,
                       embedding_dim);
  });
  if (padding_idx) {
    const int64_t p = *padding_idx;
    glimpse::detail::check(p >= -num_embeddings && p < num_embeddings, "Embedding", caller, [&] {
      return fmt::format("padding_idx {} is outside the table of {} rows", p, num_embeddings);
    });
    padding_idx_ = p < 0 ? p + num_embeddings : p;
  }
  weight_ = register_parameter("weight", zeros({num_embeddings, embedding_dim}));
  init::normal_(weight_, 0.0f, 1.0f, gen);
  if (padding_idx_) {
    NoGradGuard no_grad;
    float* row = weight_.data() + *padding_idx_ * embedding_dim;
    for (int64_t j = 0; j < embedding_dim; ++j) row[j] = 0.0f;
  }
}

Tensor Embedding::forward(const IndexTensor& ids, Loc caller) const {
  const CallerScope scope(caller);
  // The op checks each id against the table and routes no gradient to the padding row.
  return embedding(weight_, ids, padding_idx_.value_or(-1));
}

}  // namespace glimpse::nn
