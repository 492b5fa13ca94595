// Loops split across the machine's cores, with the same bits for any number of threads (issue 14,
// performance). A loop is split only where its iterations write disjoint outputs and each output
// is computed exactly as on one thread (a row block of a matrix product, one product of a batch),
// so how many threads ran it cannot change a single bit.
//
// GLIMPSE_THREADS=n lets a loop use n threads (the caller and n − 1 workers); unset, every core
// std::thread::hardware_concurrency reports. GLIMPSE_THREADS=1 runs everything on the caller.
#pragma once

#include <cstdint>
#include <functional>

#include "autograd/error.hpp"

namespace glimpse::detail {

// How many threads a loop may use now: GLIMPSE_THREADS, or set_thread_count's, or every core.
int64_t thread_count(Loc loc = Loc::current());
// For tests and benchmarks: n >= 1 threads from now on (the workers start when first needed).
void set_thread_count(int64_t n, Loc loc = Loc::current());

// The fewest elements an elementwise loop (or a softmax's lanes) hands to another thread: below
// this, waking the thread and waiting for it costs more than the loop itself.
constexpr int64_t kElementsPerRange = int64_t{1} << 14;
// The fewest multiply-adds a share of a matrix product (a block of rows, or a few products of a
// batch) hands to another thread, for the same reason.
constexpr int64_t kMultiplyAddsPerRange = int64_t{1} << 19;

// Runs body(begin, end) over contiguous ranges that cover [0, count) once, on up to
// thread_count() threads, each range at least `min_per_range` iterations long (so a small loop
// stays on the caller); returns when every range has run. The caller runs the first range itself.
// The body must not throw: a kernel's loop only computes.
void parallel_for(int64_t count, int64_t min_per_range, const std::function<void(int64_t, int64_t)>& body);

}  // namespace glimpse::detail
