// The matrix-multiply kernel behind matmul (lesson 03), in one place.
//
// Every in-house path computes each element of C in one fixed order, so the bits of a product
// depend neither on the CPU's vector width nor on which path ran:
//   c = beta·c (or 0 when beta = 0);  for p = 0, 1, …, k-1:  c = fma(a[i,p], b[p,j], c)
// `gemm_reference` is that triple loop, written out; the plain loops for small products and the
// register-blocked kernel compute many elements at once but each one in exactly that order, and
// tests hold them bit-equal to the reference. OpenBLAS (when built with it) adds in its own order
// and is used only when asked for: set_gemm_backend(GemmBackend::openblas) or GLIMPSE_GEMM=openblas.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "autograd/error.hpp"

namespace glimpse::detail {

// One row-major matrix operand: element (i, j) of op(X) is p[i*ld + j], or p[j*ld + i] when
// transposed.
struct MatrixRef {
  const float* p;
  int64_t ld;
  bool trans;
};

// C[m×n] = op(A)[m×k] · op(B)[k×n] + beta · C   (C row-major with leading dim ldc), by the
// backend chosen below.
void gemm(int64_t m, int64_t n, int64_t k, MatrixRef a, MatrixRef b, float beta, float* c, int64_t ldc);
void gemm_reference(int64_t m, int64_t n, int64_t k, MatrixRef a, MatrixRef b, float beta, float* c,
                    int64_t ldc);
// The in-house paths: plain loops for small products, the register-blocked kernel for large ones.
void gemm_small(int64_t m, int64_t n, int64_t k, MatrixRef a, MatrixRef b, float beta, float* c, int64_t ldc);
void gemm_blocked(int64_t m, int64_t n, int64_t k, MatrixRef a, MatrixRef b, float beta, float* c,
                  int64_t ldc);
// Few rows of C (m <= kFewRows) and many columns: the small loops without packing B, split by
// columns across threads.
constexpr int64_t kFewRows = 32;
void gemm_few_rows(int64_t m, int64_t n, int64_t k, MatrixRef a, MatrixRef b, float beta, float* c,
                   int64_t ldc);
// Few columns of C (narrow_enough_for_small_loops) and many rows: the small loops, split by rows.
bool narrow_enough_for_small_loops(int64_t n, const MatrixRef& a);
void gemm_narrow(int64_t m, int64_t n, int64_t k, MatrixRef a, MatrixRef b, float beta, float* c,
                 int64_t ldc);

// Which implementation `gemm` runs:
//   glimpse    (default) small loops or the blocked kernel, same bits on every CPU;
//   reference  the triple loop for every product (slow; same bits as glimpse);
//   openblas   cblas_sgemm for large products (faster on some CPUs; its bits follow the CPU).
// The environment variable GLIMPSE_GEMM (glimpse, reference or openblas) sets the starting
// choice; anything else there is an error, raised at the first product.
enum class GemmBackend { glimpse, reference, openblas };
GemmBackend gemm_backend(Loc loc = Loc::current());
void set_gemm_backend(GemmBackend backend, Loc loc = Loc::current());
const char* gemm_backend_name(GemmBackend backend);
std::optional<GemmBackend> parse_gemm_backend(std::string_view name);
bool openblas_available();  // was Glimpse built with OpenBLAS?

}  // namespace glimpse::detail
