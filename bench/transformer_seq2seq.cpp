// bench-transformer-seq2seq B S T D HEADS LAYERS FF V STEPS [THREADS]: one training step of the
// encoder-decoder Transformer of lesson 12 (issue 11), built from Glimpse's modules, timed after 3
// warm-up steps. bench/transformer_seq2seq_libtorch.cpp is the same model and step in libtorch;
// both print "... X.XXX ms/step loss=... peak_rss=...MB cpu=X.XXXms/step", so
// bench/compare_workloads.sh can read them side by side.
//
// The model: nn::Seq2seq of a TransformerSeq2seqEncoder (embedding + sinusoidal positions, LAYERS
// post-norm relu encoder layers, final LayerNorm) and a TransformerSeq2seqDecoder (the same, with
// LAYERS decoder layers, then the output Linear), dropout 0. The step: source [B, S] and a target
// of T + 1 tokens (decoder input = the first T, labels = the last T), the whole target read in one
// teacher-forced pass under the causal mask (TransformerSeq2seqDecoder::forward_all, the path
// Seq2seq::loss takes once a teacher-forced forward reads the target at once), cross-entropy,
// gradient-norm clipping at 1 (as the seq2seq lessons clip), Adam lr 1e-3.
// Lesson 12's default sizes: bench-transformer-seq2seq 32 12 13 32 4 2 64 64 STEPS.

#include <cstdio>
#include <cstdlib>
#include <glimpse.hpp>
#include <memory>
#include <string>
#include <vector>

#include "bench_tokens.hpp"
#include "step_timing.hpp"

using namespace glimpse;

int main(int argc, char** argv) {
  if (argc < 10) {
    std::fprintf(stderr, "usage: bench-transformer-seq2seq B S T D HEADS LAYERS FF V STEPS [THREADS]\n");
    return 2;
  }
  const int64_t B = atoll(argv[1]), S = atoll(argv[2]), T = atoll(argv[3]), D = atoll(argv[4]),
                HEADS = atoll(argv[5]), LAYERS = atoll(argv[6]), FF = atoll(argv[7]), V = atoll(argv[8]),
                STEPS = atoll(argv[9]);
  // THREADS threads for Glimpse's split loops (autograd/kernels/parallel.hpp: matrix products,
  // large elementwise loops, softmax) and for OpenBLAS, through GLIMPSE_THREADS. One by default,
  // as the libtorch comparisons run.
  const int64_t THREADS = argc > 10 ? atoll(argv[10]) : 1;
  if (B < 1 || S < 1 || T < 1 || D < 1 || HEADS < 1 || D % HEADS != 0 || LAYERS < 1 || FF < 1 || V < 2 ||
      STEPS < 1 || THREADS < 1) {
    std::fprintf(stderr,
                 "bench-transformer-seq2seq: every argument must be a positive integer, D a multiple of "
                 "HEADS and V at least 2\n");
    return 2;
  }
  setenv("GLIMPSE_THREADS", std::to_string(THREADS).c_str(), 1);
  Generator init(0);
  auto encoder =
      std::make_shared<nn::TransformerSeq2seqEncoder>(V, D, HEADS, LAYERS, FF, 0.0f, "relu", false, init);
  auto decoder =
      std::make_shared<nn::TransformerSeq2seqDecoder>(V, D, HEADS, LAYERS, FF, 0.0f, "relu", false, init);
  nn::Seq2seq model(encoder, decoder);
  nn::Adam opt(model.parameters(), {.lr = 1e-3f});
  Generator gen(0);
  const IndexTensor src = bench::random_tokens(B, S, 1, V, gen),
                    tgt = bench::random_tokens(B, T + 1, 1, V, gen);
  const IndexTensor dec_in = bench::columns(tgt, 0, T);
  const IndexTensor dec_out = bench::columns(tgt, 1, T);

  auto step = [&] {
    const nn::DecoderMemory memory = model.encode(src);                          // [B, S, D]
    const Tensor logits = decoder->forward_all(decoder->embed(dec_in), memory);  // [B, T, V]
    const Tensor loss = nn::sequence_cross_entropy(logits, dec_out);
    opt.zero_grad();
    loss.backward();
    nn::clip_grad_norm(model.parameters(), 1.0f);
    opt.step();
    return loss.item();
  };

  const StepTiming timing = time_steps(step, STEPS);
  std::printf(
      "glimpse B=%ld S=%ld T=%ld D=%ld heads=%ld layers=%ld ff=%ld V=%ld threads=%ld: %.3f ms/step loss=%.4f "
      "peak_rss=%.1fMB cpu=%.3fms/step\n",
      B, S, T, D, HEADS, LAYERS, FF, V, THREADS, timing.wall_ms, timing.loss, timing.peak_rss_mb,
      timing.cpu_ms);
}
