// bench-lstm-lm-libtorch B T E H V STEPS [THREADS]: the training step of bench/lstm_lm.cpp —
// Embedding(V, E), a one-layer LSTM(E, H) (batch_first), Linear(H, V) at every step, next-token
// cross-entropy on a random text, Adam (lr 1e-3) — written against PyTorch's C++ frontend
// (libtorch), so bench/compare_workloads.sh can time both on the same sizes. Same warm-up (3
// steps), same timing (mean over STEPS), same output line: "... X.XXX ms/step loss=...
// peak_rss=...MB cpu=X.XXXms/step". THREADS defaults to 1, like Glimpse's side.
//
// Built only when CMake finds libtorch (Debian: apt-get install libtorch-dev), as C++17 and
// without Glimpse's flags: it measures libtorch, not our compiler options.
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <tuple>

#include "libtorch_threads.hpp"
#include "step_timing.hpp"

namespace {

namespace tnn = torch::nn;

struct LanguageModel : tnn::Module {
  tnn::Embedding embed{nullptr};
  tnn::LSTM lstm{nullptr};
  tnn::Linear head{nullptr};
  LanguageModel(int64_t V, int64_t E, int64_t H) {
    embed = register_module("embed", tnn::Embedding(V, E));
    lstm = register_module("lstm", tnn::LSTM(tnn::LSTMOptions(E, H).batch_first(true)));
    head = register_module("head", tnn::Linear(H, V));
  }
  // ids [B, T] → logits [B, T, V].
  torch::Tensor forward(const torch::Tensor& ids) { return head(std::get<0>(lstm(embed(ids)))); }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: bench-lstm-lm-libtorch B T E H V STEPS [THREADS]\n");
    return 2;
  }
  const int64_t B = atoll(argv[1]), T = atoll(argv[2]), E = atoll(argv[3]), H = atoll(argv[4]),
                V = atoll(argv[5]), STEPS = atoll(argv[6]);
  const int64_t THREADS = argc > 7 ? atoll(argv[7]) : 1;
  if (B < 1 || T < 1 || E < 1 || H < 1 || V < 2 || STEPS < 1 || THREADS < 1) {
    std::fprintf(stderr,
                 "bench-lstm-lm-libtorch: every argument must be a positive integer and V at least 2\n");
    return 2;
  }
  use_libtorch_threads(THREADS);
  torch::manual_seed(0);

  LanguageModel model(V, E, H);
  torch::optim::Adam opt(model.parameters(), torch::optim::AdamOptions(1e-3));
  const torch::Tensor text = torch::randint(0, V, {B, T + 1}, torch::kLong);
  const torch::Tensor ids = text.narrow(1, 0, T), next = text.narrow(1, 1, T).reshape({-1});

  auto step = [&] {
    const torch::Tensor logits = model.forward(ids);  // [B, T, V]
    const torch::Tensor loss = torch::nn::functional::cross_entropy(logits.reshape({-1, V}), next);
    opt.zero_grad();
    loss.backward();
    opt.step();
    return loss.item<float>();
  };

  const StepTiming timing = time_steps(step, STEPS);
  std::printf(
      "libtorch B=%ld T=%ld E=%ld H=%ld V=%ld threads=%ld: %.3f ms/step loss=%.4f peak_rss=%.1fMB "
      "cpu=%.3fms/step\n",
      B, T, E, H, V, THREADS, timing.wall_ms, timing.loss, timing.peak_rss_mb, timing.cpu_ms);
}
