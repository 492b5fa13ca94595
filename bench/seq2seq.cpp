// bench-seq2seq B T H E V STEPS [THREADS]: one training step of a GRU encoder-decoder with
// Bahdanau attention, teacher forcing and Adam (lr 1e-3), built from Glimpse's modules, timed
// after 3 warm-up steps. bench/seq2seq_libtorch.cpp (libtorch) and bench/seq2seq_torch.py
// (PyTorch eager) are the same model and step; all three print "... X.XXX ms/step loss=...", so
// bench/compare_libtorch.sh can read them side by side.
// Issue 6: the training step should beat libtorch's at the lessons' sizes.

#include <cstdio>
#include <cstdlib>
#include <glimpse.hpp>
#include <string>

#include "bench_tokens.hpp"
#include "nn/bahdanau_attention.hpp"
#include "nn/embedding.hpp"
#include "nn/gru_cell.hpp"
#include "nn/linear.hpp"
#include "nn/optim.hpp"
#include "step_timing.hpp"

using namespace glimpse;

namespace {

// The model's modules; seq2seq_libtorch.cpp and seq2seq_torch.py register the same names.
struct Seq2Seq : nn::Module {
  std::shared_ptr<nn::Embedding> enc_emb, dec_emb;
  std::shared_ptr<nn::GRUCell> enc_cell, dec_cell;
  std::shared_ptr<nn::BahdanauAttention> attn;
  std::shared_ptr<nn::Linear> out;
  Seq2Seq(int64_t H, int64_t E, int64_t V) {
    enc_emb = register_module("enc_emb", std::make_shared<nn::Embedding>(V, E));
    dec_emb = register_module("dec_emb", std::make_shared<nn::Embedding>(V, E));
    enc_cell = register_module("enc_cell", std::make_shared<nn::GRUCell>(E, H));
    dec_cell = register_module("dec_cell", std::make_shared<nn::GRUCell>(E + H, H));
    attn = register_module("attn", std::make_shared<nn::BahdanauAttention>(H, H, H));
    out = register_module("out", std::make_shared<nn::Linear>(2 * H, V));
  }
  std::string kind() const override { return "Seq2Seq"; }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: bench-seq2seq B T H E V STEPS [THREADS]\n");
    return 2;
  }
  const int64_t B = atoll(argv[1]), T = atoll(argv[2]), H = atoll(argv[3]), E = atoll(argv[4]),
                V = atoll(argv[5]), STEPS = atoll(argv[6]);
  // THREADS threads for Glimpse's split loops (autograd/kernels/parallel.hpp: matrix products,
  // large elementwise loops, softmax) and for OpenBLAS, through GLIMPSE_THREADS. One by default,
  // as the libtorch comparisons run.
  const int64_t THREADS = argc > 7 ? atoll(argv[7]) : 1;
  setenv("GLIMPSE_THREADS", std::to_string(THREADS).c_str(), 1);
  manual_seed(0);
  Seq2Seq model(H, E, V);
  nn::Adam opt(model.parameters(), {.lr = 1e-3f});
  Generator gen(0);
  const IndexTensor src = bench::random_tokens(B, T, 0, V, gen),
                    tgt = bench::random_tokens(B, T + 1, 0, V, gen);
  const IndexTensor dec_in = bench::columns(tgt, 0, T);
  const IndexTensor dec_out = bench::columns(tgt, 1, T);

  auto step = [&] {
    Tensor e = model.enc_emb->forward(src);  // [B, T, E]
    Tensor h = zeros({B, H});
    std::vector<Tensor> hs;
    for (int64_t t = 0; t < T; ++t) {
      h = model.enc_cell->forward(e.select(1, t), h);
      hs.push_back(h);
    }
    Tensor states = stack(hs, 1);  // [B, T, H]
    Tensor keys = model.attn->project_keys(states);
    Tensor d = model.dec_emb->forward(dec_in);
    std::vector<Tensor> logits;
    for (int64_t t = 0; t < T; ++t) {
      auto [context, weights] = model.attn->forward(h, states, keys);
      h = model.dec_cell->forward(cat({d.select(1, t), context}, 1), h);
      logits.push_back(model.out->forward(cat({h, context}, 1)));
    }
    Tensor loss = cross_entropy(stack(logits, 1).reshape({-1, V}), IndexTensor(dec_out.values));
    opt.zero_grad();
    loss.backward();
    opt.step();
    return loss.item();
  };

  const StepTiming timing = time_steps(step, STEPS);
  std::printf(
      "glimpse B=%ld T=%ld H=%ld E=%ld V=%ld threads=%ld: %.3f ms/step loss=%.4f peak_rss=%.1fMB "
      "cpu=%.3fms/step\n",
      B, T, H, E, V, THREADS, timing.wall_ms, timing.loss, timing.peak_rss_mb, timing.cpu_ms);
}
