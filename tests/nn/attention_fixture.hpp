// Helpers for the attention tests that compare with PyTorch (tests/fixtures/generate_attention.py).
#pragma once

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

// all_close with the absolute tolerance scaled to the tensor: atol = rtol · max|expected|.
// A float32 gradient that sums many terms (LayerNorm, several heads) carries an absolute error
// proportional to the size of those terms, not of the (possibly tiny) result; PyTorch's own
// float32 result differs from the float64 reference by as much.
inline ::testing::AssertionResult close_at_scale(const Tensor& actual, const Tensor& expected, float rtol = 1e-5f) {
  float scale = 0.0f;
  for (float v : expected.to_vector()) scale = std::max(scale, std::fabs(v));
  return all_close(actual, expected, rtol, std::max(1e-6f, rtol * scale));
}

}  // namespace glimpse::test
