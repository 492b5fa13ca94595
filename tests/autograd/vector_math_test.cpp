// Tests for autograd/kernels/vector_math.hpp: the vectorisable exp, tanh, sigmoid and erf against
// libm (in double precision) over the whole float range, and their special values.
#include "autograd/kernels/vector_math.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace glimpse::detail;

namespace {

// Largest relative error of f against the double-precision reference on [lo, hi).
template <class F, class Ref>
double worst_relative_error(F f, Ref ref, float lo, float hi, float step) {
  double worst = 0.0;
  for (float x = lo; x < hi; x += step) {
    const double expected = ref(static_cast<double>(x));
    if (expected == 0.0 || std::fabs(expected) < 1.2e-38) continue;  // denormals: checked below
    worst = std::max(worst, std::fabs(f(x) - expected) / std::fabs(expected));
  }
  return worst;
}

constexpr float kInf = std::numeric_limits<float>::infinity();

}  // namespace

TEST(VectorMath, ExpIsWithinTwoUlpsOfLibm) {
  const double worst = worst_relative_error(vec_exp, [](double x) { return std::exp(x); }, -87.0f, 88.7f, 0.00137f);
  EXPECT_LT(worst, 2.4e-7) << "about 2 float ulps";
}

TEST(VectorMath, TanhIsWithinAFewUlpsOfLibm) {
  const auto ref = [](double x) { return std::tanh(x); };
  EXPECT_LT(worst_relative_error(vec_tanh, ref, -12.0f, 12.0f, 0.000917f), 3.6e-7);
  // Near 0, where 1 - 2/(e^2x + 1) would cancel: the series takes over.
  for (float x = 1e-30f; x < 1.0f; x *= 1.03f) {
    EXPECT_NEAR(vec_tanh(x), std::tanh(static_cast<double>(x)), 2e-7 * x) << x;
    EXPECT_EQ(vec_tanh(-x), -vec_tanh(x)) << "odd at " << x;
  }
}

TEST(VectorMath, SigmoidIsWithinAFewUlpsOfTheExactValue) {
  const auto ref = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  EXPECT_LT(worst_relative_error(vec_sigmoid, ref, -80.0f, 80.0f, 0.00131f), 3.6e-7);
}

TEST(VectorMath, ErfIsWithinThreeUlpsOfLibm) {
  const auto ref = [](double x) { return std::erf(x); };
  // Across the series (|x| < 0.7), the fitted tail and the switch to 1 near 3.95; relative
  // error 3.6e-7 is 3 ulps at the bottom of a binade, and erf stays in [0.5, 1] past 0.48.
  EXPECT_LT(worst_relative_error(vec_erf, ref, -5.0f, 5.0f, 0.0000731f), 3.6e-7);
  for (float x = 1e-30f; x < 1.0f; x *= 1.03f) {  // small arguments: relative accuracy holds
    EXPECT_NEAR(vec_erf(x), std::erf(static_cast<double>(x)), 3.6e-7 * std::erf(static_cast<double>(x))) << x;
    EXPECT_EQ(vec_erf(-x), -vec_erf(x)) << "odd at " << x;
  }
}

TEST(VectorMath, SpecialValues) {
  EXPECT_EQ(vec_exp(0.0f), 1.0f);
  EXPECT_EQ(vec_exp(-kInf), 0.0f);  // masked attention scores: exp(-inf) must be exactly 0
  EXPECT_EQ(vec_exp(kInf), kInf);
  EXPECT_EQ(vec_exp(89.0f), kInf);
  EXPECT_EQ(vec_exp(-1000.0f), 0.0f);
  EXPECT_TRUE(std::isnan(vec_exp(std::nanf(""))));
  // Denormal results, as libm gives them.
  EXPECT_NEAR(vec_exp(-100.0f), std::exp(-100.0f), 1e-45f);
  EXPECT_GT(vec_exp(-100.0f), 0.0f);

  EXPECT_EQ(vec_tanh(0.0f), 0.0f);
  EXPECT_TRUE(std::signbit(vec_tanh(-0.0f)));
  EXPECT_EQ(vec_tanh(kInf), 1.0f);
  EXPECT_EQ(vec_tanh(-kInf), -1.0f);
  EXPECT_EQ(vec_tanh(20.0f), 1.0f);
  EXPECT_TRUE(std::isnan(vec_tanh(std::nanf(""))));

  EXPECT_EQ(vec_erf(0.0f), 0.0f);
  EXPECT_TRUE(std::signbit(vec_erf(-0.0f)));
  EXPECT_EQ(vec_erf(kInf), 1.0f);
  EXPECT_EQ(vec_erf(-kInf), -1.0f);
  EXPECT_EQ(vec_erf(4.0f), 1.0f);
  EXPECT_TRUE(std::isnan(vec_erf(std::nanf(""))));

  EXPECT_EQ(vec_sigmoid(0.0f), 0.5f);
  EXPECT_EQ(vec_sigmoid(kInf), 1.0f);
  EXPECT_EQ(vec_sigmoid(-kInf), 0.0f);
  EXPECT_TRUE(std::isnan(vec_sigmoid(std::nanf(""))));
}
