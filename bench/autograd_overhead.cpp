// Per-op autograd overhead (issue 2, "Speed"): the cost of recording an op on the tape and
// running its backward, when the tensors are so small (4 floats) that the arithmetic is free.
// Same workload as ../shared/anchors/overhead_torch.py: x = tanh(x*b + c) repeated N/3 times
// (N ops), then sum(x).backward(); reported as µs per op, forward + backward.
//
//   bench-autograd-overhead [N=3000] [repeats=20]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "glimpse.hpp"

using namespace glimpse;

namespace {

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
  // The machine is shared and noisy: time several rounds and keep the best.
  double best = 1e30;
  for (int round = 0; round < 5; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < repeats; ++r) run(a, b, c, n_ops);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, seconds / repeats);
  }
  const int ops = n_ops / 3 * 3;
  std::printf("glimpse overhead: %.3f us per op (fwd+bwd), N=%d   [pytorch eager: 4.2, target: <= 0.4]\n",
              best / ops * 1e6, n_ops);
  return 0;
}
