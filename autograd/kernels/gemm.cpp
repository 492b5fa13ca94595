// Lesson 03 (and issue 6, performance): matrix multiply kernels. The order in which each element
// of C is accumulated is fixed (gemm.hpp), so every in-house path gives the same bits.
#include "autograd/kernels/gemm.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "autograd/kernels/parallel.hpp"

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

// The definition of every in-house product: one fused multiply-add per p, in order of p.
void gemm_reference(int64_t m, int64_t n, int64_t k, MatrixRef a, MatrixRef b, float beta, float* c,
                    int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float acc = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
      for (int64_t p = 0; p < k; ++p) acc = std::fma(element(a, i, p), element(b, p, j), acc);
      c[i * ldc + j] = acc;
    }
}

// ---- the tuned kernel ----------------------------------------------------------------------
// The Goto/BLIS scheme. C is computed in kMr×kNr tiles by a micro-kernel that keeps the whole
// tile in vector registers; each step of its loop loads one row of B (kNv vectors), broadcasts
// kMr values of A, and does kMr·kNv fused multiply-adds. Its operands are packed beforehand so
// that every load is contiguous: a kc×kNr panel of B row by row, a kMr×kc panel of A column by
// column (both zero-padded to full tiles). The kernel reuses one B panel across a packed mc×kc
// block of A that stays in L2; the block sizes were tuned with bench-matmul on a Zen 5.
// Each lane of an accumulator is one element of C, and a panel after the first starts from the
// C that the panel before it left: every element is one chain of FMAs in order of p, as in
// gemm_reference, whatever the vector width or the block sizes.
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
  for (int lane = 0; lane < kLanes; ++lane) c[lane] = std::fma(a[lane], b[lane], c[lane]);  // no FMA unit: exact, slow
  return c;
#endif
}

