// Matmul speed (issue 2, "Speed"): square single-precision products at 128, 256 and 1024, one
// thread, in GFLOP/s (2·n³ flops per product). Printed side by side:
//   matmul        the op as a learner calls it (glimpse::matmul → detail::gemm, which hands large
//                 products to OpenBLAS when Glimpse was built with it)
//   gemm_blocked  Glimpse's own packed, register-blocked kernel (the fast path without OpenBLAS)
//   openblas      cblas_sgemm called directly on the same inputs (when libopenblas-dev is found)
//
//   bench-matmul [sizes...]      default: 128 256 1024
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "autograd/kernels/gemm.hpp"
#include "glimpse.hpp"

#ifdef GLIMPSE_HAVE_OPENBLAS
#include <cblas.h>
#endif

using namespace glimpse;

namespace {

// Best GFLOP/s of `product` over 5 rounds, each round long enough (~0.1 s) to be timed well.
template <class Product>
double gflops(int64_t n, Product&& product) {
  product();  // warm up (packing buffers, OpenBLAS thread setup)
  const double flops = 2.0 * static_cast<double>(n) * n * n;
  const int reps = std::max<int>(1, static_cast<int>(2e9 / flops / 20) + 1);  // ~0.1 s at 20 GFLOP/s
  double best = 0.0;
  for (int round = 0; round < 5; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) product();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, flops * reps / s / 1e9);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int64_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atoll(argv[i]));
  if (sizes.empty()) sizes = {128, 256, 1024};

#ifdef GLIMPSE_HAVE_OPENBLAS
  openblas_set_num_threads(1);  // one thread, whatever GLIMPSE_THREADS or OPENBLAS_NUM_THREADS say
#endif
  std::printf("single thread, GFLOP/s (best of 5); glimpse gemm backend: %s\n", detail::gemm_backend());
  std::printf("%6s %10s %13s %10s %16s\n", "n", "matmul", "gemm_blocked", "openblas", "blocked/openblas");
  for (const int64_t n : sizes) {
    Generator gen(1);
    const Tensor a = randn({n, n}, gen);
    const Tensor b = randn({n, n}, gen);
    Tensor c = zeros({n, n});
    const detail::MatrixRef ra{a.data(), n, false}, rb{b.data(), n, false};

    const double op = gflops(n, [&] { c = matmul(a, b); });
    const double blocked = gflops(n, [&] { detail::gemm_blocked(n, n, n, ra, rb, 0.0f, c.data(), n); });
    double blas = 0.0;
#ifdef GLIMPSE_HAVE_OPENBLAS
    const int ni = static_cast<int>(n);
    blas = gflops(n, [&] {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ni, ni, ni, 1.0f, a.data(), ni, b.data(), ni, 0.0f,
                  c.data(), ni);
    });
#endif
    if (blas > 0.0)
      std::printf("%6lld %10.1f %13.1f %10.1f %15.0f%%\n", static_cast<long long>(n), op, blocked, blas,
                  100.0 * blocked / blas);
    else
      std::printf("%6lld %10.1f %13.1f %10s %16s\n", static_cast<long long>(n), op, blocked, "-", "-");
  }
  return 0;
}
