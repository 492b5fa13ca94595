// Lesson 03 (and issue 6, performance): matrix multiply kernels.
#include "autograd/kernels/gemm.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <cctype>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
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

// ---- the tuned kernel ----------------------------------------------------------------------
// The Goto/BLIS scheme. C is computed in kMr×kNr tiles by a micro-kernel that keeps the whole
// tile in vector registers; each step of its loop loads one row of B (kNv vectors), broadcasts
// kMr values of A, and does kMr·kNv fused multiply-adds. Its operands are packed beforehand so
// that every load is contiguous: a kc×kNr panel of B row by row, a kMr×kc panel of A column by
// column (both zero-padded to full tiles). The kernel reuses one B panel across a packed mc×kc
// block of A that stays in L2; the block sizes were tuned with bench-matmul on a Zen 5.
namespace {

#if defined(__AVX512F__)
constexpr int kLanes = 16;  // floats per vector register
constexpr int kMr = 12;     // 24 accumulators + 2 B vectors + 1 broadcast of the 32 zmm registers
#elif defined(__AVX__)
constexpr int kLanes = 8;
constexpr int kMr = 6;      // 12 accumulators + 2 + 1 of the 16 ymm registers
#else
constexpr int kLanes = 4;
constexpr int kMr = 4;
#endif
constexpr int kNv = 2;                  // vectors per row of the C tile
constexpr int64_t kNr = kNv * kLanes;   // columns of the C tile
constexpr int64_t kKc = 512;            // depth of a packed panel
constexpr int64_t kMc = 96;             // rows of A per packed block (a multiple of kMr)
constexpr int64_t kNc = 2048;           // columns of B per packed block

using Vec = float __attribute__((vector_size(kLanes * sizeof(float))));

inline Vec load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, Vec v) { std::memcpy(p, &v, sizeof v); }
inline Vec fused_multiply_add(Vec a, Vec b, Vec c) {
#if defined(__AVX512F__)
  return _mm512_fmadd_ps(a, b, c);
#elif defined(__FMA__)
  return _mm256_fmadd_ps(a, b, c);
#else
  return a * b + c;
#endif
}

// C[0:mr, 0:nr] += A panel · B panel, or = when `overwrite` (the first panel of a product with
// beta = 0, so C need not be zeroed first). The kernel always computes the full tile.
void micro_kernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t mr, int64_t nr,
                  bool overwrite) {
  Vec acc[kMr][kNv] = {};
  for (int64_t p = 0; p < kc; ++p, a += kMr, b += kNr) {
    Vec bv[kNv];
    for (int v = 0; v < kNv; ++v) bv[v] = load(b + v * kLanes);
    for (int i = 0; i < kMr; ++i) {
      const Vec ai = Vec{} + a[i];  // a[i] in every lane
      for (int v = 0; v < kNv; ++v) acc[i][v] = fused_multiply_add(ai, bv[v], acc[i][v]);
    }
  }
  if (mr == kMr && nr == kNr) {
    for (int i = 0; i < kMr; ++i)
      for (int v = 0; v < kNv; ++v)
        store(c + i * ldc + v * kLanes, overwrite ? acc[i][v] : load(c + i * ldc + v * kLanes) + acc[i][v]);
    return;
  }
  float tile[kMr][kNr];
  for (int i = 0; i < kMr; ++i)
    for (int v = 0; v < kNv; ++v) store(&tile[i][v * kLanes], acc[i][v]);
  for (int64_t i = 0; i < mr; ++i)
    for (int64_t j = 0; j < nr; ++j) c[i * ldc + j] = overwrite ? tile[i][j] : c[i * ldc + j] + tile[i][j];
}

// op(B)[p0:p0+kc, j0:j0+nc] as panels of kNr columns; each panel holds kc rows of kNr floats.
// Each loop order reads the stored matrix along its rows (contiguously).
void pack_b(const MatrixRef& b, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* dst) {
  for (int64_t jp = 0; jp < nc; jp += kNr) {
    const int64_t nr = std::min(kNr, nc - jp);
    float* panel = dst + jp * kc;
    if (nr < kNr) std::fill(panel, panel + kc * kNr, 0.0f);
    if (!b.trans) {
      for (int64_t p = 0; p < kc; ++p)
        for (int64_t j = 0; j < nr; ++j) panel[p * kNr + j] = b.p[(p0 + p) * b.ld + j0 + jp + j];
    } else {
      for (int64_t j = 0; j < nr; ++j)
        for (int64_t p = 0; p < kc; ++p) panel[p * kNr + j] = b.p[(j0 + jp + j) * b.ld + p0 + p];
    }
  }
}

// op(A)[i0:i0+mc, p0:p0+kc] as panels of kMr rows; each panel holds kc columns of kMr floats.
void pack_a(const MatrixRef& a, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* dst) {
  for (int64_t ip = 0; ip < mc; ip += kMr) {
    const int64_t mr = std::min<int64_t>(kMr, mc - ip);
    float* panel = dst + ip * kc;
    if (mr < kMr) std::fill(panel, panel + kc * kMr, 0.0f);
    if (!a.trans) {
      for (int64_t i = 0; i < mr; ++i)
        for (int64_t p = 0; p < kc; ++p) panel[p * kMr + i] = a.p[(i0 + ip + i) * a.ld + p0 + p];
    } else {
      for (int64_t p = 0; p < kc; ++p)
        for (int64_t i = 0; i < mr; ++i) panel[p * kMr + i] = a.p[(p0 + p) * a.ld + i0 + ip + i];
    }
  }
}

// 64-byte aligned scratch for the packed panels, reused across calls on a thread.
float* scratch(std::vector<float>& buffer, size_t floats) {
  if (buffer.size() < floats + 16) buffer.resize(floats + 16);
  auto address = reinterpret_cast<uintptr_t>(buffer.data());
  return buffer.data() + ((64 - address % 64) % 64) / sizeof(float);
}

}  // namespace

