// Two threads multiplying at once share the pool of workers (autograd/kernels/parallel.hpp): each
// must get the bits it gets alone on one thread. CI runs this under ThreadSanitizer too.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "autograd/ops.hpp"
#include "autograd/random.hpp"
#include "autograd/tensor.hpp"
#include "support/thread_count.hpp"

using namespace glimpse;

TEST(SharedPool, TwoThreadsMultiplyingAtOnceGetTheirOneThreadBits) {
  Generator gen(12);
  const Tensor a = randn({160, 96}, gen), b = randn({96, 200}, gen);
  const Tensor q = randn({4, 4, 40, 32}, gen), k = randn({4, 4, 32, 40}, gen);
  std::vector<float> alone_ab, alone_qk;
  {
    const test::ThreadCount one(1);
    alone_ab = matmul(a, b).to_vector();
    alone_qk = matmul(q, k).to_vector();
  }
  const test::ThreadCount three(3);
  std::vector<std::vector<float>> ab(10), qk(10);
  std::thread first([&] {
    for (auto& r : ab) r = matmul(a, b).to_vector();
  });
  std::thread second([&] {
    for (auto& r : qk) r = matmul(q, k).to_vector();
  });
  first.join();
  second.join();
  for (const auto& r : ab) EXPECT_EQ(r, alone_ab);
  for (const auto& r : qk) EXPECT_EQ(r, alone_qk);
}
