#include "support/gradcheck.hpp"

namespace glimpse::test {

Tensor leaf(const Tensor& t) {
  Tensor c = t.detach().clone();
  return c.requires_grad_(true);
}

::testing::AssertionResult assertion_from(const GradcheckReport& report) {
  if (report.ok) return ::testing::AssertionSuccess() << report.to_string();
  return ::testing::AssertionFailure() << report.to_string();
}

}  // namespace glimpse::test
