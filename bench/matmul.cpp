// Matmul speed (issue 2, "Speed"): square single-precision products at 128, 256 and 1024, one
// thread, in GFLOP/s (2·n³ flops per product). Printed side by side:
//   matmul        the op as a learner calls it (glimpse::matmul → detail::gemm, which hands large
//                 products to OpenBLAS when Glimpse was built with it)
//   gemm          detail::gemm, the kernel call behind matmul, without the tensor around it
//   gemm_blocked  Glimpse's own packed, register-blocked kernel (the fast path without OpenBLAS)
//   openblas      cblas_sgemm called directly on the same inputs (when libopenblas-dev is found)
//
//   bench-matmul [sizes...]      default: 128 256 1024, then transposed, seq2seq and small shapes
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "autograd/kernels/gemm.hpp"
#include "glimpse.hpp"

#ifdef GLIMPSE_HAVE_OPENBLAS
#include <cblas.h>
#endif

using namespace glimpse;

namespace {

// Best GFLOP/s of `product` over 20 short rounds (~2 ms each at 100 GFLOP/s): the machine is
// shared, and short rounds are the likeliest to run without being preempted.
template <class Product>
double gflops(double flops, Product&& product) {
  product();  // warm up (packing buffers, OpenBLAS thread setup)
  const int reps = std::max(1, static_cast<int>(2e8 / flops));
  double best = 0.0;
  for (int round = 0; round < 20; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) product();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, flops * reps / s / 1e9);
  }
  return best;
}

// One row of the table: C[m×n] = op(A)·op(B) with op(A) m×k and op(B) k×n, where a transposed
// operand is stored the other way round and read in place (as matmul's backward does).
void compare(const char* label, int64_t m, int64_t k, int64_t n, bool ta, bool tb) {
  Generator gen(1);
  const Tensor a = ta ? randn({k, m}, gen) : randn({m, k}, gen);
  const Tensor b = tb ? randn({n, k}, gen) : randn({k, n}, gen);
  const Tensor op_a = ta ? a.t() : a, op_b = tb ? b.t() : b;
  Tensor c = zeros({m, n});
  const detail::MatrixRef ra{a.data(), a.shape()[1], ta}, rb{b.data(), b.shape()[1], tb};
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);

  const double op = gflops(flops, [&] { c = matmul(op_a, op_b); });
  const double dispatch = gflops(flops, [&] { detail::gemm(m, n, k, ra, rb, 0.0f, c.data(), n); });
  const double blocked = gflops(flops, [&] { detail::gemm_blocked(m, n, k, ra, rb, 0.0f, c.data(), n); });
  std::printf("%-24s %8.1f %8.1f %13.1f", label, op, dispatch, blocked);
#ifdef GLIMPSE_HAVE_OPENBLAS
  const double blas = gflops(flops, [&] {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(m),
                static_cast<int>(n), static_cast<int>(k), 1.0f, a.data(), static_cast<int>(a.shape()[1]), b.data(),
                static_cast<int>(b.shape()[1]), 0.0f, c.data(), static_cast<int>(n));
  });
  std::printf(" %10.1f %15.0f%%\n", blas, 100.0 * blocked / blas);
#else
  std::printf(" %10s %16s\n", "-", "-");
#endif
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int64_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atoll(argv[i]));
  if (sizes.empty()) sizes = {128, 256, 1024};

  // One thread, whatever the environment says: Glimpse's gemm gives OpenBLAS GLIMPSE_THREADS
  // threads (1 when unset), and the direct cblas_sgemm calls below share that setting.
  setenv("GLIMPSE_THREADS", "1", 1);
#ifdef GLIMPSE_HAVE_OPENBLAS
  openblas_set_num_threads(1);
#endif
  std::printf("single thread, GFLOP/s (best of 20 rounds); glimpse gemm backend: %s\n", detail::gemm_backend_name(detail::gemm_backend()));
  std::printf("%-24s %8s %8s %13s %10s %16s\n", "C = A*B", "matmul", "gemm", "gemm_blocked", "openblas",
              "blocked/openblas");
  for (const int64_t n : sizes) {
    const std::string label = fmt::format("{0}x{0}", n);
    compare(label.c_str(), n, n, n, false, false);
  }
  if (argc > 1) return 0;
  // Backward reads transposed operands in place: dA = dC·Bᵀ, dB = Aᵀ·dC.
  compare("256: A*Bt", 256, 256, 256, false, true);
  compare("256: At*B", 256, 256, 256, true, false);
  // Shapes of a GRU step in the seq2seq benchmark (issue 6): x·W [B×H]·[H×3H], and the
  // weight gradient Xᵀ·dY.
  compare("32x128 * 128x384", 32, 128, 384, false, false);
  compare("(32x128)t * 32x384", 128, 32, 384, true, false);
  compare("64x256 * 256x768", 64, 256, 768, false, false);
  compare("(64x256)t * 64x768", 256, 64, 768, true, false);
  // Products too small to pack (gemm_small's register tiles): attention per head at T = 32 and
  // d = 32, its scores Q·Kᵀ, and one decoder cell's 1×32 · 32×96.
  compare("32x32 * 32x32", 32, 32, 32, false, false);
  compare("32x32 * (32x32)t", 32, 32, 32, false, true);
  compare("1x32 * 32x96", 1, 32, 96, false, false);
  return 0;
}
