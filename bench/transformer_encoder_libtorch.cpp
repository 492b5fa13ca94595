// bench-transformer-encoder-libtorch B T D HEADS LAYERS FF V STEPS [THREADS]: the training step of
// bench/transformer_encoder.cpp — Embedding(V, D), LAYERS post-norm relu TransformerEncoderLayers
// (dropout 0), Linear(D, V) at every position, cross-entropy against a random label per token,
// Adam (lr 1e-3) — written against PyTorch's C++ frontend (libtorch), so
// bench/compare_workloads.sh can time both on the same sizes. Same warm-up (3 steps), same timing
// (mean over STEPS), same output line: "... X.XXX ms/step loss=... peak_rss=...MB cpu=X.XXXms/step".
// THREADS defaults to 1, like Glimpse's side.
//
// libtorch 1.13's C++ TransformerEncoderLayer has no batch_first: it reads [length, batch, d], so
// this side draws its tokens as [T, B] and keeps that layout to the logits [T, B, V]: the same
// number of tokens through the same products.
//
// Built only when CMake finds libtorch (Debian: apt-get install libtorch-dev), as C++17 and
// without Glimpse's flags: it measures libtorch, not our compiler options.
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>

#include "libtorch_threads.hpp"
#include "step_timing.hpp"

namespace {

namespace tnn = torch::nn;

struct Tagger : tnn::Module {
  tnn::Embedding embed{nullptr};
  tnn::TransformerEncoder encoder{nullptr};
  tnn::Linear classify{nullptr};
  Tagger(int64_t V, int64_t D, int64_t HEADS, int64_t LAYERS, int64_t FF) {
    embed = register_module("embed", tnn::Embedding(V, D));
    const auto layer = tnn::TransformerEncoderLayer(
        tnn::TransformerEncoderLayerOptions(D, HEADS).dim_feedforward(FF).dropout(0.0).activation(
            torch::kReLU));
    encoder =
        register_module("encoder", tnn::TransformerEncoder(tnn::TransformerEncoderOptions(layer, LAYERS)));
    classify = register_module("classify", tnn::Linear(D, V));
  }
  // ids [T, B] → logits [T, B, V].
  torch::Tensor forward(const torch::Tensor& ids) { return classify(encoder(embed(ids))); }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 9) {
    std::fprintf(stderr,
                 "usage: bench-transformer-encoder-libtorch B T D HEADS LAYERS FF V STEPS [THREADS]\n");
    return 2;
  }
  const int64_t B = atoll(argv[1]), T = atoll(argv[2]), D = atoll(argv[3]), HEADS = atoll(argv[4]),
                LAYERS = atoll(argv[5]), FF = atoll(argv[6]), V = atoll(argv[7]), STEPS = atoll(argv[8]);
  const int64_t THREADS = argc > 9 ? atoll(argv[9]) : 1;
  if (B < 1 || T < 1 || D < 1 || HEADS < 1 || D % HEADS != 0 || LAYERS < 1 || FF < 1 || V < 2 || STEPS < 1 ||
      THREADS < 1) {
    std::fprintf(
        stderr,
        "bench-transformer-encoder-libtorch: every argument must be a positive integer, D a multiple "
        "of HEADS and V at least 2\n");
    return 2;
  }
  use_libtorch_threads(THREADS);
  torch::manual_seed(0);

  Tagger model(V, D, HEADS, LAYERS, FF);
  torch::optim::Adam opt(model.parameters(), torch::optim::AdamOptions(1e-3));
  const torch::Tensor ids = torch::randint(0, V, {T, B}, torch::kLong);
  const torch::Tensor labels = torch::randint(0, V, {T * B}, torch::kLong);

  auto step = [&] {
    const torch::Tensor logits = model.forward(ids);  // [T, B, V]
    const torch::Tensor loss = torch::nn::functional::cross_entropy(logits.reshape({-1, V}), labels);
    opt.zero_grad();
    loss.backward();
    opt.step();
    return loss.item<float>();
  };

  const StepTiming timing = time_steps(step, STEPS);
  std::printf(
      "libtorch B=%ld T=%ld D=%ld heads=%ld layers=%ld ff=%ld V=%ld threads=%ld: %.3f ms/step loss=%.4f "
      "peak_rss=%.1fMB cpu=%.3fms/step\n",
      B, T, D, HEADS, LAYERS, FF, V, THREADS, timing.wall_ms, timing.loss, timing.peak_rss_mb, timing.cpu_ms);
}
