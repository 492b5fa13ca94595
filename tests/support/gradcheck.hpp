// The library's gradient checker (autograd/gradcheck.hpp) as a GoogleTest assertion: on failure
// the message names the input, the worst element, and its analytic and numeric values.
// Introduced in lesson 01, where the learner sees analytic and numeric derivatives side by side.
#pragma once

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "autograd/gradcheck.hpp"
#include "autograd/tensor.hpp"

namespace glimpse::test {

using glimpse::GradcheckOptions;
using TensorFunction = glimpse::GradcheckFunction;

// glimpse::gradcheck's report as an AssertionResult: failure carries report.to_string().
::testing::AssertionResult assertion_from(const GradcheckReport& report);

// EXPECT_TRUE(gradcheck(f, {x, w})). A template, so that where both this and glimpse::gradcheck
// are visible (`using namespace glimpse`) a lambda picks this one (no conversion needed).
template <class F>
::testing::AssertionResult gradcheck(F&& f, const std::vector<Tensor>& inputs, const GradcheckOptions& options = {},
                                     Loc caller = Loc::current()) {
  return assertion_from(glimpse::gradcheck(TensorFunction(std::forward<F>(f)), inputs, options, caller));
}

// A leaf copy of `t` that requires grad (fresh storage, same layout: contiguous).
Tensor leaf(const Tensor& t);

}  // namespace glimpse::test
