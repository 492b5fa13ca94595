// Issue 14: a small pool of worker threads for parallel_for. The caller hands out ranges as tasks,
// runs the first itself, helps with whatever tasks are still queued, then waits for its own.
// Waiting starts with a short spin (spin_until), so back-to-back loops do not pay for a wake-up.
#include "autograd/kernels/parallel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace glimpse::detail {

namespace {

// Set while this thread runs a range: a parallel_for inside one (a batch of products, each split
// by rows) runs on its own thread, so a worker never waits for the pool it is part of.
thread_local bool t_inside_range = false;

struct InsideRange {
  bool was = t_inside_range;
  InsideRange() { t_inside_range = true; }
  ~InsideRange() { t_inside_range = was; }
};

// One parallel_for call: its body and how many of its ranges have not finished. It lives on the
// caller's stack, so a worker touches it only up to the decrement that may let the caller return.
struct Job {
  const std::function<void(int64_t, int64_t)>* body;
  std::atomic<int64_t> left;
};

struct Task {
  Job* job;
  int64_t begin, end;
};

// Waits until `done()` for up to kSpin, checking it in a tight loop. A training step hands out
// ranges every few microseconds; a thread that went to sleep takes longer than that to wake (a
// futex call, then the scheduler), so both the workers and the caller spin a little first.
constexpr auto kSpin = std::chrono::microseconds(50);
template <class Done>
bool spin_until(Done done) {
  const auto give_up = std::chrono::steady_clock::now() + kSpin;
  while (true) {
    for (int i = 0; i < 64; ++i) {
      if (done()) return true;
#if defined(__x86_64__) || defined(__i386__)
      _mm_pause();  // tells the core this is a wait loop (saves power, frees the sibling thread)
#endif
    }
    if (std::chrono::steady_clock::now() >= give_up) return done();
  }
}

class Pool {
 public:
  ~Pool() {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    work_.notify_all();
    for (std::thread& w : workers_) w.join();
  }

  void run(int64_t count, int64_t ranges, const std::function<void(int64_t, int64_t)>& body) {
    Job job{&body, ranges};
    {
      const std::lock_guard lock(mutex_);
      while (static_cast<int64_t>(workers_.size()) < ranges - 1) workers_.emplace_back([this] { work(); });
      for (int64_t r = 1; r < ranges; ++r) tasks_.push_back({&job, count * r / ranges, count * (r + 1) / ranges});
      queued_.store(static_cast<int64_t>(tasks_.size()), std::memory_order_release);
    }
    work_.notify_all();
    {
      const InsideRange inside;
      body(0, count / ranges);
    }
    job.left.fetch_sub(1, std::memory_order_acq_rel);
    const auto finished = [&] { return job.left.load(std::memory_order_acquire) == 0; };
    std::unique_lock lock(mutex_);
    // Help with what is still queued (this job's or another caller's) rather than wait.
    while (!finished() && !tasks_.empty()) run_one(lock);
    if (finished()) return;
    lock.unlock();
    if (spin_until(finished)) return;
    lock.lock();
    done_.wait(lock, finished);
  }

 private:
  // Runs the first queued task with the lock released; called and returns with it held.
  void run_one(std::unique_lock<std::mutex>& lock) {
    const Task task = tasks_.front();
    tasks_.pop_front();
    queued_.store(static_cast<int64_t>(tasks_.size()), std::memory_order_release);
    lock.unlock();
    {
      const InsideRange inside;
      (*task.job->body)(task.begin, task.end);
    }
    const bool last = task.job->left.fetch_sub(1, std::memory_order_acq_rel) == 1;
    lock.lock();
    // Under the lock, so a caller that found its job unfinished is already waiting (the job itself
    // may be gone by now: the condition variable is the pool's).
    if (last) done_.notify_all();
  }

  void work() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (!tasks_.empty()) {
        run_one(lock);
        continue;
      }
      lock.unlock();
      spin_until([&] { return queued_.load(std::memory_order_acquire) > 0; });
      lock.lock();
      work_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
    }
  }

  std::mutex mutex_;
  std::condition_variable work_;  // a task was queued, or the pool is stopping
  std::condition_variable done_;  // some job's last range finished
  std::deque<Task> tasks_;
  std::atomic<int64_t> queued_{0};  // tasks_.size(), for spinning without the lock
  std::vector<std::thread> workers_;
  bool stopping_ = false;
};

Pool& pool() {
  static Pool p;
  return p;
}

// 0 until the first question; then GLIMPSE_THREADS's, or set_thread_count's.
std::atomic<int64_t> g_threads{0};

}  // namespace

int64_t thread_count(Loc loc) {
  const int64_t current = g_threads.load(std::memory_order_relaxed);
  if (current > 0) return current;
  const char* env = std::getenv("GLIMPSE_THREADS");
  int64_t chosen = std::max<int64_t>(1, std::thread::hardware_concurrency());
  if (env && *env) {
    char* end = nullptr;
    const long long n = std::strtoll(env, &end, 10);
    check(*end == '\0' && n >= 1 && n <= 1024, "GLIMPSE_THREADS", loc, [&] {
      return fmt::format("'{}' is not a number of threads (1 to 1024; unset: every core, here {})", env, chosen);
    });
    chosen = n;
  }
  int64_t unset = 0;  // another thread may have chosen meanwhile: keep the first choice
  g_threads.compare_exchange_strong(unset, chosen);
  return g_threads.load();
}

void set_thread_count(int64_t n, Loc loc) {
  check(n >= 1 && n <= 1024, "set_thread_count", loc,
        [&] { return fmt::format("{} is not a number of threads (1 to 1024)", n); });
  g_threads.store(n);
}

void parallel_for(int64_t count, int64_t min_per_range, const std::function<void(int64_t, int64_t)>& body) {
  if (count <= 0) return;
  const int64_t ranges = std::min(thread_count(), count / std::max<int64_t>(min_per_range, 1));
  if (ranges <= 1 || t_inside_range) return body(0, count);
  pool().run(count, ranges, body);
}

}  // namespace glimpse::detail
