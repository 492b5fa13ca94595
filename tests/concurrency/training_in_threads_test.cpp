// Two models trained in two threads at once must give the same bits as each run alone: the
// counters behind tensor ids, backward passes, time steps and the default generator are per
// thread, so nothing one thread does can reach another's run. Labelled `concurrency`; CI also
// runs it in a ThreadSanitizer build (-DGLIMPSE_SANITIZE=thread), which must report nothing.
#include <gtest/gtest.h>

#include <cstring>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

#include "nn/optim.hpp"
#include "nn/seq2seq.hpp"
#include "nn/tasks.hpp"

using namespace glimpse;
using namespace glimpse::nn;

namespace {

// A few Adam steps of a small GRU seq2seq with attention on the reverse task, everything random
// drawn from the default generator.
class TrainingRun {
 public:
  // Builds the model from the default generator, seeded here (so in whichever thread runs this).
  explicit TrainingRun(uint64_t seed) : seed_(seed), task_(3, 5, 6), vocab_(task_.source_tokens()) {
    manual_seed(seed);
    auto encoder = std::make_shared<Encoder>(vocab_.size(), 8, 12);
    auto decoder = std::make_shared<AttentionDecoder>(vocab_.size(), 8, 12);
    model_ = std::make_unique<Seq2seq>(encoder, decoder);
    Generator data(seed);
    batcher_ = std::make_unique<Batcher>(generate(task_, 64, data), vocab_, vocab_, 8, seed);
  }

  // Trains (in whichever thread calls this) and returns every loss, then every parameter value,
  // as raw bits.
  std::vector<uint32_t> train(int64_t steps = 20) {
    manual_seed(seed_);
    Adam adam(model_->parameters(), AdamOptions{.lr = 0.01f});
    std::vector<float> values;
    for (int64_t step = 0; step < steps; ++step) {
      adam.zero_grad();
      // Half the decoder inputs are its own predictions, by coin flips drawn from this thread's
      // default generator all through training.
      Tensor loss = model_->loss(batcher_->next(), 0.5f, &default_generator());
      loss.backward();
      adam.step();
      values.push_back(loss.item());
    }
    for (const Tensor& p : model_->parameters())
      for (float v : p.to_vector()) values.push_back(v);
    std::vector<uint32_t> bits(values.size());
    std::memcpy(bits.data(), values.data(), values.size() * sizeof(float));
    return bits;
  }

 private:
  uint64_t seed_;
  ReverseTask task_;
  Vocab vocab_;
  std::unique_ptr<Seq2seq> model_;
  std::unique_ptr<Batcher> batcher_;
};

std::vector<uint32_t> built_and_trained_in_this_thread(uint64_t seed) { return TrainingRun(seed).train(); }

// A step observer attached in one thread must not change how another thread's modules run.
struct CountSteps : StepObserver {
  int64_t steps = 0;
  void on_step(const StepRecord&) override { ++steps; }
};

}  // namespace

TEST(TrainingInThreads, TwoConcurrentRunsMatchTheSameRunsAlone) {
  const std::vector<uint32_t> alone_a = built_and_trained_in_this_thread(1);
  const std::vector<uint32_t> alone_b = built_and_trained_in_this_thread(2);
  ASSERT_NE(alone_a, alone_b);  // two different runs, so a mix-up would show
  for (int round = 0; round < 3; ++round) {
    std::vector<uint32_t> a, b;
    std::latch start(2);  // both threads build their models at the same moment
    std::thread ta([&] {
      start.arrive_and_wait();
      a = built_and_trained_in_this_thread(1);
    });
    std::thread tb([&] {
      start.arrive_and_wait();
      b = built_and_trained_in_this_thread(2);
    });
    ta.join();
    tb.join();
    EXPECT_EQ(a, alone_a) << "round " << round;
    EXPECT_EQ(b, alone_b) << "round " << round;
  }
}

TEST(TrainingInThreads, ARunIsUnchangedByATracedRunInAnotherThread) {
  const std::vector<uint32_t> alone = built_and_trained_in_this_thread(3);
  std::vector<uint32_t> untraced;
  int64_t traced_steps = 0;
  std::latch start(2);
  std::thread traced([&] {
    CountSteps counter;
    add_step_observer(&counter);
    start.arrive_and_wait();  // the observer is in place before the other run starts
    built_and_trained_in_this_thread(4);
    remove_step_observer(&counter);
    traced_steps = counter.steps;
  });
  std::thread plain([&] {
    start.arrive_and_wait();
    untraced = built_and_trained_in_this_thread(3);
  });
  traced.join();
  plain.join();
  EXPECT_GT(traced_steps, 0);
  EXPECT_EQ(untraced, alone);
}

TEST(TrainingInThreads, AModelBuiltInOneThreadTrainsTheSameInAnother) {
  // The model's tensors get their ids in this thread; the worker's ops must still come after
  // them on the tape, or backward would visit a parameter before all its gradients arrived.
  for (int i = 0; i < 1000; ++i) ones({1});  // this thread's ids run ahead of a fresh thread's
  TrainingRun here(5), there(5);
  const std::vector<uint32_t> trained_here = here.train();
  std::vector<uint32_t> trained_there;
  std::thread worker([&] { trained_there = there.train(); });
  worker.join();
  EXPECT_EQ(trained_there, trained_here);
}
