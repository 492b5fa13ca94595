// Tests for autograd/random.cpp: reproducibility and the distributions' moments.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd_test_util.hpp"

using namespace glimpse;

namespace {
struct Moments {
  double mean, std;
};
Moments moments(const std::vector<float>& v) {
  double s = 0, s2 = 0;
  for (float x : v) s += x, s2 += static_cast<double>(x) * x;
  const double n = static_cast<double>(v.size());
  const double mean = s / n;
  return {mean, std::sqrt(s2 / n - mean * mean)};
}
}  // namespace

TEST(Random, SameSeedSameNumbers) {
  Generator a(123), b(123), c(124);
  const std::vector<float> x = randn({50}, a).to_vector();
  const std::vector<float> y = randn({50}, b).to_vector();
  const std::vector<float> z = randn({50}, c).to_vector();
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
  EXPECT_EQ(rand({20}, a).to_vector(), rand({20}, b).to_vector());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.integer(1000), b.integer(1000));
}

TEST(Random, ManualSeedRestarts) {
  Generator g(5);
  const std::vector<float> first = randn({7}, g).to_vector();  // odd count: a spare normal is left
  g.manual_seed(5);
  EXPECT_EQ(randn({7}, g).to_vector(), first);
  // The default generator, through glimpse::manual_seed.
  manual_seed(77);
  const std::vector<float> d1 = randn({9}).to_vector();
  const std::vector<float> u1 = rand({9}).to_vector();
  manual_seed(77);
  EXPECT_EQ(randn({9}).to_vector(), d1);
  EXPECT_EQ(rand({9}).to_vector(), u1);
}

TEST(Random, RandnHasMeanZeroStdOne) {
  Generator g(2024);
  const Moments m = moments(randn({10000}, g).to_vector());
  EXPECT_NEAR(m.mean, 0.0, 0.05);
  EXPECT_NEAR(m.std, 1.0, 0.05);
}

TEST(Random, RandIsUniformInZeroOne) {
  Generator g(99);
  const std::vector<float> v = rand({10000}, g).to_vector();
  for (float x : v) {
    ASSERT_GE(x, 0.0f);
    ASSERT_LT(x, 1.0f);
  }
  const Moments m = moments(v);
  EXPECT_NEAR(m.mean, 0.5, 0.02);
  EXPECT_NEAR(m.std, std::sqrt(1.0 / 12.0), 0.02);
}

TEST(Random, UniformRangeAndIntegers) {
  Generator g(3);
  int counts[5] = {};
  for (int i = 0; i < 5000; ++i) {
    const float u = g.uniform(-2.0f, 3.0f);
    ASSERT_GE(u, -2.0f);
    ASSERT_LT(u, 3.0f);
    const int64_t k = g.integer(5);
    ASSERT_GE(k, 0);
    ASSERT_LT(k, 5);
    ++counts[k];
  }
  for (int c : counts) EXPECT_NEAR(c, 1000, 150);
}

TEST(Random, ShapesOfFactories) {
  Generator g(1);
  EXPECT_TRUE((randn({2, 3}, g).shape() == Shape{2, 3}));
  EXPECT_TRUE((rand({4}, g).shape() == Shape{4}));
  EXPECT_EQ(randn(Shape{}, g).numel(), 1);
  EXPECT_EQ(randn({0, 3}, g).numel(), 0);
}

TEST(Random, IntegerNeedsAPositiveBound) {
  Generator g(1);
  for (int64_t n : {int64_t{0}, int64_t{-3}}) {
    try {
      g.integer(n);
      ADD_FAILURE() << "integer(" << n << ") returned instead of throwing";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_EQ(e.op(), "Generator::integer");
      EXPECT_NE(msg.find(fmt::format("got n = {}\n", n)), std::string::npos) << msg;
      EXPECT_NE(msg.find("random_test.cpp"), std::string::npos) << msg;
    }
  }
  EXPECT_EQ(g.integer(1), 0);
}
