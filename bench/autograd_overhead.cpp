// Per-op autograd overhead (issue 2, "Speed"): the cost of recording an op on the tape and
// running its backward, when the tensors are so small (4 floats) that the arithmetic is free.
// The workload: x = tanh(x*b + c) on 4-element tensors, repeated N/3 times (N ops), then
// sum(x).backward(); reported as µs per op, forward + backward. bench/autograd_overhead_torch.py
// runs the same workload in PyTorch eager.
//
//   bench-autograd-overhead [N=3000] [repeats=20]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "glimpse.hpp"

using namespace glimpse;

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

void run(const Tensor& a, const Tensor& b, const Tensor& c, int n_ops) {
  Tensor x = a;
  for (int i = 0; i < n_ops / 3; ++i) x = tanh(x * b + c);
  x.sum().backward();
}

}  // namespace

int main(int argc, char** argv) {
  const int n_ops = argc > 1 ? std::atoi(argv[1]) : 3000;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 20;
  Generator gen(0);
  Tensor a = randn({4}, gen).requires_grad_();
  const Tensor b = randn({4}, gen);
  const Tensor c = randn({4}, gen);

  for (int i = 0; i < 3; ++i) run(a, b, c, n_ops);  // warm up caches and the allocator
  // The machine is shared and noisy: time several rounds and keep the best. Wall time also
  // counts the time another process had our core, so the thread's CPU time is printed too.
  double best_wall = 1e30, best_cpu = 1e30;
  for (int round = 0; round < 5; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = thread_cpu_seconds();
    for (int r = 0; r < repeats; ++r) run(a, b, c, n_ops);
    best_cpu = std::min(best_cpu, (thread_cpu_seconds() - c0) / repeats);
    best_wall = std::min(best_wall, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / repeats);
  }
  const int ops = n_ops / 3 * 3;
  // PyTorch eager on the same workload: python3 bench/autograd_overhead_torch.py.
  std::printf("glimpse overhead: %.3f us per op (fwd+bwd), N=%d   (cpu time: %.3f)   [target: <= 0.4]\n",
              best_wall / ops * 1e6, n_ops, best_cpu / ops * 1e6);
  return 0;
}