void gemm_blocked(int64_t m, int64_t n, int64_t k, MatrixRef a, MatrixRef b, float beta, float* c,
                  int64_t ldc) {
  // With beta = 0 the first panel of each tile overwrites C, so C is zeroed only when k = 0.
  if (beta != 1.0f && (beta != 0.0f || k == 0)) scale_c(m, n, beta, c, ldc);
  thread_local std::vector<float> a_buffer, b_buffer;
  for (int64_t j0 = 0; j0 < n; j0 += kNc) {
    const int64_t nc = std::min(kNc, n - j0);
    for (int64_t p0 = 0; p0 < k; p0 += kKc) {
      const int64_t kc = std::min(kKc, k - p0);
      float* b_pack = scratch(b_buffer, static_cast<size_t>(kc * ((nc + kNr - 1) / kNr * kNr)));
      pack_b(b, p0, kc, j0, nc, b_pack);
      for (int64_t i0 = 0; i0 < m; i0 += kMc) {
        const int64_t mc = std::min(kMc, m - i0);
        float* a_pack = scratch(a_buffer, static_cast<size_t>(kc * kMc));
        pack_a(a, i0, mc, p0, kc, a_pack);
        for (int64_t jp = 0; jp < nc; jp += kNr)
          for (int64_t ip = 0; ip < mc; ip += kMr)
            micro_kernel(kc, a_pack + ip * kc, b_pack + jp * kc, c + (i0 + ip) * ldc + j0 + jp, ldc,
                         std::min<int64_t>(kMr, mc - ip), std::min(kNr, nc - jp), p0 == 0 && beta == 0.0f);
      }
    }
  }
}

namespace {
// Small products (the lessons' 1×32 · 32×96 cells) are dominated by call overhead: a plain
// loop whose inner dimension is contiguous in C wins there.
void gemm_small(int64_t m, int64_t n, int64_t k, MatrixRef a, MatrixRef b, float beta, float* c, int64_t ldc) {
  scale_c(m, n, beta, c, ldc);
  if (n == 1 && !a.trans) {
    // Matrix times vector (attention's score vᵀ·energy): one dot product per row of A.
    const int64_t step = b.trans ? 1 : b.ld;
    for (int64_t i = 0; i < m; ++i) {
      const float* ai = a.p + i * a.ld;
      float acc = 0.0f;
      if (step == 1) {
#pragma omp simd reduction(+ : acc)
        for (int64_t p = 0; p < k; ++p) acc += ai[p] * b.p[p];
      } else {
        for (int64_t p = 0; p < k; ++p) acc += ai[p] * b.p[p * step];
      }
      c[i * ldc] += acc;
    }
    return;
  }
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

#ifdef GLIMPSE_HAVE_OPENBLAS
namespace {
// Glimpse runs on one thread unless told otherwise (its benchmarks against libtorch are single
// threaded too), but OpenBLAS would use every core. GLIMPSE_THREADS=n gives OpenBLAS n threads.
void configure_openblas_threads_once() {
  static const bool configured = [] {
    const char* env = std::getenv("GLIMPSE_THREADS");
    const int threads = env ? std::atoi(env) : 1;
    openblas_set_num_threads(threads > 0 ? threads : 1);
    return true;
  }();
  (void)configured;
}

// OpenBLAS is the faster path wherever it runs a kernel at least as wide as ours. An AVX-512
// build of Glimpse asks which kernel OpenBLAS picked: Debian's 0.3.21 does not know Zen 4/5
// and falls back to its AVX2 "Haswell" kernel, which our blocked kernel beats by ~1.6×
// (bench/RESULTS.md). GLIMPSE_GEMM=openblas or =blocked overrides the choice (for benchmarks).
bool prefer_openblas() {
  static const bool prefer = [] {
    const char* forced = std::getenv("GLIMPSE_GEMM");
    if (forced && std::string_view(forced) == "openblas") return true;
    if (forced && std::string_view(forced) == "blocked") return false;
#if defined(__AVX512F__)
    std::string core = openblas_get_corename();
    std::transform(core.begin(), core.end(), core.begin(), [](unsigned char ch) { return std::tolower(ch); });
    for (const char* avx512_core : {"skylakex", "cooperlake", "sapphirerapids"})
      if (core.find(avx512_core) != std::string::npos) return true;
    return false;
#else
    return true;
#endif
  }();
  return prefer;
}
}  // namespace
#endif

const char* gemm_backend() {
#ifdef GLIMPSE_HAVE_OPENBLAS
  if (prefer_openblas()) return "openblas";
#endif
  return "glimpse-blocked";
}

void gemm(int64_t m, int64_t n, int64_t k, MatrixRef a, MatrixRef b, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  // Tiny products, and the degenerate shapes a packed tile would mostly pad (a single output
  // row or column, or a rank-1 update), go to the plain loops.
  if (m * n * k <= 32 * 32 * 32 || m == 1 || n == 1 || k == 1) return gemm_small(m, n, k, a, b, beta, c, ldc);
#ifdef GLIMPSE_HAVE_OPENBLAS
  if (prefer_openblas()) {
    configure_openblas_threads_once();
    cblas_sgemm(CblasRowMajor, a.trans ? CblasTrans : CblasNoTrans, b.trans ? CblasTrans : CblasNoTrans,
                static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, a.p, static_cast<int>(a.ld),
                b.p, static_cast<int>(b.ld), beta, c, static_cast<int>(ldc));
    return;
  }
#endif
  gemm_blocked(m, n, k, a, b, beta, c, ldc);
}

}  // namespace glimpse::detail
