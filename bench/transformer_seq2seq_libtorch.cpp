// bench-transformer-seq2seq-libtorch B S T D HEADS LAYERS FF V STEPS [THREADS]: the training step of
// bench/transformer_seq2seq.cpp — an encoder-decoder Transformer (embedding + sinusoidal
// positions, LAYERS post-norm relu encoder layers + final LayerNorm, LAYERS decoder layers + final
// LayerNorm, output Linear, dropout 0), the whole target read at once under the causal mask,
// cross-entropy, gradient-norm clipping at 1, Adam (lr 1e-3) — written against PyTorch's C++
// frontend (libtorch), so bench/compare_workloads.sh can time both on the same sizes. Same
// warm-up (3 steps), same timing (mean over STEPS), same output line: "... X.XXX ms/step loss=...
// peak_rss=...MB cpu=X.XXXms/step". THREADS defaults to 1, like Glimpse's side.
// Lesson 12 introduces this model (issue 11).
//
// libtorch 1.13's C++ TransformerEncoderLayer and TransformerDecoderLayer have neither batch_first
// nor norm_first: they are post-norm (Glimpse's default) and read [length, batch, d]. So this side
// embeds the transposed ids, [S, B] and [T, B], and keeps that layout to the logits [T, B, V]; the
// loss compares them with the labels transposed the same way: the same sum over the same tokens.
//
// Built only when CMake finds libtorch (Debian: apt-get install libtorch-dev), as C++17 and
// without Glimpse's flags: it measures libtorch, not our compiler options.
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "libtorch_threads.hpp"
#include "step_timing.hpp"

namespace {

namespace tnn = torch::nn;

// PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(…): nn::sinusoidal_encoding's table.
torch::Tensor sinusoidal_encoding(int64_t length, int64_t d) {
  const torch::Tensor pos = torch::arange(length, torch::kFloat).unsqueeze(1);  // [L, 1]
  const torch::Tensor div = torch::exp(torch::arange(0, d, 2, torch::kFloat) * (-std::log(10000.0) / d));
  torch::Tensor pe = torch::zeros({length, d});
  pe.index_put_({torch::indexing::Slice(), torch::indexing::Slice(0, torch::indexing::None, 2)},
                torch::sin(pos * div));
  pe.index_put_({torch::indexing::Slice(), torch::indexing::Slice(1, torch::indexing::None, 2)},
                torch::cos(pos * div).narrow(1, 0, d / 2));
  return pe;
}

// The modules of bench/transformer_seq2seq.cpp (names as nn::Seq2seq's children).
struct Seq2seq : tnn::Module {
  tnn::Embedding enc_emb{nullptr}, dec_emb{nullptr};
  tnn::TransformerEncoder encoder{nullptr};
  tnn::TransformerDecoder decoder{nullptr};
  tnn::Linear out{nullptr};
  int64_t d;
  Seq2seq(int64_t V, int64_t D, int64_t HEADS, int64_t LAYERS, int64_t FF) : d(D) {
    // <pad> = id 0 stays a zero vector, as Glimpse's Embedding(…, Vocab::kPad).
    enc_emb = register_module("enc_emb", tnn::Embedding(tnn::EmbeddingOptions(V, D).padding_idx(0)));
    dec_emb = register_module("dec_emb", tnn::Embedding(tnn::EmbeddingOptions(V, D).padding_idx(0)));
    const auto enc_layer = tnn::TransformerEncoderLayer(
        tnn::TransformerEncoderLayerOptions(D, HEADS).dim_feedforward(FF).dropout(0.0).activation(
            torch::kReLU));
    encoder = register_module(
        "encoder",
        tnn::TransformerEncoder(tnn::TransformerEncoderOptions(enc_layer, LAYERS)
                                    .norm(tnn::AnyModule(tnn::LayerNorm(tnn::LayerNormOptions({D}))))));
    const auto dec_layer = tnn::TransformerDecoderLayer(
        tnn::TransformerDecoderLayerOptions(D, HEADS).dim_feedforward(FF).dropout(0.0).activation(
            torch::kReLU));
    decoder = register_module(
        "decoder",
        tnn::TransformerDecoder(tnn::TransformerDecoderOptions(dec_layer, LAYERS)
                                    .norm(tnn::AnyModule(tnn::LayerNorm(tnn::LayerNormOptions({D}))))));
    out = register_module("out", tnn::Linear(D, V));
  }
  // source [S, B], decoder input [T, B] → logits [T, B, V].
  torch::Tensor forward(const torch::Tensor& source, const torch::Tensor& target) {
    const int64_t S = source.size(0), T = target.size(0);
    const torch::Tensor x = enc_emb(source) + sinusoidal_encoding(S, d).unsqueeze(1);  // [S, B, D]
    const torch::Tensor memory = encoder(x);
    const torch::Tensor y = dec_emb(target) + sinusoidal_encoding(T, d).unsqueeze(1);       // [T, B, D]
    const torch::Tensor causal = tnn::TransformerImpl::generate_square_subsequent_mask(T);  // −inf above
    return out(decoder(y, memory, causal));
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 10) {
    std::fprintf(stderr,
                 "usage: bench-transformer-seq2seq-libtorch B S T D HEADS LAYERS FF V STEPS [THREADS]\n");
    return 2;
  }
  const int64_t B = atoll(argv[1]), S = atoll(argv[2]), T = atoll(argv[3]), D = atoll(argv[4]),
                HEADS = atoll(argv[5]), LAYERS = atoll(argv[6]), FF = atoll(argv[7]), V = atoll(argv[8]),
                STEPS = atoll(argv[9]);
  const int64_t THREADS = argc > 10 ? atoll(argv[10]) : 1;
  if (B < 1 || S < 1 || T < 1 || D < 1 || HEADS < 1 || D % HEADS != 0 || LAYERS < 1 || FF < 1 || V < 2 ||
      STEPS < 1 || THREADS < 1) {
    std::fprintf(stderr,
                 "bench-transformer-seq2seq-libtorch: every argument must be a positive integer, D a "
                 "multiple of HEADS and V at least 2\n");
    return 2;
  }
  use_libtorch_threads(THREADS);
  torch::manual_seed(0);

  Seq2seq model(V, D, HEADS, LAYERS, FF);
  torch::optim::Adam opt(model.parameters(), torch::optim::AdamOptions(1e-3));
  // Real tokens 1 … V−1, never <pad>; sequence first, as libtorch's layers read them.
  const torch::Tensor src = torch::randint(1, V, {S, B}, torch::kLong);
  const torch::Tensor tgt = torch::randint(1, V, {T + 1, B}, torch::kLong);
  const torch::Tensor dec_in = tgt.narrow(0, 0, T), dec_out = tgt.narrow(0, 1, T).reshape({-1});

  auto step = [&] {
    const torch::Tensor logits = model.forward(src, dec_in);  // [T, B, V]
    const torch::Tensor loss = torch::nn::functional::cross_entropy(logits.reshape({-1, V}), dec_out);
    opt.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(model.parameters(), 1.0);
    opt.step();
    return loss.item<float>();
  };

  const StepTiming timing = time_steps(step, STEPS);
  std::printf(
      "libtorch B=%ld S=%ld T=%ld D=%ld heads=%ld layers=%ld ff=%ld V=%ld threads=%ld: %.3f ms/step "
      "loss=%.4f "
      "peak_rss=%.1fMB cpu=%.3fms/step\n",
      B, S, T, D, HEADS, LAYERS, FF, V, THREADS, timing.wall_ms, timing.loss, timing.peak_rss_mb,
      timing.cpu_ms);
}
