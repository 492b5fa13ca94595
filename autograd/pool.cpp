// Free lists of recycled blocks, one list per size class and one set of lists per thread (so no
// locks). See pool.hpp for why.
#include "autograd/pool.hpp"

#include <array>
#include <bit>
#include <new>
#include <utility>

namespace glimpse::detail {

namespace {

constexpr std::size_t kAlignment = 64;
constexpr std::size_t kLargestPooled = std::size_t{16} << 20;    // larger blocks: straight to the system
constexpr std::size_t kMostCachedPerThread = std::size_t{256} << 20;  // beyond this, frees go to the system

// Sizes are rounded up to a class: 64, 128, 192, 256, then four classes per power of two
// (320, 384, 448, 512, 640, 768, ...), so rounding wastes at most a quarter of a block.
struct SizeClass {
  int index;
  std::size_t bytes;
};
constexpr SizeClass size_class(std::size_t bytes) {
  if (bytes <= 256) {
    const std::size_t lines = bytes <= 64 ? 1 : (bytes + 63) / 64;
    return {static_cast<int>(lines - 1), lines * 64};
  }
  const int p = std::bit_width(bytes - 1);             // 2^(p-1) < bytes <= 2^p, p >= 9
  const std::size_t step = std::size_t{1} << (p - 3);  // a quarter of 2^(p-1)
  const std::size_t q = (bytes + step - 1) / step;     // 5, 6, 7 or 8 quarters
  return {4 + 4 * (p - 9) + static_cast<int>(q - 5), q * step};
}
constexpr int kClasses = size_class(kLargestPooled).index + 1;

void* system_allocate(std::size_t bytes) { return ::operator new(bytes, std::align_val_t(kAlignment)); }
void system_free(void* block) { ::operator delete(block, std::align_val_t(kAlignment)); }

// A free block stores the link to the next free block of its class in its own first bytes.
struct FreeBlock {
  FreeBlock* next;
};

// Plain data, so that reaching this thread's lists is one TLS address computation (a
// thread_local with a destructor is reached through an initialisation check on every use).
struct FreeLists {
  std::array<FreeBlock*, kClasses> head;
  std::size_t cached_bytes;
};
constinit thread_local FreeLists t_lists{};
// Set when this thread's cached blocks were released at thread exit: tensors freed later (by
// static destructors) go straight back to the system.
constinit thread_local bool t_lists_gone = false;

// Gives this thread's cached blocks back to the system when the thread ends. Armed (its
// destructor registered) the first time the thread caches a block.
struct ReleaseAtThreadExit {
  bool armed = false;
  ~ReleaseAtThreadExit() {
    for (FreeBlock*& h : t_lists.head)
      while (h) system_free(std::exchange(h, h->next));
    t_lists.cached_bytes = 0;
    t_lists_gone = true;
  }
};
thread_local ReleaseAtThreadExit t_release;

}  // namespace

// AddressSanitizer must see every allocation and free to catch use-after-free, so the
// sanitizer build bypasses the pool.
#if defined(__SANITIZE_ADDRESS__)
void* pool_allocate(std::size_t bytes) { return system_allocate(bytes); }
void pool_free(void* block, std::size_t) { system_free(block); }
#else

void* pool_allocate(std::size_t bytes) {
  if (bytes > kLargestPooled || t_lists_gone) [[unlikely]]
    return system_allocate(bytes);
  const SizeClass c = size_class(bytes);
  if (FreeBlock* block = t_lists.head[c.index]) {
    t_lists.head[c.index] = block->next;
    t_lists.cached_bytes -= c.bytes;
    return block;
  }
  return system_allocate(c.bytes);
}

void pool_free(void* block, std::size_t bytes) {
  if (bytes > kLargestPooled || t_lists_gone) [[unlikely]]
    return system_free(block);
  const SizeClass c = size_class(bytes);
  if (t_lists.cached_bytes + c.bytes > kMostCachedPerThread) [[unlikely]]
    return system_free(block);
  if (t_lists.cached_bytes == 0) [[unlikely]]
    t_release.armed = true;
  t_lists.head[c.index] = new (block) FreeBlock{t_lists.head[c.index]};
  t_lists.cached_bytes += c.bytes;
}

#endif

}  // namespace glimpse::detail
