// bench-gpt-libtorch B T LAYERS HEADS EMBD V STEPS [THREADS]: the training step of bench/gpt.cpp —
// nn::GPT's model (nanoGPT's shape: wte + wpe, LAYERS pre-norm blocks of ln_1, causal
// self-attention c_attn/c_proj, ln_2, MLP c_fc/exact gelu/c_proj, then ln_f and an untied lm_head
// without bias; dropout 0), cross-entropy over all B·T positions, gradient-norm clipping at 1,
// Adam (lr 1e-3) — written against PyTorch's C++ frontend (libtorch), so
// bench/compare_workloads.sh can time both on the same sizes. Same warm-up (3 steps), same
// timing (mean over STEPS), same output line: "... X.XXX ms/step loss=... peak_rss=...MB
// cpu=X.XXXms/step". THREADS defaults to 1, like Glimpse's side.
// Lesson 13 introduces this model. The attention is written out as nanoGPT's model.py writes it
// without flash attention (libtorch 1.13 has no scaled_dot_product_attention).
//
// Built only when CMake finds libtorch (Debian: apt-get install libtorch-dev), as C++17 and
// without Glimpse's flags: it measures libtorch, not our compiler options.
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "libtorch_threads.hpp"
#include "step_timing.hpp"

namespace {

namespace tnn = torch::nn;
using torch::Tensor;

// q, k, v = split(c_attn(x)); head_h = softmax(q_h k_hᵀ / √D, causal) v_h; y = c_proj(concat_h head_h).
struct CausalSelfAttention : tnn::Module {
  tnn::Linear c_attn{nullptr}, c_proj{nullptr};
  int64_t n_head, n_embd;
  CausalSelfAttention(int64_t E, int64_t H) : n_head(H), n_embd(E) {
    c_attn = register_module("c_attn", tnn::Linear(E, 3 * E));
    c_proj = register_module("c_proj", tnn::Linear(E, E));
  }
  Tensor forward(const Tensor& x, const Tensor& causal) {  // x [B, T, E]; causal [T, T], true = masked
    const int64_t B = x.size(0), T = x.size(1), H = n_head, D = n_embd / n_head;
    const std::vector<Tensor> qkv = c_attn(x).split(n_embd, 2);
    const Tensor q = qkv[0].view({B, T, H, D}).transpose(1, 2);  // [B, H, T, D]
    const Tensor k = qkv[1].view({B, T, H, D}).transpose(1, 2);
    const Tensor v = qkv[2].view({B, T, H, D}).transpose(1, 2);
    Tensor att = torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(D)));
    att = torch::softmax(att.masked_fill(causal, -std::numeric_limits<float>::infinity()), -1);
    const Tensor y = torch::matmul(att, v).transpose(1, 2).contiguous().view({B, T, n_embd});
    return c_proj(y);
  }
};

struct MLP : tnn::Module {
  tnn::Linear c_fc{nullptr}, c_proj{nullptr};
  explicit MLP(int64_t E) {
    c_fc = register_module("c_fc", tnn::Linear(E, 4 * E));
    c_proj = register_module("c_proj", tnn::Linear(4 * E, E));
  }
  Tensor forward(const Tensor& x) { return c_proj(torch::gelu(c_fc(x))); }  // gelu: x·Φ(x), exact
};

struct Block : tnn::Module {
  tnn::LayerNorm ln_1{nullptr}, ln_2{nullptr};
  std::shared_ptr<CausalSelfAttention> attn;
  std::shared_ptr<MLP> mlp;
  Block(int64_t E, int64_t H) {
    ln_1 = register_module("ln_1", tnn::LayerNorm(tnn::LayerNormOptions({E})));
    attn = register_module("attn", std::make_shared<CausalSelfAttention>(E, H));
    ln_2 = register_module("ln_2", tnn::LayerNorm(tnn::LayerNormOptions({E})));
    mlp = register_module("mlp", std::make_shared<MLP>(E));
  }
  Tensor forward(const Tensor& x, const Tensor& causal) {
    const Tensor y = x + attn->forward(ln_1(x), causal);
    return y + mlp->forward(ln_2(y));
  }
};

