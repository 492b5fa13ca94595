// Helpers for the attention tests that compare with PyTorch (tests/fixtures/generate_attention.py).
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "autograd/ops.hpp"
#include "support/fixtures.hpp"
#include "support/gradcheck.hpp"

namespace glimpse::test {

// The module parameters stored in a fixture ("param.<dotted name>"), keyed by their dotted name.
inline std::map<std::string, Tensor> fixture_params(const std::map<std::string, Tensor>& fixture) {
  std::map<std::string, Tensor> params;
  for (const auto& [key, t] : fixture)
    if (key.rfind("param.", 0) == 0) params.emplace(key.substr(6), t);
  return params;
}

// The fixture's loss: Σ output ⊙ R.<name> for each named output.
inline Tensor fixture_loss(const std::map<std::string, Tensor>& fixture,
                           const std::map<std::string, Tensor>& outputs) {
  Tensor loss = scalar_tensor(0.0f);
  for (const auto& [name, out] : outputs) loss = loss + (out * fixture.at("R." + name)).sum();
  return loss;
}

// Each element of `actual` is within 1e-5 relative (1e-6 absolute) of the exact (float64)
// value, or, where PyTorch's own float32 result misses that too, within twice PyTorch's float32
// error. A few gradient elements of a Transformer layer come out of cancellations (softmax and
// LayerNorm backward) that no float32 computation gets to 1e-5 of the exact value: PyTorch's
// float32 gradients miss it by the same amount as ours (which of the two is closer varies from
// element to element). generate_attention.py stores them as "grad32.*".
inline ::testing::AssertionResult close_or_as_close_as_pytorch(const Tensor& actual, const Tensor& exact,
                                                              const Tensor& pytorch_float32) {
  if (!actual.defined()) return ::testing::AssertionFailure() << "actual tensor is undefined";
  if (!(actual.shape() == exact.shape()) || !(pytorch_float32.shape() == exact.shape()))
    return ::testing::AssertionFailure() << "shapes differ";
  const std::vector<float> a = actual.to_vector(), e = exact.to_vector(), t = pytorch_float32.to_vector();
  int beyond_1e5 = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const float ours = std::fabs(a[i] - e[i]), theirs = std::fabs(t[i] - e[i]);
    if (ours <= 1e-6f + 1e-5f * std::fabs(e[i])) continue;
    ++beyond_1e5;
    if (!(ours <= 2.0f * theirs))
      return ::testing::AssertionFailure()
             << fmt::format("element {} (flat): {:.8g} vs exact {:.8g} (off by {:.3g}; PyTorch float32 is off by {:.3g}; allowed: twice that)",
                            i, a[i], e[i], ours, theirs);
  }
  return ::testing::AssertionSuccess() << beyond_1e5 << " element(s) beyond 1e-5, each within twice PyTorch's float32 error";
}

}  // namespace glimpse::test
