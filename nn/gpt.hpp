// GPT: a decoder-only language model — tokens and their positions embedded, a stack of pre-norm
// Transformer blocks with causal self-attention, and a linear map back to the vocabulary.
// Introduced in lesson 13 (a GPT in a minute); the shape of Karpathy's nanoGPT (model.py).
//
//   x = wte(idx) + wpe(positions)                         idx [B, T] → [B, T, E]
//   for each block h.l:
//     x = x + attn(ln_1(x))                               causal: position t sees 0 … t
//     x = x + mlp(ln_2(x)),  mlp(x) = c_proj(gelu(c_fc(x)))   E → 4E → E
//   logits = lm_head(ln_f(x))                             [B, T, vocab_size]
//
// Parameters carry nanoGPT's names without its "transformer." prefix: wte.weight, wpe.weight,
// h.<l>.ln_1.{weight,bias}, h.<l>.attn.c_attn.{weight,bias}, h.<l>.attn.c_proj.{weight,bias},
// h.<l>.ln_2.{weight,bias}, h.<l>.mlp.c_fc.{weight,bias}, h.<l>.mlp.c_proj.{weight,bias},
// ln_f.{weight,bias}, lm_head.weight. lm_head has no bias and is NOT tied to wte (nanoGPT ties
// them; here each has its own gradient, which a learner can read on its own).
//
// Generation reuses the keys and values of the positions already seen (GPTCache, one KVCache per
// block); see nn/generation.hpp.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "autograd/ops.hpp"
#include "autograd/random.hpp"
#include "nn/causal_self_attention.hpp"
#include "nn/dropout.hpp"
#include "nn/embedding.hpp"
#include "nn/layer_norm.hpp"
#include "nn/linear.hpp"
#include "nn/module.hpp"

namespace glimpse::nn {

struct GPTConfig {
  int64_t vocab_size = 0;
  int64_t block_size = 0;  // the longest context: wpe has this many rows
  int64_t n_layer = 1;
  int64_t n_head = 1;
  int64_t n_embd = 0;    // E; a multiple of n_head
  float dropout = 0.0f;  // after the embeddings, on the attention weights, after each residual branch
};

// The position-wise feed-forward network of a block: c_proj(gelu(c_fc(x))), E → 4E → E.
class GPTMLP : public Module {
 public:
  GPTMLP(int64_t n_embd, float dropout, Generator& gen, Loc caller = Loc::current());
  Tensor forward(const Tensor& x, Loc caller = Loc::current()) const;
  std::string kind() const override { return "GPTMLP"; }

 private:
  std::shared_ptr<Linear> c_fc_, c_proj_;
  std::shared_ptr<Dropout> dropout_;
};

// One pre-norm block: x + attn(ln_1(x)), then + mlp(ln_2(x)).
class GPTBlock : public Module {
 public:
  GPTBlock(const GPTConfig& config, Generator& gen, Loc caller = Loc::current());
  // x [B, T, E] → [B, T, E]; `cache` as in CausalSelfAttention::forward.
  Tensor forward(const Tensor& x, KVCache* cache = nullptr, Loc caller = Loc::current()) const;
  std::string kind() const override { return "GPTBlock"; }

  const CausalSelfAttention& attn() const { return *attn_; }

 private:
  std::shared_ptr<LayerNorm> ln_1_;
  std::shared_ptr<CausalSelfAttention> attn_;
  std::shared_ptr<LayerNorm> ln_2_;
  std::shared_ptr<GPTMLP> mlp_;
};

// The keys and values of every block for the positions seen so far.
struct GPTCache {
  std::vector<KVCache> layers;  // one per block, filled by GPT::forward
  int64_t length() const { return layers.empty() ? 0 : layers.front().length(); }
  void clear() { layers.clear(); }
};

class GPT : public Module {
 public:
  // Linear and Embedding weights ~ N(0, 0.02), the residual projections (attn.c_proj and
  // mlp.c_proj) ~ N(0, 0.02/√(2·n_layer)), biases 0, LayerNorms 1 and 0: nanoGPT's init.
  explicit GPT(const GPTConfig& config, Generator& gen = default_generator(), Loc caller = Loc::current());

  // idx [B, T] of token ids → logits [B, T, vocab_size]. With `cache` (not owned) idx holds the
  // positions P … P+T−1 after the P = cache->length() cached ones, and P + T <= block_size.
  Tensor forward(const IndexTensor& idx, GPTCache* cache = nullptr, Loc caller = Loc::current()) const;
  Tensor operator()(const IndexTensor& idx, GPTCache* cache = nullptr, Loc caller = Loc::current()) const {
    return forward(idx, cache, caller);
  }

  // The mean cross-entropy of predicting targets [B, T] (usually idx shifted by one) from
  // idx [B, T]; targets equal to ignore_index count for nothing, as in cross_entropy.
  Tensor loss(const IndexTensor& idx, const IndexTensor& targets, int64_t ignore_index = kIgnoreIndex,
              Loc caller = Loc::current()) const;

  std::string kind() const override { return "GPT"; }

  const GPTConfig& config() const { return config_; }
  const Embedding& wte() const { return *wte_; }
  const Embedding& wpe() const { return *wpe_; }
  const GPTBlock& block(int64_t l) const { return *h_.at(l); }
  const LayerNorm& ln_f() const { return *ln_f_; }
  const Linear& lm_head() const { return *lm_head_; }

 private:
  GPTConfig config_;
  std::shared_ptr<Embedding> wte_, wpe_;
  std::shared_ptr<Dropout> drop_;
  std::vector<std::shared_ptr<GPTBlock>> h_;
  std::shared_ptr<LayerNorm> ln_f_;
  std::shared_ptr<Linear> lm_head_;
};

}  // namespace glimpse::nn