// C[0:mr, 0:nr] += A panel · B panel, or = when `overwrite` (the first panel of a product with
// beta = 0, so C need not be zeroed first). The accumulators start from C, so the FMA chain of
// each element goes on where the previous panel stopped. The kernel always computes the full tile.
void micro_kernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t mr, int64_t nr,
                  bool overwrite) {
  const bool full_tile = mr == kMr && nr == kNr;
  // A partial tile's C, zero-padded to a full one; full tiles read and write C in place.
  float tile[kMr][kNr];
  if (!full_tile) {
    std::fill(&tile[0][0], &tile[0][0] + kMr * kNr, 0.0f);
    if (!overwrite)
      for (int64_t i = 0; i < mr; ++i)
        for (int64_t j = 0; j < nr; ++j) tile[i][j] = c[i * ldc + j];
  }
  // Each accumulator set on its own: `= {}` on this array and on the tile made g++ clear 3 KB of
  // stack at every call, 4 % of a Transformer encoder's training step.
  Vec acc[kMr][kNv];
  for (int i = 0; i < kMr; ++i)
    for (int v = 0; v < kNv; ++v)
      acc[i][v] = overwrite ? Vec{} : full_tile ? load(c + i * ldc + v * kLanes) : load(&tile[i][v * kLanes]);
  for (int64_t p = 0; p < kc; ++p, a += kMr, b += kNr) {
    Vec bv[kNv];
    for (int v = 0; v < kNv; ++v) bv[v] = load(b + v * kLanes);
    for (int i = 0; i < kMr; ++i) {
      const Vec ai = Vec{} + a[i];  // a[i] in every lane
      for (int v = 0; v < kNv; ++v) acc[i][v] = fused_multiply_add(ai, bv[v], acc[i][v]);
    }
  }
  if (full_tile) {
    for (int i = 0; i < kMr; ++i)
      for (int v = 0; v < kNv; ++v) store(c + i * ldc + v * kLanes, acc[i][v]);
    return;
  }
  for (int i = 0; i < kMr; ++i)
    for (int v = 0; v < kNv; ++v) store(&tile[i][v * kLanes], acc[i][v]);
  for (int64_t i = 0; i < mr; ++i)
    for (int64_t j = 0; j < nr; ++j) c[i * ldc + j] = tile[i][j];
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

// Small products (the lessons' 1×32 · 32×96 cells, attention's 32×32 · 32×32 per head) are too
// small to pay for packing, but not for registers: C is computed in tiles of kRows rows × kVecs
// vectors, kept in registers over the whole of p, reading B's rows where they are (one row of B
// per p, as in the micro-kernel) and A's elements one by one. Each lane is one element of C and
// gets c = fma(a[i,p], b[p,j], c) for p in order, as in gemm_reference; the columns left over at
// the right (fewer than a vector) get the same tiles on a zero-padded copy.
namespace {
template <int kRows, int kVecs>
void small_tile(int64_t k, const MatrixRef& a, int64_t i0, const float* b, int64_t ldb, float* c,
                int64_t ldc) {
  Vec acc[kRows][kVecs];
  for (int r = 0; r < kRows; ++r)
    for (int v = 0; v < kVecs; ++v) acc[r][v] = load(c + r * ldc + v * kLanes);
  for (int64_t p = 0; p < k; ++p) {
    Vec bv[kVecs];
    for (int v = 0; v < kVecs; ++v) bv[v] = load(b + p * ldb + v * kLanes);
    for (int r = 0; r < kRows; ++r) {
      const Vec ar = Vec{} + element(a, i0 + r, p);  // a[i0 + r, p] in every lane
      for (int v = 0; v < kVecs; ++v) acc[r][v] = fused_multiply_add(ar, bv[v], acc[r][v]);
    }
  }
  for (int r = 0; r < kRows; ++r)
    for (int v = 0; v < kVecs; ++v) store(c + r * ldc + v * kLanes, acc[r][v]);
}

// Columns j0 .. j0 + kVecs·kLanes of every row of C: kSmallRows rows at a time, then one by one.
template <int kVecs>
void small_column_block(int64_t m, int64_t k, const MatrixRef& a, const MatrixRef& b, int64_t j0, float* c,
                        int64_t ldc) {
  constexpr int kSmallRows = 8 / kVecs;  // 8 accumulators: enough independent FMA chains to hide latency
  int64_t i = 0;
  for (; i + kSmallRows <= m; i += kSmallRows)
    small_tile<kSmallRows, kVecs>(k, a, i, b.p + j0, b.ld, c + i * ldc + j0, ldc);
  for (; i < m; ++i) small_tile<1, kVecs>(k, a, i, b.p + j0, b.ld, c + i * ldc + j0, ldc);
}
}  // namespace

void gemm_small(int64_t m, int64_t n, int64_t k, MatrixRef a, MatrixRef b, float beta, float* c, int64_t ldc) {
  scale_c(m, n, beta, c, ldc);
  if (b.trans) {
    // op(B)[p, j] = B[j, p]: copy op(B) out row by row once, so the loops below read rows.
    thread_local std::vector<float> b_rows;
    b_rows.resize(static_cast<size_t>(k * n));
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p) b_rows[p * n + j] = b.p[j * b.ld + p];
    b = {b_rows.data(), n, false};
  }
  int64_t j0 = 0;
  for (; j0 + 2 * kLanes <= n; j0 += 2 * kLanes) small_column_block<2>(m, k, a, b, j0, c, ldc);
  for (; j0 + kLanes <= n; j0 += kLanes) small_column_block<1>(m, k, a, b, j0, c, ldc);
  if (j0 == n) return;
  // The last columns, fewer than a vector (attention's 8-wide heads, a 10-way classifier): copied
  // into rows one vector wide, so they too stay in registers over the whole of p instead of
  // being loaded and stored at every p. The lanes past them hold whatever an earlier call left
  // (zeros at first): they are computed and never read.
  const int64_t rest = n - j0;
  thread_local std::vector<float> b_padded, c_padded;
  if (b_padded.size() < static_cast<size_t>(k * kLanes)) b_padded.resize(static_cast<size_t>(k * kLanes));
  if (c_padded.size() < static_cast<size_t>(m * kLanes)) c_padded.resize(static_cast<size_t>(m * kLanes));
  for (int64_t p = 0; p < k; ++p) std::copy_n(b.p + p * b.ld + j0, rest, &b_padded[p * kLanes]);
  for (int64_t i = 0; i < m; ++i) std::copy_n(c + i * ldc + j0, rest, &c_padded[i * kLanes]);
  small_column_block<1>(m, k, a, {b_padded.data(), kLanes, false}, 0, c_padded.data(), kLanes);
  for (int64_t i = 0; i < m; ++i) std::copy_n(&c_padded[i * kLanes], rest, c + i * ldc + j0);
}

