// The timing every training-step benchmark shares, Glimpse's and their libtorch twins alike (so it
// is plain C++17 with no Glimpse header): 3 warm-up steps, then `steps` timed ones, and the
// numbers of the line bench/compare_libtorch.sh and bench/compare_workloads.sh read:
// "... X.XXX ms/step loss=... peak_rss=...MB cpu=X.XXXms/step".
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <ctime>

struct StepTiming {
  double wall_ms = 0;      // what a learner waits, per step
  double cpu_ms = 0;       // what the step costs (std::clock: every thread of the process), per
                           // step; it moves less when other jobs share the machine
  double peak_rss_mb = 0;  // the process's peak resident memory
  float loss = 0;          // the last step's loss
};

// `step()` runs one training step and returns its loss.
template <class Step>
StepTiming time_steps(Step&& step, int64_t steps) {
  for (int i = 0; i < 3; ++i) step();
  const auto t0 = std::chrono::steady_clock::now();
  const std::clock_t c0 = std::clock();
  StepTiming timing;
  for (int64_t i = 0; i < steps; ++i) timing.loss = step();
  const double n = static_cast<double>(steps);
  timing.wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / n;
  timing.cpu_ms = 1e3 * static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC / n;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  timing.peak_rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;
  return timing;
}
