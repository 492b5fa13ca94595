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
  const int p = std::bit_width(bytes - 1);      // 2^(p-1) < bytes <= 2^p, p >= 9
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

struct FreeLists {
  std::array<FreeBlock*, kClasses> head{};
  std::size_t cached_bytes = 0;
  ~FreeLists();
};

thread_local FreeLists t_lists;
// Set when this thread's lists were destroyed at thread exit: tensors freed later (by static
// destructors) go straight back to the system.
thread_local bool t_lists_gone = false;

FreeLists::~FreeLists() {
  for (FreeBlock*& h : head)
    while (h) system_free(std::exchange(h, h->next));
  t_lists_gone = true;
}

}  // namespace

// AddressSanitizer must see every allocation and free to catch use-after-free, so the
// sanitizer build bypasses the pool.
#if defined(__SANITIZE_ADDRESS__)
void* pool_allocate(std::size_t bytes) { return system_allocate(bytes); }
void pool_free(void* block, std::size_t) { system_free(block); }
#else

void* pool_allocate(std::size_t bytes) {
  if (bytes > kLargestPooled || t_lists_gone) return system_allocate(bytes);
  const SizeClass c = size_class(bytes);
  FreeLists& lists = t_lists;
  if (FreeBlock* block = lists.head[c.index]) {
    lists.head[c.index] = block->next;
    lists.cached_bytes -= c.bytes;
    return block;
  }
  return system_allocate(c.bytes);
}

void pool_free(void* block, std::size_t bytes) {
  if (bytes > kLargestPooled || t_lists_gone) return system_free(block);
  const SizeClass c = size_class(bytes);
  FreeLists& lists = t_lists;
  if (lists.cached_bytes + c.bytes > kMostCachedPerThread) return system_free(block);
  lists.head[c.index] = new (block) FreeBlock{lists.head[c.index]};
  lists.cached_bytes += c.bytes;
}

#endif

}  // namespace glimpse::detail
