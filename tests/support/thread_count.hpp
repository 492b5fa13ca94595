// Sets how many threads Glimpse's loops use (autograd/kernels/parallel.hpp) for one scope, and
// puts the previous count back when the scope ends, even if a test assertion returns early.
#pragma once

#include <cstdint>

#include "autograd/kernels/parallel.hpp"

namespace glimpse::test {

class ThreadCount {
 public:
  explicit ThreadCount(int64_t n) : before_(detail::thread_count()) { detail::set_thread_count(n); }
  ~ThreadCount() { detail::set_thread_count(before_); }
  ThreadCount(const ThreadCount&) = delete;
  ThreadCount& operator=(const ThreadCount&) = delete;

 private:
  int64_t before_;
};

}  // namespace glimpse::test
