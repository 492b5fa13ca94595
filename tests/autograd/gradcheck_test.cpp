// Tests for autograd/gradcheck (the library's checker) and tests/support/gradcheck (the same as a
// GoogleTest assertion): the checker passes on right backwards and fails, naming the worst
// element, on deliberately wrong ones.
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
  detail::record(out, "wrong_identity", {x},
                 [](const detail::Node&, const Tensor& grad, std::span<Tensor> grads) {
                   Tensor& dx = grads[0];
                   dx = mul(grad, 2.0f);
                 });
  return out;
}

// y = x, with the right backward: the same machinery, so the failure above is the factor 2.
Tensor identity_with_right_backward(const Tensor& x) {
  Tensor out = detail::empty(x.shape());
  detail::copy_into(out, x);
  detail::record(out, "right_identity", {x},
                 [](const detail::Node&, const Tensor& grad, std::span<Tensor> grads) {
                   Tensor& dx = grads[0];
                   dx = grad;
                 });
  return out;
}

// A backward that forgets an input entirely.
Tensor sum_of_two_forgetting_the_second(const Tensor& a, const Tensor& b) {
  Tensor out = detail::empty(a.shape());
  {
    NoGradGuard no_grad;
    detail::copy_into(out, add(a, b));
  }
  detail::record(out, "forgetful_add", {a, b},
                 [](const detail::Node&, const Tensor& grad, std::span<Tensor> grads) {
                   Tensor& da = grads[0];
                   da = grad;  // and no db
                 });
  return out;
}

// y = x, but its backward adds 1 to the gradient of element [1, 1] and 0.1 to that of [0, 1]:
// two wrong elements, one much worse than the other.
Tensor identity_with_two_wrong_elements(const Tensor& x) {
  Tensor out = detail::empty(x.shape());
  detail::copy_into(out, x);
  detail::record(out, "two_wrong", {x},
                 [](const detail::Node& result, const Tensor& grad, std::span<Tensor> grads) {
                   Tensor& dx = grads[0];
                   std::vector<float> bump(static_cast<size_t>(numel(result.shape)), 0.0f);
                   bump[1 * result.shape[1] + 1] = 1.0f;
                   bump[0 * result.shape[1] + 1] = 0.1f;
                   dx = add(grad, from_vector(bump, result.shape));
                 });
  return out;
}

}  // namespace

TEST(Gradcheck, ReportNamesTheWorstElementWithItsValues) {
  Generator gen(6);
  const Tensor ok = test::randn_leaf({4}, gen);
  const Tensor x = test::randn_leaf({2, 3}, gen);
  const GradcheckReport r = glimpse::gradcheck(
      [](const Inputs& v) { return add(tanh(v[0]).sum(), identity_with_two_wrong_elements(v[1])); }, {ok, x});
  ASSERT_TRUE(r.message.empty()) << r.message;
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.checked, 4 + 6);
  EXPECT_EQ(r.input, 1);
  EXPECT_EQ(r.index, (std::vector<int64_t>{1, 1})) << r.to_string();
  // The backward added 1 there; the finite difference sees the true derivative.
  EXPECT_NEAR(r.analytic - r.numeric, 1.0, 1e-2) << r.to_string();
  EXPECT_NEAR(r.abs_error, 1.0, 1e-2);
  EXPECT_NEAR(r.rel_error, r.abs_error / std::fabs(r.numeric), 1e-9);
  const std::string msg = r.to_string();
  EXPECT_NE(msg.find("input 1 element [1, 1]: analytic"), std::string::npos) << msg;
}

TEST(Gradcheck, ReportOfARightBackwardIsOkAndStillNamesItsWorstElement) {
  Generator gen(7);
  const Tensor x = test::randn_leaf({3, 2}, gen);
  const GradcheckReport r = glimpse::gradcheck([](const Inputs& v) { return tanh(v[0]) * v[0]; }, {x});
  EXPECT_TRUE(r.ok) << r.to_string();
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r.checked, 6);
  EXPECT_EQ(r.input, 0);
  EXPECT_EQ(r.index.size(), 2u);
  EXPECT_LE(r.abs_error, 2e-3 + 1e-2 * std::fabs(r.numeric));
  EXPECT_EQ(r.to_string().rfind("ok; worst input 0 element [", 0), 0u) << r.to_string();
}

TEST(Gradcheck, ANanGradientIsTheWorstElement) {
  // NaN compares false with everything: the report must still fail and name it.
  Generator gen(8);
  const Tensor x = test::randn_leaf({2, 3}, gen);
  const GradcheckReport nan_report = glimpse::gradcheck(
      [](const Inputs& v) {
        Tensor out = detail::empty(v[0].shape());
        detail::copy_into(out, v[0]);
        detail::record(out, "nan_at_2", {v[0]},
                       [](const detail::Node& result, const Tensor& grad, std::span<Tensor> grads) {
                         Tensor& dx = grads[0];
                         std::vector<float> d = grad.contiguous().to_vector();
                         d[2] = std::nanf("");
                         dx = from_vector(d, result.shape);
                       });
        return out;
      },
      {x});
  EXPECT_FALSE(nan_report.ok);
  EXPECT_EQ(nan_report.index, (std::vector<int64_t>{0, 2})) << nan_report.to_string();
}

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
  EXPECT_NE(msg.find("input 1 element ["), std::string::npos) << msg;  // which input and element
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