// Products with few rows of C: a decoder step's 32 sentences times its 1060-word output layer.
// The blocked kernel would pack all of B, the weight, to reuse it over only m rows, which costs
// as much as the product and is redone at every step. The small loops read B's rows where they
// are. A transposed B (the forward's x·Wᵀ) has no such rows, so there C is computed as its
// transpose, Cᵀ = op(B)ᵀ·op(A)ᵀ: the operand read by rows is then op(A)ᵀ, a small copy, and W's
// rows are read in order as the other factor. Each element of C is the same chain of FMAs in
// order of p either way (fma(a, b, c) = fma(b, a, c): the product is rounded once, exactly), so
// the bits are gemm_reference's. Threads take blocks of columns.
void gemm_few_rows(int64_t m, int64_t n, int64_t k, MatrixRef a, MatrixRef b, float beta, float* c,
                   int64_t ldc) {
  const int64_t block = 2 * kLanes;  // the small loops' widest column block
  const int64_t blocks = (n + block - 1) / block;
  const int64_t blocks_per_range =
      std::max<int64_t>(1, kMultiplyAddsPerRange / (block * m * std::max<int64_t>(k, 1)));
  parallel_for(blocks, blocks_per_range, [&](int64_t begin, int64_t end) {
    const int64_t j0 = begin * block, cols = std::min(end * block, n) - j0;
    if (!b.trans) return gemm_small(m, cols, k, a, {b.p + j0, b.ld, false}, beta, c + j0, ldc);
    // Cᵀ[j0 : j0 + cols, :] = (rows j0 … of B as stored) · op(A)ᵀ, in a scratch, then put back.
    thread_local std::vector<float> c_transposed;
    c_transposed.resize(static_cast<size_t>(cols * m));
    if (beta != 0.0f)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < cols; ++j) c_transposed[j * m + i] = c[i * ldc + j0 + j];
    gemm_small(cols, m, k, {b.p + j0 * b.ld, b.ld, false}, {a.p, a.ld, !a.trans}, beta, c_transposed.data(),
               m);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < cols; ++j) c[i * ldc + j0 + j] = c_transposed[j * m + i];
  });
}

// Products with few columns of C and many rows: an LSTM's input gradient dG·W_ih (64 columns), a
// head's attention weights times its values (32). The blocked kernel packs all of A to use each
// packed panel for only one or two tiles of columns, and the packing costs about as much as the
// product; the small loops read A and B where they are. Measured with bench-matmul's shapes
// (bench/RESULTS.md, 2026-12-04): faster up to one tile of the blocked kernel wide (kNr columns),
// and up to two when A is read by rows (a transposed A is read down its columns, element by
// element, and there the blocked kernel wins at two tiles). Threads take blocks of rows.
bool narrow_enough_for_small_loops(int64_t n, const MatrixRef& a) {
  return n <= kNr || (n <= 2 * kNr && !a.trans);
}

void gemm_narrow(int64_t m, int64_t n, int64_t k, MatrixRef a, MatrixRef b, float beta, float* c,
                 int64_t ldc) {
  const int64_t rows_per_range = std::max<int64_t>(1, kMultiplyAddsPerRange / (n * std::max<int64_t>(k, 1)));
  parallel_for(m, rows_per_range, [&](int64_t begin, int64_t end) {
    const MatrixRef a_rows = {a.trans ? a.p + begin : a.p + begin * a.ld, a.ld, a.trans};
    gemm_small(end - begin, n, k, a_rows, b, beta, c + begin * ldc, ldc);
  });
}

#ifdef GLIMPSE_HAVE_OPENBLAS
namespace {
// OpenBLAS gets as many threads as Glimpse's own loops (parallel.hpp: GLIMPSE_THREADS, or every
// core), set on its first call.
void configure_openblas_threads_once() {
  static const bool configured = [] {
    openblas_set_num_threads(static_cast<int>(thread_count()));
    return true;
  }();
  (void)configured;
}

}  // namespace
#endif

bool openblas_available() {
#ifdef GLIMPSE_HAVE_OPENBLAS
  return true;
#else
  return false;
#endif
}

const char* gemm_backend_name(GemmBackend backend) {
  switch (backend) {
    case GemmBackend::reference: return "reference";
    case GemmBackend::openblas: return "openblas";
    case GemmBackend::glimpse: break;
  }
  return "glimpse";
}

