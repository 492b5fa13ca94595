// Recycled memory for tensors: why making a small tensor costs nanoseconds, not a malloc.
// Not a lesson of its own (lesson 01 times the tape; issue 6 is the performance work).
//
// A training step creates and frees thousands of tensors, and each one needs a node, a storage
// and a data buffer. A general-purpose malloc costs more than the arithmetic on a small tensor,
// so freed blocks go on a free list per size class and are handed out again. Everything else in
// Glimpse allocates as usual; only tensor.cpp uses this.
#pragma once

#include <cstddef>

namespace glimpse::detail {

// A block of at least `bytes` bytes, aligned to 64 bytes (a cache line, one AVX-512 vector).
void* pool_allocate(std::size_t bytes);
// Gives back a block from pool_allocate; `bytes` must be the size it was asked for with.
void pool_free(void* block, std::size_t bytes);

// The same pool as a standard allocator, for std::allocate_shared<Node> and <Storage>.
template <class T>
struct PoolAllocator {
  using value_type = T;
  PoolAllocator() = default;
  template <class U>
  PoolAllocator(const PoolAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(pool_allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) { pool_free(p, n * sizeof(T)); }
  template <class U>
  friend bool operator==(const PoolAllocator&, const PoolAllocator<U>&) { return true; }
};

}  // namespace glimpse::detail
