// Small helpers shared by the autograd tests: literal expectations and the kinds of inputs the
// gradient checks need (random, positive, non-contiguous, broadcast).
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "glimpse.hpp"
#include "support/gradcheck.hpp"

namespace glimpse::test {

// `t` has shape `shape` and its values (row-major) are `expected`, each within `tol`.
inline ::testing::AssertionResult values_near(const Tensor& t, const Shape& shape,
                                              const std::vector<float>& expected, float tol = 1e-5f) {
  if (!(t.shape() == shape))
    return ::testing::AssertionFailure()
           << fmt::format("shape {} but expected {}", to_string(t.shape()), to_string(shape));
  const std::vector<float> v = t.to_vector();
  if (v.size() != expected.size())
    return ::testing::AssertionFailure() << fmt::format("{} values, expected {}", v.size(), expected.size());
  for (size_t i = 0; i < v.size(); ++i)
    if (!(std::fabs(v[i] - expected[i]) <= tol * std::max(1.0f, std::fabs(expected[i]))))
      return ::testing::AssertionFailure()
             << fmt::format("element {}: got {} but expected {} (first values: [{}])", i, v[i], expected[i],
                            fmt::join(v.begin(), v.begin() + std::min<size_t>(v.size(), 12), ", "));
  return ::testing::AssertionSuccess();
}

// Two tensors have the same shape and values within `tol` (relative for large values).
inline ::testing::AssertionResult tensors_near(const Tensor& a, const Tensor& b, float tol = 1e-5f) {
  return values_near(a, b.shape(), b.to_vector(), tol);
}

// A leaf that requires grad, with standard-normal values.
inline Tensor randn_leaf(const Shape& shape, Generator& gen) { return leaf(randn(shape, gen)); }

// A leaf that requires grad, uniform in [low, high) (e.g. positive for log and sqrt).
inline Tensor uniform_leaf(const Shape& shape, float low, float high, Generator& gen) {
  Tensor t = rand(shape, gen);
  std::vector<float> v = t.to_vector();
  for (float& x : v) x = low + (high - low) * x;
  return leaf(from_vector(v, shape));
}

// A leaf of `shape` that does NOT own contiguous storage: the reversed-dims permutation of a
// bigger tensor, with every other element of the last dim skipped and a non-zero offset. Its
// values are uniform in [low, high).
inline Tensor strided_leaf(const Shape& shape, float low, float high, Generator& gen) {
  const int nd = shape.size();
  Shape base_shape;
  for (int i = nd - 1; i >= 0; --i) base_shape.push_back(shape[i]);
  if (nd > 0) base_shape[0] = 2 * shape[nd - 1] + 1;
  Tensor base = rand(base_shape, gen);
  {
    float* p = base.data();
    for (int64_t i = 0; i < base.numel(); ++i) p[i] = low + (high - low) * p[i];
  }
  Tensor x = base;
  if (nd > 0) {
    x = base.slice(0, 1, 2 * shape[nd - 1] + 1, 2);
    Shape reverse;
    for (int i = nd - 1; i >= 0; --i) reverse.push_back(i);
    x = x.permute(reverse);
  }
  x.requires_grad_(true);
  return x;
}

inline Tensor strided_randn_leaf(const Shape& shape, Generator& gen) {
  // Normal-ish values: uniform in [-2, 2) is enough for the gradient checks.
  return strided_leaf(shape, -2.0f, 2.0f, gen);
}

}  // namespace glimpse::test
