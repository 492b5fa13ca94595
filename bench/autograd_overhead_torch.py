"""PyTorch eager version of bench/autograd_overhead.cpp: the per-op cost of autograd on tensors
so small (4 floats) that the arithmetic is free. x = tanh(x*b + c) repeated N/3 times (N ops),
then sum(x).backward(); 3 warm-up runs, then 5 rounds of `repeats` runs, each the best; printed
as µs per op, forward + backward, wall-clock and the thread's CPU time, like the C++ program.

    python3 bench/autograd_overhead_torch.py [N=3000] [repeats=20]

One thread. Needs PyTorch (Debian: python3-torch). Lesson 01 introduces the tape.
"""
import sys
import time

import torch


def run(a, b, c, n_ops):
    x = a
    for _ in range(n_ops // 3):
        x = torch.tanh(x * b + c)
    x.sum().backward()


def main():
    n_ops = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(4, generator=gen).requires_grad_()
    b = torch.randn(4, generator=gen)
    c = torch.randn(4, generator=gen)

    for _ in range(3):
        run(a, b, c, n_ops)
    best_wall = best_cpu = float("inf")
    for _ in range(5):  # the machine is shared: keep each clock's best round
        t0, c0 = time.perf_counter(), time.thread_time()
        for _ in range(repeats):
            run(a, b, c, n_ops)
        best_cpu = min(best_cpu, (time.thread_time() - c0) / repeats)
        best_wall = min(best_wall, (time.perf_counter() - t0) / repeats)
    ops = n_ops // 3 * 3
    print(f"torch-eager overhead: {best_wall / ops * 1e6:.3f} us per op (fwd+bwd), N={n_ops}"
          f"   (cpu time: {best_cpu / ops * 1e6:.3f})")


if __name__ == "__main__":
    main()
