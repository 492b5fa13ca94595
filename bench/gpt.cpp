// bench-gpt B T LAYERS HEADS EMBD V STEPS [THREADS]: one training step of nn::GPT, the decoder-only
// language model of lesson 13 (nanoGPT's shape), timed after 3 warm-up steps.
// bench/gpt_libtorch.cpp is the same model and step in libtorch; both print
// "... X.XXX ms/step loss=... peak_rss=...MB cpu=X.XXXms/step", so bench/compare_workloads.sh
// can read them side by side.
//
// The model: GPTConfig{vocab_size V, block_size T, n_layer LAYERS, n_head HEADS, n_embd EMBD,
// dropout 0}: wte + wpe, LAYERS pre-norm blocks (ln_1, causal self-attention c_attn/c_proj, ln_2,
// MLP c_fc, exact gelu, c_proj; every Linear with a bias), ln_f, lm_head without bias and not tied
// to wte. The step: a batch of B sequences of T + 1 random tokens (input = the first T, targets =
// the last T), GPT::loss (cross-entropy over all B·T positions), gradient-norm clipping at 1
// (nanoGPT's grad_clip), Adam lr 1e-3.

#include <cstdio>
#include <cstdlib>
#include <glimpse.hpp>
#include <string>
#include <vector>

#include "bench_tokens.hpp"
#include "step_timing.hpp"

using namespace glimpse;

int main(int argc, char** argv) {
  if (argc < 8) {
    std::fprintf(stderr, "usage: bench-gpt B T LAYERS HEADS EMBD V STEPS [THREADS]\n");
    return 2;
  }
  const int64_t B = atoll(argv[1]), T = atoll(argv[2]), LAYERS = atoll(argv[3]), HEADS = atoll(argv[4]),
                EMBD = atoll(argv[5]), V = atoll(argv[6]), STEPS = atoll(argv[7]);
  // THREADS threads for Glimpse's split loops (autograd/kernels/parallel.hpp: matrix products,
  // large elementwise loops, softmax) and for OpenBLAS, through GLIMPSE_THREADS. One by default,
  // as the libtorch comparisons run.
  const int64_t THREADS = argc > 8 ? atoll(argv[8]) : 1;
  if (B < 1 || T < 1 || LAYERS < 1 || HEADS < 1 || EMBD < 1 || EMBD % HEADS != 0 || V < 1 || STEPS < 1 ||
      THREADS < 1) {
    std::fprintf(stderr,
                 "bench-gpt: every argument must be a positive integer and EMBD a multiple of HEADS\n");
    return 2;
  }
  setenv("GLIMPSE_THREADS", std::to_string(THREADS).c_str(), 1);
  Generator init(0);
  nn::GPT model({.vocab_size = V, .block_size = T, .n_layer = LAYERS, .n_head = HEADS, .n_embd = EMBD}, init);
  nn::Adam opt(model.parameters(), {.lr = 1e-3f});
  Generator gen(0);
  const IndexTensor text = bench::random_tokens(B, T + 1, 0, V, gen);
  const IndexTensor idx = bench::columns(text, 0, T), targets = bench::columns(text, 1, T);

  auto step = [&] {
    const Tensor loss = model.loss(idx, targets);
    opt.zero_grad();
    loss.backward();
    nn::clip_grad_norm(model.parameters(), 1.0f);
    opt.step();
    return loss.item();
  };

  const StepTiming timing = time_steps(step, STEPS);
  std::printf(
      "glimpse B=%ld T=%ld layers=%ld heads=%ld embd=%ld V=%ld threads=%ld: %.3f ms/step loss=%.4f "
      "peak_rss=%.1fMB cpu=%.3fms/step\n",
      B, T, LAYERS, HEADS, EMBD, V, THREADS, timing.wall_ms, timing.loss, timing.peak_rss_mb, timing.cpu_ms);
}
