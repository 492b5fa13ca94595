// What every lesson shares: the common flags (--seed, --steps, --out), a progress line for long
// training, and the closing "what to open" list. Lesson code stays the story; this is plumbing.
#pragma once

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <glimpse.hpp>
#include <string>
#include <vector>

#include "support/flags.hpp"
#ifdef GLIMPSE_LESSON_EXERCISES
#include "support/exercise_check.hpp"
#endif

namespace glimpse::lessons {

// Flags every lesson takes. Each lesson adds its own sizes on top.
struct CommonFlags {
  uint64_t seed = 0;
  int64_t steps = 0;  // set by a lesson that trains to its default before parsing
  std::string out;    // folder for traces and pictures
  bool quiet = false;
  bool smoke = false;  // tiny sizes and step counts: the test suite's quick check
};

// Adds --seed, --steps (for a lesson that trains: one that set flags.steps), --out and --quiet to
// `app` with the lesson's defaults.
inline void add_common_flags(CLI::App& app, CommonFlags& flags) {
  add_number(app, "--seed", flags.seed, "random seed: the same seed gives the same numbers", 0, 4294967295);
  if (flags.steps > 0) add_number(app, "--steps", flags.steps, "training steps", 1, 100000);
  app.add_option("--out", flags.out, "folder for the trace files this lesson writes (created before any work)")
      ->capture_default_str();
  app.add_flag("--quiet", flags.quiet,
               "no progress line and no wall-clock times, so two runs print the same bytes (for scripts and tests)");
  app.add_flag("--smoke", flags.smoke, "run with tiny step counts (what the test suite does)");
}

// One line that rewrites itself: step, loss, steps per second and time left. It keeps every
// loss it is given, for the lesson's loss plot (loss_plot below).
class Progress {
 public:
  Progress(int64_t total, bool quiet) : total_(total), quiet_(quiet), start_(Clock::now()) {}

  void update(int64_t step, float loss) {
    losses_.push_back(loss);
    const double elapsed = seconds();
    if (quiet_ || (step + 1 < total_ && elapsed - last_print_ < 0.1)) return;
    last_print_ = elapsed;
    const double rate = (step + 1) / std::max(elapsed, 1e-9);
    const double eta = (total_ - step - 1) / std::max(rate, 1e-9);
    fmt::print(stderr, "\r  step {:>6}/{:<6} loss {:8.4f}  {:7.1f} steps/s  ETA {:5.1f}s ", step + 1, total_, loss, rate, eta);
    if (step + 1 == total_) fmt::print(stderr, "\n");
    std::fflush(stderr);
  }

  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  // The loss of every step so far, in order.
  const std::vector<float>& losses() const { return losses_; }

 private:
  using Clock = std::chrono::steady_clock;
  int64_t total_;
  bool quiet_;
  Clock::time_point start_;
  double last_print_ = -1.0;
  std::vector<float> losses_;
};

// Each model's training losses by name (Progress::losses), for loss_plot.
using LossCurves = std::vector<std::pair<std::string, std::vector<float>>>;

// The training loss against the step, one curve per model (name, its losses). One batch's loss
// jumps from step to step, so each point is the mean of the last `window` steps (a fiftieth of
// the run); a log axis keeps the slow end of training readable.
inline trace::LinePlot loss_plot(const std::string& title, const LossCurves& runs,
                                 const std::string& loss_name = "cross-entropy (nats)") {
  size_t longest = 1;
  bool positive = true;
  for (const auto& [name, losses] : runs) {
    longest = std::max(longest, losses.size());
    for (float l : losses) positive = positive && l > 0;
  }
  const size_t window = std::max<size_t>(1, longest / 50);
  trace::LinePlot plot;
  plot.title = title;
  plot.x_label = "training step";
  plot.y_label = window > 1 ? fmt::format("{}, mean of {} steps", loss_name, window) : loss_name;
  plot.log_y = positive;
  for (const auto& [name, losses] : runs) {
    trace::Series curve{.name = name};
    double sum = 0;
    for (size_t i = 0; i < losses.size(); ++i) {
      sum += losses[i];
      if (i >= window) sum -= losses[i - window];
      curve.x.push_back(static_cast<double>(i));  // the loss of step i, taken after i updates
      curve.y.push_back(sum / static_cast<double>(std::min(i + 1, window)));
    }
    if (!curve.x.empty()) plot.series.push_back(curve);
  }
  return plot;
}

// Trainable numbers in a model: what "the same budget" compares.
inline int64_t parameter_count(const nn::Module& model) {
  int64_t n = 0;
  for (const Tensor& p : model.parameters()) n += p.numel();
  return n;
}

// The lesson's last words: what it found is printed by the lesson; this lists the files to open.
inline void print_files_to_open(const std::vector<std::pair<std::string, std::string>>& files) {
  fmt::print("\nOpen these files:\n");
  for (const auto& [path, what] : files) fmt::print("  {:<44} {}\n", path, what);
}

// The lesson's first line: which kernel multiplies matrices, and so whether the numbers can be
// compared with the docs pages bit for bit.
inline std::string backend_line() {
  const std::string backend = matmul_backend();
  if (backend == "openblas")
    return "matmul: openblas (chosen by GLIMPSE_GEMM; faster on some CPUs, but its sums follow the CPU, so the numbers "
           "can differ from the docs pages)";
  return fmt::format("matmul: {} (the same seed gives the same numbers, bit for bit, on any x86-64 CPU with AVX2 and "
                     "FMA; GLIMPSE_GEMM=openblas opts in to OpenBLAS)",
                     backend);
}

// Runs a lesson's body and turns any error into a clear message and exit code 1.
template <class Body>
int run_lesson(Body&& body) {
  try {
    fmt::print("{}\n", backend_line());
#ifdef GLIMPSE_LESSON_EXERCISES
    // An exercise build: lessons/CMakeLists.txt names the learner's pieces this lesson runs, and
    // each is compared with the reference on a fixed input before the lesson starts. The default
    // build has none, and prints exactly what it printed before.
    fmt::print("{}", exercise_check::report(GLIMPSE_LESSON_EXERCISES));
#endif
    return body();
  } catch (const std::exception& e) {
    fmt::print(stderr, "\nerror: {}\n", e.what());
    return 1;
  }
}

}  // namespace glimpse::lessons
