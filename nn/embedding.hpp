// Embedding: a table of learned vectors, one row per token id (torch.nn.Embedding).
// Introduced in lesson 04 (recurrence: feeding tokens to a network).
#pragma once

#include <optional>

#include "autograd/random.hpp"
#include "nn/module.hpp"

namespace glimpse::nn {

class Embedding : public Module {
 public:
  // weight [num_embeddings, embedding_dim] ~ N(0, 1), as in PyTorch. The row of `padding_idx`
  // (negative counts from the end, as in PyTorch) starts at zero and never receives a gradient,
  // so padding stays a zero vector.
  Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx = std::nullopt,
            Generator& gen = default_generator(), Loc caller = Loc::current());
  Embedding(int64_t num_embeddings, int64_t embedding_dim, Generator& gen, Loc caller = Loc::current())
      : Embedding(num_embeddings, embedding_dim, std::nullopt, gen, caller) {}

  // ids of any shape → ids.shape + [embedding_dim].
  Tensor forward(const IndexTensor& ids, Loc caller = Loc::current()) const;
  Tensor operator()(const IndexTensor& ids, Loc caller = Loc::current()) const {
    return forward(ids, caller);
  }

  std::string kind() const override { return "Embedding"; }

  int64_t num_embeddings() const { return num_embeddings_; }
  int64_t embedding_dim() const { return embedding_dim_; }
  std::optional<int64_t> padding_idx() const { return padding_idx_; }
  const Tensor& weight() const { return weight_; }

 private:
  int64_t num_embeddings_, embedding_dim_;
  std::optional<int64_t> padding_idx_;  // normalised to 0..num_embeddings-1
  Tensor weight_;
};

}  // namespace glimpse::nn
