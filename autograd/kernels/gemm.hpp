// The matrix-multiply kernel behind matmul (lesson 03), in one place.
// `gemm_reference` is the readable triple loop every other path is tested against;
// `gemm` picks the fast path: OpenBLAS's cblas_sgemm when Glimpse was built with it and OpenBLAS
// runs a kernel at least as wide as ours, our own register-blocked kernel otherwise.
#pragma once

#include <cstdint>

namespace glimpse::detail {

// One row-major matrix operand: element (i, j) of op(X) is p[i*ld + j], or p[j*ld + i] when
// transposed.
struct MatrixRef {
  const float* p;
  int64_t ld;
  bool trans;
};

// C[m×n] = op(A)[m×k] · op(B)[k×n] + beta · C   (C row-major with leading dim ldc)
void gemm(int64_t m, int64_t n, int64_t k, MatrixRef a, MatrixRef b, float beta, float* c, int64_t ldc);
void gemm_reference(int64_t m, int64_t n, int64_t k, MatrixRef a, MatrixRef b, float beta, float* c,
                    int64_t ldc);
// Our own tuned kernel (the fast path when OpenBLAS is absent; benchmarked beside it).
void gemm_blocked(int64_t m, int64_t n, int64_t k, MatrixRef a, MatrixRef b, float beta, float* c,
                  int64_t ldc);

// Which implementation `gemm` uses for large products: "openblas" or "glimpse-blocked".
const char* gemm_backend();

}  // namespace glimpse::detail
