// A first end-to-end check of the tape; the per-op test files cover each op in depth.
#include <gtest/gtest.h>

#include "glimpse.hpp"
#include "support/gradcheck.hpp"

using namespace glimpse;

TEST(Smoke, TanhChainGradcheck) {
  Generator gen(1);
  Tensor a = test::leaf(randn({3, 4}, gen));
  Tensor b = test::leaf(randn({4}, gen));
  EXPECT_TRUE(test::gradcheck([](const std::vector<Tensor>& x) { return tanh(x[0] * x[1] + 0.5f); }, {a, b}));
}
