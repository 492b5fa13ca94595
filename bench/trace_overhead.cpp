// bench-trace-overhead [B=16] [H=32] [STEPS=20] [ROUNDS=8]: what tracing costs (issue 4).
// Introduced with the tracer in lesson 01; this is the proof behind "tracing off costs nothing".
//
// One training step (forward, backward, Adam) of the lessons' GRU encoder + Bahdanau attention
// decoder on the reverse task, timed four ways:
//   (a) no tracer attached: every op and every module step pays one branch on a global flag
//       (detail::t_has_observers / nn::detail::t_has_step_observers), nothing else;
//   (b) a do-nothing observer attached: every op and step now makes the full notification
//       (function call, loop over observers, virtual call) and does no work — strictly more
//       than the branch of (a), so (b) − (a) bounds what tracing support costs when it is off;
//   (c) a Tracer attached for the whole run (default limits: graph and backward of the first
//       pass, then every step's values, last 8 sequences kept);
//   (d) the same Tracer, graph off: what a long traced training run pays per step.
// A build without the hooks cannot be timed here (they are part of every op), so the claim is
// measured two ways: the guard alone, run as many times as a step has events, and (b) − (a),
// which bounds it from above (the branch costs less than the whole call it guards).
// The machine is shared and noisy: times are this thread's CPU time, the variants are
// interleaved in rotating order, and the best round of each is kept.
#include <algorithm>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "glimpse.hpp"
#include "nn/batch.hpp"
#include "nn/gru_cell.hpp"
#include "nn/optim.hpp"
#include "nn/seq2seq.hpp"
#include "nn/tasks.hpp"
#include "trace/tracer.hpp"

using namespace glimpse;

namespace {

// Sees every event and does nothing with it.
struct NullObserver final : TapeObserver, nn::StepObserver {
  int64_t ops = 0, steps = 0;
  void on_op(const Tensor&) override { ++ops; }
  void on_step(const nn::StepRecord&) override { ++steps; }
};

// CPU time of this thread: on a shared machine, wall time mostly measures the other processes.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double seconds_per_step(const std::function<void()>& step, int64_t steps) {
  const double t0 = cpu_seconds();
  for (int64_t i = 0; i < steps; ++i) step();
  return (cpu_seconds() - t0) / static_cast<double>(steps);
}

// The guard every op runs when nobody listens, alone in a loop, `events` times per repetition:
// the flag is reloaded each time (as each op does), the call behind it is never taken.
double guard_seconds(int64_t events, int repetitions) {
  const Tensor t = zeros({1});
  const double t0 = cpu_seconds();
  for (int r = 0; r < repetitions; ++r)
    for (int64_t i = 0; i < events; ++i) {
      asm volatile("" ::: "memory");
      if (detail::t_has_observers) [[unlikely]]
        detail::notify_op(t);
    }
  return (cpu_seconds() - t0) / repetitions;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t B = argc > 1 ? std::atoll(argv[1]) : 16;
  const int64_t H = argc > 2 ? std::atoll(argv[2]) : 32;
  const int64_t steps = argc > 3 ? std::atoll(argv[3]) : 20;
  const int rounds = argc > 4 ? std::atoi(argv[4]) : 8;

  Generator gen(0);
  const nn::ReverseTask task(5, 10);
  nn::Vocab vocab(task.source_tokens());
  for (const std::string& t : task.target_tokens()) vocab.add(t);
  const std::vector<nn::Example> examples = nn::generate(task, B, gen);
  const nn::Batch batch = nn::make_batch(examples, vocab, vocab);
  nn::Seq2seq model(std::make_shared<nn::Encoder>(vocab.size(), 16, H, false, gen),
                    std::make_shared<nn::AttentionDecoder>(vocab.size(), 16, H, 0, gen));
  // Untraced, GRUCell runs its fused gate kernel; with any observer attached it takes the
  // composed ops the tracer shows. Timed here with the composed ops throughout, so (a) and (b)
  // run the same ops and differ only in the notifications.
  for (const auto& [path, module] : model.named_modules())
    if (const auto* cell = dynamic_cast<const nn::GRUCell*>(module))
      const_cast<nn::GRUCell*>(cell)->use_fused_kernel(false);
  nn::Adam adam(model.parameters(), {.lr = 1e-3f});
  auto train_step = [&] {
    adam.zero_grad();
    model.loss(batch).backward();
    adam.step();
  };

  // How many events one step produces (what the branch is paid for).
  NullObserver counter;
  add_tape_observer(&counter);
  nn::add_step_observer(&counter);
  train_step();
  nn::remove_step_observer(&counter);
  remove_tape_observer(&counter);

  for (int i = 0; i < 3; ++i) train_step();  // warm up caches and the memory pool
  // The four variants; each round runs them all, starting with a different one, so none gains
  // from always running first (or right after a tracer freed its recording).
  const std::vector<std::function<double()>> variants = {
      [&] { return seconds_per_step(train_step, steps); },
      [&] {
        NullObserver null;
        add_tape_observer(&null);
        nn::add_step_observer(&null);
        const double t = seconds_per_step(train_step, steps);
        nn::remove_step_observer(&null);
        remove_tape_observer(&null);
        return t;
      },
      [&] {
        trace::Tracer tracer(model);
        return seconds_per_step(train_step, steps);
      },
      [&] {
        trace::Tracer tracer(model, {.record_graph = false});
        return seconds_per_step(train_step, steps);
      },
  };
  std::vector<double> best(variants.size(), 1e30);
  for (int r = 0; r < rounds; ++r)
    for (size_t k = 0; k < variants.size(); ++k) {
      const size_t v = (k + r) % variants.size();
      best[v] = std::min(best[v], variants[v]());
    }
  const double a = best[0], b = best[1], c = best[2], d = best[3];
  const double events = static_cast<double>(counter.ops + counter.steps);
  std::printf("trace overhead: GRU encoder + Bahdanau attention decoder, B=%ld H=%ld, reverse task (T<=11)\n", B, H);
  std::printf("  events per training step: %ld ops on the tape, %ld module steps\n", counter.ops, counter.steps);
  std::printf("  (a) no tracer attached          %8.3f ms/step   %6.1f ns per event\n", a * 1e3, a / events * 1e9);
  std::printf("  (b) do-nothing observer         %8.3f ms/step   %+6.2f %% vs (a)\n", b * 1e3, (b / a - 1) * 100);
  std::printf("  (c) Tracer, default options     %8.3f ms/step   %+6.2f %% vs (a)\n", c * 1e3, (c / a - 1) * 100);
  std::printf("  (d) Tracer, record_graph=false  %8.3f ms/step   %+6.2f %% vs (a)\n", d * 1e3, (d / a - 1) * 100);
  const double guard = guard_seconds(counter.ops + counter.steps, 2000);
  std::printf("  the guard alone (flag load + untaken branch), %ld times: %.2f us = %.3f %% of (a)\n",
              counter.ops + counter.steps, guard * 1e6, guard / a * 100);
  std::printf("  (b) - (a), the whole notification call in place of the untaken branch, bounds it too: %+.2f %%\n",
              (b / a - 1) * 100);
  return 0;
}