std::optional<GemmBackend> parse_gemm_backend(std::string_view name) {
  for (GemmBackend b : {GemmBackend::glimpse, GemmBackend::reference, GemmBackend::openblas})
    if (name == gemm_backend_name(b)) return b;
  return std::nullopt;
}

namespace {
// The process's choice (a GemmBackend, or -1 before first use): GLIMPSE_GEMM's at first use, then
// whatever set_gemm_backend sets. Atomic, because models may train in several threads.
std::atomic<int> g_backend{-1};
}  // namespace

void set_gemm_backend(GemmBackend backend, Loc loc) {
  check(backend != GemmBackend::openblas || openblas_available(), "set_gemm_backend", loc, [] {
    return std::string("this Glimpse was built without OpenBLAS (apt-get install libopenblas-dev, then configure "
                       "again with -DGLIMPSE_USE_OPENBLAS=ON)");
  });
  g_backend.store(static_cast<int>(backend));
}

GemmBackend gemm_backend(Loc loc) {
  const int current = g_backend.load(std::memory_order_relaxed);
  if (current >= 0) return static_cast<GemmBackend>(current);
  {
    const char* env = std::getenv("GLIMPSE_GEMM");
    const std::string_view name = env != nullptr ? env : "";
    const std::optional<GemmBackend> chosen = name.empty() ? GemmBackend::glimpse : parse_gemm_backend(name);
    check(chosen.has_value(), "GLIMPSE_GEMM", loc, [&] {
      return fmt::format("unknown matmul backend '{}': use glimpse (the default, the same bits on every CPU), "
                         "reference or openblas",
                         name);
    });
    check(*chosen != GemmBackend::openblas || openblas_available(), "GLIMPSE_GEMM", loc, [] {
      return std::string("openblas asked for, but this Glimpse was built without OpenBLAS (apt-get install "
                         "libopenblas-dev, then configure again with -DGLIMPSE_USE_OPENBLAS=ON)");
    });
    int unset = -1;  // another thread may have chosen meanwhile: keep the first choice
    g_backend.compare_exchange_strong(unset, static_cast<int>(*chosen));
  }
  return static_cast<GemmBackend>(g_backend.load());
}

void gemm(int64_t m, int64_t n, int64_t k, MatrixRef a, MatrixRef b, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  const GemmBackend backend = gemm_backend();
  if (backend == GemmBackend::reference) return gemm_reference(m, n, k, a, b, beta, c, ldc);
  // Tiny products, and the degenerate shapes a packed tile would mostly pad (a single output
  // row or column, or a rank-1 update), go to the plain loops.
  if (m * n * k <= 32 * 32 * 32 || m == 1 || n == 1 || k == 1) return gemm_small(m, n, k, a, b, beta, c, ldc);
#ifdef GLIMPSE_HAVE_OPENBLAS
  if (backend == GemmBackend::openblas) {
    configure_openblas_threads_once();
    cblas_sgemm(CblasRowMajor, a.trans ? CblasTrans : CblasNoTrans, b.trans ? CblasTrans : CblasNoTrans,
                static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, a.p, static_cast<int>(a.ld),
                b.p, static_cast<int>(b.ld), beta, c, static_cast<int>(ldc));
    return;
  }
#endif
  if (m <= kFewRows) return gemm_few_rows(m, n, k, a, b, beta, c, ldc);
  if (narrow_enough_for_small_loops(n, a)) return gemm_narrow(m, n, k, a, b, beta, c, ldc);
  // Blocks of kMr rows of C on several threads (parallel.hpp): every element is still computed
  // by one thread, in gemm.hpp's order, so the bits do not depend on the thread count. A range
  // gets at least kMultiplyAddsPerRange multiply-adds, or handing it to a thread would cost more
  // than it saves.
  const int64_t row_blocks = (m + kMr - 1) / kMr;
  const int64_t blocks_per_range = std::max<int64_t>(1, kMultiplyAddsPerRange / (kMr * n * k));
  parallel_for(row_blocks, blocks_per_range, [&](int64_t begin, int64_t end) {
    const int64_t i0 = begin * kMr, rows = std::min(end * kMr, m) - i0;
    const MatrixRef a_rows = {a.trans ? a.p + i0 : a.p + i0 * a.ld, a.ld, a.trans};
    gemm_blocked(rows, n, k, a_rows, b, beta, c + i0 * ldc, ldc);
  });
}

}  // namespace glimpse::detail
