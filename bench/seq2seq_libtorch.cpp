// bench-seq2seq-libtorch B T H E V STEPS [THREADS]: the training step of bench/seq2seq.cpp —
// GRU encoder, Bahdanau attention decoder, teacher forcing, cross-entropy, Adam (lr 1e-3) —
// written against PyTorch's C++ frontend (libtorch), so bench/compare_libtorch.sh can time both
// on the same sizes. Same warm-up (3 steps), same timing (mean over STEPS), same output line:
// "... X.XXX ms/step loss=... peak_rss=...MB cpu=X.XXXms/step". THREADS defaults to 1, like
// Glimpse's side.
// Lesson 06 introduces this model; issue 6 asks Glimpse's step to beat this one.
//
// Built only when CMake finds libtorch (Debian: apt-get install libtorch-dev), as C++17 and
// without Glimpse's flags: it measures libtorch, not our compiler options.
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "libtorch_threads.hpp"
#include "step_timing.hpp"

namespace {

namespace tnn = torch::nn;

// score_j = vᵀ tanh(W s + U h_j), weights = softmax(score), context = Σ_j weights_j h_j.
// W and v without bias, U with one: the parameters of Glimpse's nn::BahdanauAttention.
struct Attention : tnn::Module {
  tnn::Linear W{nullptr}, U{nullptr}, v{nullptr};
  explicit Attention(int64_t H) {
    W = register_module("W", tnn::Linear(tnn::LinearOptions(H, H).bias(false)));
    U = register_module("U", tnn::Linear(tnn::LinearOptions(H, H)));
    v = register_module("v", tnn::Linear(tnn::LinearOptions(H, 1).bias(false)));
  }
  torch::Tensor project_keys(const torch::Tensor& states) { return U(states); }  // [B, T, H]
  torch::Tensor context(const torch::Tensor& s, const torch::Tensor& states, const torch::Tensor& keys) {
    const torch::Tensor energy = torch::tanh(W(s).unsqueeze(1) + keys);          // [B, T, H]
    const torch::Tensor weights = torch::softmax(v(energy).squeeze(2), 1);       // [B, T]
    return torch::bmm(weights.unsqueeze(1), states).squeeze(1);                   // [B, H]
  }
};

// The modules of bench/seq2seq.cpp, under the same names.
struct Seq2Seq : tnn::Module {
  tnn::Embedding enc_emb{nullptr}, dec_emb{nullptr};
  tnn::GRUCell enc_cell{nullptr}, dec_cell{nullptr};
  std::shared_ptr<Attention> attn;
  tnn::Linear out{nullptr};
  Seq2Seq(int64_t H, int64_t E, int64_t V) {
    enc_emb = register_module("enc_emb", tnn::Embedding(V, E));
    dec_emb = register_module("dec_emb", tnn::Embedding(V, E));
    enc_cell = register_module("enc_cell", tnn::GRUCell(E, H));
    dec_cell = register_module("dec_cell", tnn::GRUCell(E + H, H));
    attn = register_module("attn", std::make_shared<Attention>(H));
    out = register_module("out", tnn::Linear(2 * H, V));
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: bench-seq2seq-libtorch B T H E V STEPS [THREADS]\n");
    return 2;
  }
  const int64_t B = atoll(argv[1]), T = atoll(argv[2]), H = atoll(argv[3]), E = atoll(argv[4]),
                V = atoll(argv[5]), STEPS = atoll(argv[6]);
  const int64_t THREADS = argc > 7 ? atoll(argv[7]) : 1;
  if (B < 1 || T < 1 || H < 1 || E < 1 || V < 1 || STEPS < 1 || THREADS < 1) {
    std::fprintf(stderr, "bench-seq2seq-libtorch: every argument must be a positive integer\n");
    return 2;
  }
  use_libtorch_threads(THREADS);
  torch::manual_seed(0);

  Seq2Seq model(H, E, V);
  torch::optim::Adam opt(model.parameters(), torch::optim::AdamOptions(1e-3));
  const torch::Tensor src = torch::randint(V, {B, T}, torch::kLong);
  const torch::Tensor tgt = torch::randint(V, {B, T + 1}, torch::kLong);
  const torch::Tensor dec_in = tgt.narrow(1, 0, T), dec_out = tgt.narrow(1, 1, T).reshape({-1});

  auto step = [&] {
    const torch::Tensor e = model.enc_emb(src);  // [B, T, E]
    torch::Tensor h = torch::zeros({B, H});
    std::vector<torch::Tensor> hs;
    for (int64_t t = 0; t < T; ++t) {
      h = model.enc_cell(e.select(1, t), h);
      hs.push_back(h);
    }
    const torch::Tensor states = torch::stack(hs, 1);  // [B, T, H]
    const torch::Tensor keys = model.attn->project_keys(states);
    const torch::Tensor d = model.dec_emb(dec_in);
    std::vector<torch::Tensor> logits;
    for (int64_t t = 0; t < T; ++t) {  // teacher forcing: the decoder reads the true previous token
      const torch::Tensor context = model.attn->context(h, states, keys);
      h = model.dec_cell(torch::cat({d.select(1, t), context}, 1), h);
      logits.push_back(model.out(torch::cat({h, context}, 1)));
    }
    const torch::Tensor loss = torch::nn::functional::cross_entropy(torch::stack(logits, 1).reshape({-1, V}), dec_out);
    opt.zero_grad();
    loss.backward();
    opt.step();
    return loss.item<float>();
  };

  const StepTiming timing = time_steps(step, STEPS);
  std::printf(
      "libtorch B=%ld T=%ld H=%ld E=%ld V=%ld threads=%ld: %.3f ms/step loss=%.4f peak_rss=%.1fMB "
      "cpu=%.3fms/step\n",
      B, T, H, E, V, THREADS, timing.wall_ms, timing.loss, timing.peak_rss_mb, timing.cpu_ms);
}
