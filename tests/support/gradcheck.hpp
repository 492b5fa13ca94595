// Gradient checking by central finite differences: the proof that every backward is right.
// Introduced in lesson 01, where the learner sees analytic and numeric derivatives side by side.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "autograd/tensor.hpp"

namespace glimpse::test {

struct GradcheckOptions {
  float eps = 1e-2f;   // step of the central difference (float32 data: not too small)
  float atol = 2e-3f;  // |analytic - numeric| <= atol + rtol * |numeric|
  float rtol = 1e-2f;
  uint64_t seed = 1234;  // for the random projection of the output
};

using TensorFunction = std::function<Tensor(const std::vector<Tensor>&)>;

// Checks d/dx of L = Σ f(inputs) ⊙ R (R a fixed random tensor, so every output element
// matters) for every element of every input that requires grad: the gradient from backward()
// against (L(x + eps) - L(x - eps)) / 2eps. On failure, names the input, the element, and the
// analytic and numeric values.
::testing::AssertionResult gradcheck(const TensorFunction& f, const std::vector<Tensor>& inputs,
                                     GradcheckOptions options = {});

// A leaf copy of `t` that requires grad (fresh storage, same layout: contiguous).
Tensor leaf(const Tensor& t);

}  // namespace glimpse::test
