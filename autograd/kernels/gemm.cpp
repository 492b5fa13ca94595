// Lesson 03 (and issue 6, performance): matrix multiply kernels.
#include "autograd/kernels/gemm.hpp"

#include <algorithm>
#include <vector>

#ifdef GLIMPSE_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace glimpse::detail {

namespace {
inline float element(const MatrixRef& x, int64_t i, int64_t j) {
  return x.trans ? x.p[j * x.ld + i] : x.p[i * x.ld + j];
}

void scale_c(int64_t m, int64_t n, float beta, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
}
}  // namespace

void gemm_reference(int64_t m, int64_t n, int64_t k, MatrixRef a, MatrixRef b, float beta, float* c,
                    int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (int64_t p = 0; p < k; ++p) acc += element(a, i, p) * element(b, p, j);
      c[i * ldc + j] = acc + (beta == 0.0f ? 0.0f : beta * c[i * ldc + j]);
    }
}

namespace {

constexpr int64_t kMr = 4;    // rows of C per micro-kernel call
constexpr int64_t kNr = 16;   // columns of C per micro-kernel call (two 8-wide vectors)
constexpr int64_t kKc = 256;  // depth of one packed panel (fits L1 with the C tile)
constexpr int64_t kMc = 64;   // rows of A per packed block (fits L2)

// C tile [mr×nr] += A panel [mr×kc] · B panel [kc×nr]; A is packed column-major by kMr, B
// row-major by kNr, so both inner loads are contiguous and the compiler keeps the C tile in
// vector registers.
void micro_kernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t mr, int64_t nr) {
  float acc[kMr][kNr] = {};
  for (int64_t p = 0; p < kc; ++p) {
    const float* bp = b + p * kNr;
    for (int64_t i = 0; i < kMr; ++i) {
      const float ai = a[p * kMr + i];
      for (int64_t j = 0; j < kNr; ++j) acc[i][j] += ai * bp[j];
    }
  }
  for (int64_t i = 0; i < mr; ++i)
    for (int64_t j = 0; j < nr; ++j) c[i * ldc + j] += acc[i][j];
}

}  // namespace

void gemm_blocked(int64_t m, int64_t n, int64_t k, MatrixRef a, MatrixRef b, float beta, float* c,
                  int64_t ldc) {
  scale_c(m, n, beta, c, ldc);
  const int64_t n_padded = (n + kNr - 1) / kNr * kNr;
  std::vector<float> b_pack(static_cast<size_t>(kKc * n_padded));
  std::vector<float> a_pack(static_cast<size_t>(kKc * kMc));
  for (int64_t p0 = 0; p0 < k; p0 += kKc) {
    const int64_t kc = std::min(kKc, k - p0);
    // Pack B[p0:p0+kc, :] as column panels of width kNr, zero-padded.
    std::fill(b_pack.begin(), b_pack.end(), 0.0f);
    for (int64_t j0 = 0; j0 < n; j0 += kNr) {
      const int64_t nr = std::min(kNr, n - j0);
      float* dst = b_pack.data() + j0 * kc;
      for (int64_t p = 0; p < kc; ++p)
        for (int64_t j = 0; j < nr; ++j) dst[p * kNr + j] = element(b, p0 + p, j0 + j);
    }
    for (int64_t i0 = 0; i0 < m; i0 += kMc) {
      const int64_t mc = std::min(kMc, m - i0);
      // Pack A[i0:i0+mc, p0:p0+kc] as row panels of height kMr, column-major inside, zero-padded.
      std::fill(a_pack.begin(), a_pack.end(), 0.0f);
      for (int64_t r0 = 0; r0 < mc; r0 += kMr) {
        const int64_t mr = std::min(kMr, mc - r0);
        float* dst = a_pack.data() + r0 * kc;
        for (int64_t p = 0; p < kc; ++p)
          for (int64_t i = 0; i < mr; ++i) dst[p * kMr + i] = element(a, i0 + r0 + i, p0 + p);
      }
      for (int64_t j0 = 0; j0 < n; j0 += kNr) {
        const int64_t nr = std::min(kNr, n - j0);
        for (int64_t r0 = 0; r0 < mc; r0 += kMr) {
          const int64_t mr = std::min(kMr, mc - r0);
          micro_kernel(kc, a_pack.data() + r0 * kc, b_pack.data() + j0 * kc, c + (i0 + r0) * ldc + j0, ldc, mr, nr);
        }
      }
    }
  }
}

namespace {
// Small products (the lessons' 1×32 · 32×96 cells) are dominated by call overhead: a plain
// loop whose inner dimension is contiguous in C wins there.
void gemm_small(int64_t m, int64_t n, int64_t k, MatrixRef a, MatrixRef b, float beta, float* c, int64_t ldc) {
  scale_c(m, n, beta, c, ldc);
  if (!b.trans) {
    for (int64_t i = 0; i < m; ++i) {
      float* ci = c + i * ldc;
      for (int64_t p = 0; p < k; ++p) {
        const float aip = element(a, i, p);
        const float* bp = b.p + p * b.ld;
        for (int64_t j = 0; j < n; ++j) ci[j] += aip * bp[j];
      }
    }
  } else {
    // op(B)[p, j] = B[j, p]: row j of B is contiguous along p, so take dot products.
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        const float* bj = b.p + j * b.ld;
        float acc = 0.0f;
        if (!a.trans) {
          const float* ai = a.p + i * a.ld;
#pragma omp simd reduction(+ : acc)
          for (int64_t p = 0; p < k; ++p) acc += ai[p] * bj[p];
        } else {
          for (int64_t p = 0; p < k; ++p) acc += a.p[p * a.ld + i] * bj[p];
        }
        c[i * ldc + j] += acc;
      }
  }
}
}  // namespace

const char* gemm_backend() {
#ifdef GLIMPSE_HAVE_OPENBLAS
  return "openblas";
#else
  return "glimpse-blocked";
#endif
}

void gemm(int64_t m, int64_t n, int64_t k, MatrixRef a, MatrixRef b, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (m * n * k <= 32 * 32 * 32) return gemm_small(m, n, k, a, b, beta, c, ldc);
#ifdef GLIMPSE_HAVE_OPENBLAS
  cblas_sgemm(CblasRowMajor, a.trans ? CblasTrans : CblasNoTrans, b.trans ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, a.p, static_cast<int>(a.ld),
              b.p, static_cast<int>(b.ld), beta, c, static_cast<int>(ldc));
#else
  gemm_blocked(m, n, k, a, b, beta, c, ldc);
#endif
}

}  // namespace glimpse::detail
