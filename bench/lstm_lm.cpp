// bench-lstm-lm B T E H V STEPS [THREADS]: one training step of an LSTM language model (issue 14's
// third workload), built from Glimpse's modules, timed after 3 warm-up steps.
// bench/lstm_lm_libtorch.cpp is the same model and step in libtorch; both print "... X.XXX ms/step
// loss=... peak_rss=...MB cpu=X.XXXms/step", so bench/compare_workloads.sh can read them side by
// side.
//
// The model: Embedding(V, E), a one-layer LSTM(E, H), Linear(H, V) at every step. The step: a
// random text of T + 1 tokens per row, predict each next token (cross-entropy over the B·T
// positions), Adam lr 1e-3. Issue 14's size: 32 64 64 256 96.

#include <cstdio>
#include <cstdlib>
#include <glimpse.hpp>
#include <memory>
#include <string>

#include "bench_tokens.hpp"
#include "step_timing.hpp"

using namespace glimpse;

namespace {

struct LanguageModel : nn::Module {
  std::shared_ptr<nn::Embedding> embed;
  std::shared_ptr<nn::LSTM> lstm;
  std::shared_ptr<nn::Linear> head;
  LanguageModel(int64_t V, int64_t E, int64_t H, Generator& gen) {
    embed = register_module("embed", std::make_shared<nn::Embedding>(V, E, gen));
    lstm = register_module("lstm", std::make_shared<nn::LSTM>(E, H, 1, false, gen));
    head = register_module("head", std::make_shared<nn::Linear>(H, V, gen));
  }
  std::string kind() const override { return "LanguageModel"; }
  // ids [B, T] → logits [B, T, V].
  Tensor forward(const IndexTensor& ids) const {
    return head->forward(lstm->forward(embed->forward(ids)).output);
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: bench-lstm-lm B T E H V STEPS [THREADS]\n");
    return 2;
  }
  const int64_t B = atoll(argv[1]), T = atoll(argv[2]), E = atoll(argv[3]), H = atoll(argv[4]),
                V = atoll(argv[5]), STEPS = atoll(argv[6]);
  // THREADS threads for Glimpse's split loops (autograd/kernels/parallel.hpp) and for OpenBLAS,
  // through GLIMPSE_THREADS. One by default, as the libtorch comparisons run.
  const int64_t THREADS = argc > 7 ? atoll(argv[7]) : 1;
  if (B < 1 || T < 1 || E < 1 || H < 1 || V < 2 || STEPS < 1 || THREADS < 1) {
    std::fprintf(stderr, "bench-lstm-lm: every argument must be a positive integer and V at least 2\n");
    return 2;
  }
  setenv("GLIMPSE_THREADS", std::to_string(THREADS).c_str(), 1);
  Generator init(0);
  const LanguageModel model(V, E, H, init);
  nn::Adam opt(model.parameters(), {.lr = 1e-3f});
  Generator gen(0);
  const IndexTensor text = bench::random_tokens(B, T + 1, 0, V, gen);
  const IndexTensor ids = bench::columns(text, 0, T), next = bench::columns(text, 1, T);

  auto step = [&] {
    const Tensor loss = nn::sequence_cross_entropy(model.forward(ids), next);
    opt.zero_grad();
    loss.backward();
    opt.step();
    return loss.item();
  };

  const StepTiming timing = time_steps(step, STEPS);
  std::printf(
      "glimpse B=%ld T=%ld E=%ld H=%ld V=%ld threads=%ld: %.3f ms/step loss=%.4f peak_rss=%.1fMB "
      "cpu=%.3fms/step\n",
      B, T, E, H, V, THREADS, timing.wall_ms, timing.loss, timing.peak_rss_mb, timing.cpu_ms);
}
