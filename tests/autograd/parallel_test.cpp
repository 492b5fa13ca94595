// Issue 14: loops split across threads give the same bits for any number of threads.
#include "autograd/kernels/parallel.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "autograd/ops.hpp"
#include "autograd/random.hpp"
#include "autograd/tensor.hpp"
#include "support/error_message.hpp"
#include "support/thread_count.hpp"

using namespace glimpse;

namespace {

std::vector<float> product_with(int64_t threads, const Tensor& a, const Tensor& b) {
  const test::ThreadCount use(threads);
  return matmul(a, b).contiguous().to_vector();
}

}  // namespace

TEST(ParallelFor, EveryIndexRunsOnceInRangesOfAtLeastTheMinimum) {
  for (int64_t threads : {1, 2, 3, 8}) {
    const test::ThreadCount use(threads);
    for (int64_t count : {0, 1, 5, 7, 100, 1001}) {
      for (int64_t min_per_range : {1, 3, 50}) {
        std::vector<std::atomic<int>> seen(static_cast<size_t>(count));
        std::atomic<int64_t> ranges{0}, shortest{count};
        detail::parallel_for(count, min_per_range, [&](int64_t begin, int64_t end) {
          ++ranges;
          int64_t was = shortest.load();
          while (end - begin < was && !shortest.compare_exchange_weak(was, end - begin)) {
          }
          for (int64_t i = begin; i < end; ++i) ++seen[static_cast<size_t>(i)];
        });
        for (int64_t i = 0; i < count; ++i)
          EXPECT_EQ(seen[static_cast<size_t>(i)], 1) << threads << " threads, count " << count << ", index " << i;
        EXPECT_LE(ranges, threads);
        if (ranges > 1) {
          EXPECT_GE(shortest, min_per_range);
        }
      }
    }
  }
}

TEST(ParallelFor, ALoopInsideALoopRunsOnItsOwnThread) {
  const test::ThreadCount use(2);
  std::atomic<int64_t> total{0};
  detail::parallel_for(4, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      detail::parallel_for(10, 1, [&](int64_t b, int64_t e) { total += e - b; });
  });
  EXPECT_EQ(total, 40);
}

TEST(ParallelMatmul, OneTwoAndThreeThreadsGiveTheSameBits) {
  Generator gen(11);
  // Large enough to be split by rows (odd sizes: ragged row blocks), transposed operands, and a
  // batch of attention-sized products split by product.
  const Tensor a = randn({301, 257}, gen), b = randn({257, 203}, gen);
  const Tensor at = randn({257, 301}, gen).t(), bt = randn({203, 257}, gen).t();
  const Tensor q = randn({8, 4, 33, 16}, gen), k = randn({8, 4, 16, 33}, gen);
  for (const auto& [x, y] : {std::pair{a, b}, std::pair{at, b}, std::pair{a, bt}, std::pair{q, k}}) {
    const std::vector<float> one = product_with(1, x, y);
    EXPECT_EQ(product_with(2, x, y), one);
    EXPECT_EQ(product_with(3, x, y), one);
  }
}

TEST(ParallelFor, ABadThreadCountIsRefused) {
  const std::string msg = test::error_message([] { detail::set_thread_count(0); });
  EXPECT_NE(msg.find("set_thread_count: 0 is not a number of threads (1 to 1024)"), std::string::npos) << msg;
}

TEST(ParallelElementwise, OneTwoAndThreeThreadsGiveTheSameBits) {
  // Large enough to be split (kElementsPerRange), an odd size so the ranges are ragged; forward
  // and backward of a unary op, a binary op, softmax and log_softmax over rows and over columns,
  // a broadcast binary op and sums over the last dim and over the first (a layer norm's pieces).
  const auto run = [](int64_t threads) {
    const test::ThreadCount use(threads);
    Generator gen(12);
    Tensor x = randn({301, 517}, gen);
    x.requires_grad_();
    const Tensor y = randn({301, 517}, gen), row = randn({517}, gen);
    const Tensor out = softmax(gelu(x) * y, 1) + softmax(exp(x * 0.1f), 0) + log_softmax(x, 1) +
                       log_softmax(x, 0) + (x - mean(x, {1}, true)) * row + sum(x * y, {0}, true);
    sum(out * y).backward();
    std::vector<float> values = out.to_vector();
    const std::vector<float> grad = x.grad().to_vector();
    values.insert(values.end(), grad.begin(), grad.end());
    return values;
  };
  const std::vector<float> one = run(1);
  EXPECT_EQ(run(2), one);
  EXPECT_EQ(run(3), one);
}
