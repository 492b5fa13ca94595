// bench-transformer-encoder B T D HEADS LAYERS FF V STEPS [THREADS]: one training step of a
// Transformer encoder that tags every token (issue 14's first workload), built from Glimpse's
// modules, timed after 3 warm-up steps. bench/transformer_encoder_libtorch.cpp is the same model
// and step in libtorch; both print "... X.XXX ms/step loss=... peak_rss=...MB cpu=X.XXXms/step",
// so bench/compare_workloads.sh can read them side by side.
//
// The model: Embedding(V, D), LAYERS post-norm relu TransformerEncoderLayers (dropout 0), then
// Linear(D, V) at every position. No positional encoding: it times the step, it models nothing.
// The step: random tokens [B, T] and a random label per token, cross-entropy over the B·T
// tokens, Adam lr 1e-3. Issue 14's sizes: 32 32 128 4 2 512 64 and 32 64 256 4 2 1024 64.

#include <cstdio>
#include <cstdlib>
#include <glimpse.hpp>
#include <memory>
#include <string>

#include "bench_tokens.hpp"
#include "step_timing.hpp"

using namespace glimpse;

namespace {

struct Tagger : nn::Module {
  std::shared_ptr<nn::Embedding> embed;
  std::shared_ptr<nn::TransformerEncoder> encoder;
  std::shared_ptr<nn::Linear> classify;
  Tagger(int64_t V, int64_t D, int64_t HEADS, int64_t LAYERS, int64_t FF, Generator& gen) {
    embed = register_module("embed", std::make_shared<nn::Embedding>(V, D, gen));
    // Each layer made by its own call, so each starts from its own draws (as libtorch's clones
    // do not, but the time of a step does not depend on the values).
    encoder = register_module("encoder", std::make_shared<nn::TransformerEncoder>(
                                             [&] {
                                               return std::make_shared<nn::TransformerEncoderLayer>(
                                                   D, HEADS, FF, 0.0f, "relu", 1e-5f, false, gen);
                                             },
                                             LAYERS));
    classify = register_module("classify", std::make_shared<nn::Linear>(D, V, gen));
  }
  std::string kind() const override { return "Tagger"; }
  // ids [B, T] → logits [B, T, V].
  Tensor forward(const IndexTensor& ids) const {
    return classify->forward(encoder->forward(embed->forward(ids)).output);
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 9) {
    std::fprintf(stderr, "usage: bench-transformer-encoder B T D HEADS LAYERS FF V STEPS [THREADS]\n");
    return 2;
  }
  const int64_t B = atoll(argv[1]), T = atoll(argv[2]), D = atoll(argv[3]), HEADS = atoll(argv[4]),
                LAYERS = atoll(argv[5]), FF = atoll(argv[6]), V = atoll(argv[7]), STEPS = atoll(argv[8]);
  // THREADS threads for Glimpse's split loops (autograd/kernels/parallel.hpp) and for OpenBLAS,
  // through GLIMPSE_THREADS. One by default, as the libtorch comparisons run.
  const int64_t THREADS = argc > 9 ? atoll(argv[9]) : 1;
  if (B < 1 || T < 1 || D < 1 || HEADS < 1 || D % HEADS != 0 || LAYERS < 1 || FF < 1 || V < 2 || STEPS < 1 ||
      THREADS < 1) {
    std::fprintf(
        stderr,
        "bench-transformer-encoder: every argument must be a positive integer, D a multiple of HEADS "
        "and V at least 2\n");
    return 2;
  }
  setenv("GLIMPSE_THREADS", std::to_string(THREADS).c_str(), 1);
  Generator init(0);
  const Tagger model(V, D, HEADS, LAYERS, FF, init);
  nn::Adam opt(model.parameters(), {.lr = 1e-3f});
  Generator gen(0);
  const IndexTensor ids = bench::random_tokens(B, T, 0, V, gen),
                    labels = bench::random_tokens(B, T, 0, V, gen);

  auto step = [&] {
    const Tensor loss = nn::sequence_cross_entropy(model.forward(ids), labels);
    opt.zero_grad();
    loss.backward();
    opt.step();
    return loss.item();
  };

  const StepTiming timing = time_steps(step, STEPS);
  std::printf(
      "glimpse B=%ld T=%ld D=%ld heads=%ld layers=%ld ff=%ld V=%ld threads=%ld: %.3f ms/step loss=%.4f "
      "peak_rss=%.1fMB cpu=%.3fms/step\n",
      B, T, D, HEADS, LAYERS, FF, V, THREADS, timing.wall_ms, timing.loss, timing.peak_rss_mb, timing.cpu_ms);
}
