// Tests for tests/support/gradcheck: the checker passes on right backwards and fails, with a
// useful message, on a deliberately wrong one.
#include <gtest/gtest.h>

#include "autograd_test_util.hpp"

using namespace glimpse;
using glimpse::test::gradcheck;
using Inputs = std::vector<Tensor>;

namespace {

// y = x, but its backward claims dy/dx = 2: exactly the kind of bug gradcheck must catch.
Tensor identity_with_wrong_backward(const Tensor& x) {
  Tensor out = detail::empty(x.shape());
  detail::copy_into(out, x);
  detail::record(out, "wrong_identity", {x}, [](const detail::Node&, const Tensor& g, std::span<Tensor> gi) {
    gi[0] = mul(g, 2.0f);
  });
  return out;
}

// y = x, with the right backward: the same machinery, so the failure above is the factor 2.
Tensor identity_with_right_backward(const Tensor& x) {
  Tensor out = detail::empty(x.shape());
  detail::copy_into(out, x);
  detail::record(out, "right_identity", {x}, [](const detail::Node&, const Tensor& g, std::span<Tensor> gi) { gi[0] = g; });
  return out;
}

// A backward that forgets an input entirely.
Tensor sum_of_two_forgetting_the_second(const Tensor& a, const Tensor& b) {
  Tensor out = detail::empty(a.shape());
  {
    NoGradGuard no_grad;
    detail::copy_into(out, add(a, b));
  }
  detail::record(out, "forgetful_add", {a, b}, [](const detail::Node&, const Tensor& g, std::span<Tensor> gi) { gi[0] = g; });
  return out;
}

}  // namespace

TEST(Gradcheck, PassesOnARightBackward) {
  Generator gen(1);
  const Tensor x = test::randn_leaf({2, 3}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& v) { return identity_with_right_backward(v[0]); }, {x}));
}

TEST(Gradcheck, FailsOnAWrongBackwardAndSaysWhere) {
  Generator gen(2);
  const Tensor ok = test::randn_leaf({2}, gen);
  const Tensor x = test::randn_leaf({2, 3}, gen);
  const ::testing::AssertionResult r =
      gradcheck([](const Inputs& v) { return add(v[0].sum(), identity_with_wrong_backward(v[1])); }, {ok, x});
  ASSERT_FALSE(r);
  const std::string msg = r.message();
  EXPECT_NE(msg.find("input 1"), std::string::npos) << msg;      // which input
  EXPECT_NE(msg.find("element [0, 0]"), std::string::npos) << msg;  // which element
  EXPECT_NE(msg.find("analytic"), std::string::npos) << msg;     // both values
  EXPECT_NE(msg.find("numeric"), std::string::npos) << msg;
  // The analytic value printed is twice the numeric one.
  double analytic = 0, numeric = 0;
  ASSERT_EQ(std::sscanf(msg.c_str() + msg.find("analytic"), "analytic %lf vs numeric %lf", &analytic, &numeric), 2) << msg;
  EXPECT_NEAR(analytic, 2 * numeric, 1e-3 + 1e-2 * std::fabs(numeric)) << msg;
}

TEST(Gradcheck, FailsWhenAnInputGetsNoGradient) {
  Generator gen(3);
  const Tensor a = test::randn_leaf({3}, gen);
  const Tensor b = test::randn_leaf({3}, gen);
  const ::testing::AssertionResult r =
      gradcheck([](const Inputs& v) { return sum_of_two_forgetting_the_second(v[0], v[1]); }, {a, b});
  ASSERT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("input 1 received no gradient"), std::string::npos) << r.message();
}

TEST(Gradcheck, FailsWhenTheOutputNeedsNoGrad) {
  Generator gen(4);
  const Tensor a = randn({3}, gen);  // no requires_grad
  const ::testing::AssertionResult r = gradcheck([](const Inputs& v) { return tanh(v[0]); }, {a});
  ASSERT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("does not require grad"), std::string::npos) << r.message();
}

TEST(Gradcheck, ChecksStridedLeavesElementByElement) {
  // The checker perturbs each element of a non-contiguous leaf through its strides.
  Generator gen(5);
  const Tensor x = test::strided_randn_leaf({3, 4}, gen);
  ASSERT_FALSE(x.is_contiguous());
  EXPECT_NE(x.offset(), 0);
  EXPECT_TRUE(gradcheck([](const Inputs& v) { return mul(v[0], v[0]); }, {x}));
  const ::testing::AssertionResult r = gradcheck([](const Inputs& v) { return identity_with_wrong_backward(v[0]); }, {x});
  EXPECT_FALSE(r);
}