// nn::GPT's parameters under nanoGPT's names (without the "transformer." prefix, as nn::GPT).
struct GPT : tnn::Module {
  tnn::Embedding wte{nullptr}, wpe{nullptr};
  tnn::ModuleList h{nullptr};  // registers the blocks as h.0, h.1, …
  std::vector<std::shared_ptr<Block>> blocks;
  tnn::LayerNorm ln_f{nullptr};
  tnn::Linear lm_head{nullptr};
  GPT(int64_t V, int64_t block_size, int64_t L, int64_t H, int64_t E) {
    wte = register_module("wte", tnn::Embedding(V, E));
    wpe = register_module("wpe", tnn::Embedding(block_size, E));
    h = register_module("h", tnn::ModuleList());
    for (int64_t l = 0; l < L; ++l) {
      blocks.push_back(std::make_shared<Block>(E, H));
      h->push_back(blocks.back());
    }
    ln_f = register_module("ln_f", tnn::LayerNorm(tnn::LayerNormOptions({E})));
    lm_head = register_module("lm_head", tnn::Linear(tnn::LinearOptions(E, V).bias(false)));
    // nanoGPT's init, as nn::GPT: N(0, 0.02), residual projections N(0, 0.02/√(2L)), biases 0.
    torch::NoGradGuard no_grad;
    const double residual_std = 0.02 / std::sqrt(2.0 * static_cast<double>(L));
    for (auto& p : named_parameters()) {
      const std::string& name = p.key();
      if (name.find("ln_") != std::string::npos) continue;
      if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0)
        p.value().zero_();
      else if (name.find("c_proj.weight") != std::string::npos)
        p.value().normal_(0.0, residual_std);
      else
        p.value().normal_(0.0, 0.02);
    }
  }
  Tensor forward(const Tensor& idx) {  // idx [B, T] → logits [B, T, V]
    const int64_t T = idx.size(1);
    const Tensor causal = torch::ones({T, T}, torch::kBool).triu(1);  // true above the diagonal
    Tensor x = wte(idx) + wpe(torch::arange(T, torch::kLong));
    for (auto& block : blocks) x = block->forward(x, causal);
    return lm_head(ln_f(x));
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 8) {
    std::fprintf(stderr, "usage: bench-gpt-libtorch B T LAYERS HEADS EMBD V STEPS [THREADS]\n");
    return 2;
  }
  const int64_t B = atoll(argv[1]), T = atoll(argv[2]), LAYERS = atoll(argv[3]), HEADS = atoll(argv[4]),
                EMBD = atoll(argv[5]), V = atoll(argv[6]), STEPS = atoll(argv[7]);
  const int64_t THREADS = argc > 8 ? atoll(argv[8]) : 1;
  if (B < 1 || T < 1 || LAYERS < 1 || HEADS < 1 || EMBD < 1 || EMBD % HEADS != 0 || V < 1 || STEPS < 1 ||
      THREADS < 1) {
    std::fprintf(
        stderr,
        "bench-gpt-libtorch: every argument must be a positive integer and EMBD a multiple of HEADS\n");
    return 2;
  }
  use_libtorch_threads(THREADS);
  torch::manual_seed(0);

  GPT model(V, T, LAYERS, HEADS, EMBD);
  torch::optim::Adam opt(model.parameters(), torch::optim::AdamOptions(1e-3));
  const Tensor text = torch::randint(V, {B, T + 1}, torch::kLong);
  const Tensor idx = text.narrow(1, 0, T), targets = text.narrow(1, 1, T).reshape({-1});

  auto step = [&] {
    const Tensor logits = model.forward(idx);  // [B, T, V]
    const Tensor loss = torch::nn::functional::cross_entropy(logits.reshape({-1, V}), targets);
    opt.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(model.parameters(), 1.0);
    opt.step();
    return loss.item<float>();
  };

  const StepTiming timing = time_steps(step, STEPS);
  std::printf(
      "libtorch B=%ld T=%ld layers=%ld heads=%ld embd=%ld V=%ld threads=%ld: %.3f ms/step loss=%.4f "
      "peak_rss=%.1fMB cpu=%.3fms/step\n",
      B, T, LAYERS, HEADS, EMBD, V, THREADS, timing.wall_ms, timing.loss, timing.peak_rss_mb, timing.cpu_ms);
}
