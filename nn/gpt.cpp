// Lesson 13: a GPT, composed of embeddings, pre-norm blocks of causal self-attention and an MLP,
// and a final LayerNorm and linear map to the vocabulary.
#include "nn/gpt.hpp"

#include <fmt/format.h>

#include <cmath>

#include "nn/init.hpp"

namespace glimpse::nn {

GPTMLP::GPTMLP(int64_t n_embd, float dropout, Generator& gen, Loc caller) {
  const CallerScope scope(caller);
  c_fc_ = register_module("c_fc", std::make_shared<Linear>(n_embd, 4 * n_embd, true, gen));
  c_proj_ = register_module("c_proj", std::make_shared<Linear>(4 * n_embd, n_embd, true, gen));
  dropout_ = register_module("dropout", std::make_shared<Dropout>(dropout, gen));
}

Tensor GPTMLP::forward(const Tensor& x, Loc caller) const {
  const CallerScope scope(caller);
  return dropout_->forward(c_proj_->forward(gelu(c_fc_->forward(x))));
}

GPTBlock::GPTBlock(const GPTConfig& config, Generator& gen, Loc caller) {
  const CallerScope scope(caller);
  ln_1_ = register_module("ln_1", std::make_shared<LayerNorm>(config.n_embd));
  attn_ = register_module(
      "attn", std::make_shared<CausalSelfAttention>(config.n_embd, config.n_head, config.dropout, gen));
  ln_2_ = register_module("ln_2", std::make_shared<LayerNorm>(config.n_embd));
  mlp_ = register_module("mlp", std::make_shared<GPTMLP>(config.n_embd, config.dropout, gen));
}

Tensor GPTBlock::forward(const Tensor& x, KVCache* cache, Loc caller) const {
  const CallerScope scope(caller);
  const Tensor y = x + attn_->forward(ln_1_->forward(x), cache).context;
  return y + mlp_->forward(ln_2_->forward(y));
}

GPT::GPT(const GPTConfig& config, Generator& gen, Loc caller) : config_(config) {
  const CallerScope scope(caller);
  glimpse::detail::check(
      config.vocab_size > 0 && config.block_size > 0 && config.n_layer > 0 && config.n_embd > 0, "GPT",
      caller, [&] {
        return fmt::format(
            "vocab_size, block_size, n_layer and n_embd must be positive, got {}, {}, {} and {}",
            config.vocab_size, config.block_size, config.n_layer, config.n_embd);
      });
  wte_ = register_module("wte", std::make_shared<Embedding>(config.vocab_size, config.n_embd, gen));
  wpe_ = register_module("wpe", std::make_shared<Embedding>(config.block_size, config.n_embd, gen));
  drop_ = register_module("drop", std::make_shared<Dropout>(config.dropout, gen));
  for (int64_t l = 0; l < config.n_layer; ++l)
    h_.push_back(register_module(fmt::format("h.{}", l), std::make_shared<GPTBlock>(config, gen)));
  ln_f_ = register_module("ln_f", std::make_shared<LayerNorm>(config.n_embd));
  lm_head_ =
      register_module("lm_head", std::make_shared<Linear>(config.n_embd, config.vocab_size, false, gen));

  // nanoGPT's init (GPT._init_weights, and the scaled residual projections).
  const float residual_std = 0.02f / std::sqrt(2.0f * static_cast<float>(config.n_layer));
  for (auto& [name, p] : named_parameters()) {
    Tensor t = p;
    if (name.find("ln_") != std::string::npos) continue;  // LayerNorms keep 1 and 0
    if (name.ends_with(".bias"))
      init::zeros_(t);
    else if (name.ends_with("c_proj.weight"))
      init::normal_(t, 0.0f, residual_std, gen);
    else
      init::normal_(t, 0.0f, 0.02f, gen);
  }
}

Tensor GPT::forward(const IndexTensor& idx, GPTCache* cache, Loc caller) const {
  const CallerScope scope(caller);
  const int64_t P = cache ? cache->length() : 0;
  glimpse::detail::check(idx.shape.size() == 2 && idx.shape[1] > 0, "GPT", caller, [&] {
    return fmt::format("expected idx [B, T] with T >= 1, got {}", to_string(idx.shape));
  });
  const int64_t T = idx.shape[1];
  glimpse::detail::check(P + T <= config_.block_size, "GPT", caller, [&] {
    return P == 0 ? fmt::format("a sequence of {} tokens is longer than block_size {}", T, config_.block_size)
                  : fmt::format("{} cached and {} new positions are more than block_size {}", P, T,
                                config_.block_size);
  });
  if (cache && cache->layers.empty()) cache->layers.resize(h_.size());

  std::vector<int64_t> positions(T);
  for (int64_t t = 0; t < T; ++t) positions[t] = P + t;
  Tensor x =
      drop_->forward(wte_->forward(idx) + wpe_->forward(IndexTensor(positions)));  // [B, T, E] + [T, E]
  for (size_t l = 0; l < h_.size(); ++l) x = h_[l]->forward(x, cache ? &cache->layers[l] : nullptr);
  return lm_head_->forward(ln_f_->forward(x));
}

Tensor GPT::loss(const IndexTensor& idx, const IndexTensor& targets, int64_t ignore_index, Loc caller) const {
  const CallerScope scope(caller);
  glimpse::detail::check(targets.shape == idx.shape, "GPT::loss", caller, [&] {
    return fmt::format("targets {} must have the shape of idx {}", to_string(targets.shape),
                       to_string(idx.shape));
  });
  const Tensor logits = forward(idx);  // [B, T, V]
  const int64_t V = config_.vocab_size, N = idx.numel();
  return cross_entropy(logits.reshape({N, V}), IndexTensor(targets.values, Shape{N}), ignore_index);
}

}  // namespace glimpse::nn
