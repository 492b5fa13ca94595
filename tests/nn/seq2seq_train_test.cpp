// The proof that the whole stack learns: a GRU encoder-decoder with Bahdanau attention, trained
// with Adam on the reverse task (sources of 5-10 letters), decodes held-out sequences exactly.
// Fixed seed and fixed step count, so the test is deterministic; sizes are chosen so it runs in
// about 6 s of CPU time in a Release build on one core (800 steps of batch 32, hidden 32). With
// these settings seeds 1, 7, 99 and 2024 all reach 100 % on the 500 held-out sequences.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <cmath>
#include <memory>

#include "nn/clip_grad.hpp"
#include "nn/decoding.hpp"
#include "nn/lr_scheduler.hpp"
#include "nn/optim.hpp"
#include "nn/seq2seq.hpp"
#include "nn/tasks.hpp"

using namespace glimpse;
using namespace glimpse::nn;

namespace {

struct TrainConfig {
  int64_t embedding_dim = 16;
  int64_t hidden_size = 32;
  int64_t batch_size = 32;
  int64_t steps = 800;
  float lr = 0.005f;
  int64_t halve_lr_every = 250;  // steps; a decaying rate settles instead of bouncing near 100 %
  float clip = 1.0f;
  int64_t train_examples = 20000;
  int64_t test_examples = 500;
  uint64_t seed = 2024;
};

// Fraction of `examples` whose greedy decoding equals the target exactly.
double exact_sequence_accuracy(const Seq2seq& model, const std::vector<Example>& examples, const Vocab& vocab) {
  int64_t correct = 0;
  constexpr size_t kChunk = 100;
  for (size_t start = 0; start < examples.size(); start += kChunk) {
    const size_t end = std::min(examples.size(), start + kChunk);
    const std::vector<Example> rows(examples.begin() + start, examples.begin() + end);
    const Batch batch = make_batch(rows, vocab, vocab);
    const GreedyOutput out = greedy_decode(model, batch.source, batch.source_mask, batch.target_len() + 2);
    for (size_t i = 0; i < rows.size(); ++i) correct += vocab.decode(out.sequences[i]) == rows[i].target;
  }
  return static_cast<double>(correct) / static_cast<double>(examples.size());
}

}  // namespace

TEST(Seq2seqTraining, AttentionLearnsToReverseHeldOutSequences) {
  const TrainConfig cfg;
  ReverseTask task(5, 10, 10);
  const Vocab vocab(task.source_tokens());  // one vocabulary for source and target

  Generator data_gen(cfg.seed);
  const std::vector<Example> test_set = generate(task, cfg.test_examples, data_gen);
  // Training never sees a test source.
  Batcher batcher(generate_excluding(task, cfg.train_examples, data_gen, test_set), vocab, vocab, cfg.batch_size,
                  cfg.seed);

  Generator init(cfg.seed);
  auto encoder = std::make_shared<Encoder>(vocab.size(), cfg.embedding_dim, cfg.hidden_size, false, init);
  auto decoder = std::make_shared<AttentionDecoder>(vocab.size(), cfg.embedding_dim, cfg.hidden_size, 0, init);
  Seq2seq model(encoder, decoder);
  Adam adam(model.parameters(), AdamOptions{.lr = cfg.lr});
  StepLR schedule(adam, cfg.halve_lr_every, 0.5f);  // stepped once per training step

  const auto start = std::chrono::steady_clock::now();
  float loss = 0;
  for (int64_t step = 0; step < cfg.steps; ++step) {
    const Batch batch = batcher.next();
    adam.zero_grad();
    Tensor l = model.loss(batch);
    l.backward();
    clip_grad_norm(model.parameters(), cfg.clip);
    adam.step();
    schedule.step();
    loss = l.item();
  }
  const double train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  model.eval();
  const double accuracy = exact_sequence_accuracy(model, test_set, vocab);
  RecordProperty("train_seconds", std::to_string(train_seconds));
  RecordProperty("accuracy", std::to_string(accuracy));
  std::cout << "[ reverse  ] " << cfg.steps << " steps in " << train_seconds << " s ("
            << 1000.0 * train_seconds / cfg.steps << " ms/step), final loss " << loss
            << ", held-out exact-sequence accuracy " << accuracy << "\n";
  EXPECT_GE(accuracy, 0.99);
}
