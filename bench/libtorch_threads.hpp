// How every libtorch twin in bench/ sets its thread count (THREADS, its last argument), so that
// "one thread" means one thread on libtorch's side too.
#pragma once

#include <ATen/Parallel.h>
#include <torch/torch.h>

// libtorch multiplies through OpenBLAS, whose threads follow neither torch::set_num_threads nor
// (once loaded) OMP_NUM_THREADS. Declared weak: where the BLAS in use is not OpenBLAS, it is null.
extern "C" void openblas_set_num_threads(int) __attribute__((weak));

inline void use_libtorch_threads(int64_t threads) {
  // Inter-op threads must be set before any parallel work starts; eager code does not use them.
  at::set_num_interop_threads(1);
  torch::set_num_threads(static_cast<int>(threads));
  if (openblas_set_num_threads) openblas_set_num_threads(static_cast<int>(threads));
}
