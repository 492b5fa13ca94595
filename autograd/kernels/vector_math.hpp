// exp, tanh and sigmoid for the elementwise ops (lesson 01 introduces the ops), written so that
// a loop over them vectorises. libm's expf and tanhf are scalar calls: in the attention
// energies tanh(W s + U h) they took 40 % of a seq2seq training step (issue 6).
//
// Each function is branch-free: where two formulas cover different ranges, both are computed
// and one is selected, which the compiler turns into a vector blend. Accuracy is within a few
// float ulps of libm (tests/autograd/vector_math_test.cpp), inf and NaN propagate as in libm.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

namespace glimpse::detail {

// 2^k for an integer k in [-126, 127], built from its float bit pattern.
inline float power_of_two(int32_t k) { return std::bit_cast<float>((k + 127) << 23); }

// e^x = 2^n · e^r with n = round(x / ln 2) and |r| <= ln(2)/2, where e^r's Taylor series to
// r^7 is accurate to 1e-8. 2^n is applied in two halves so that results from the largest float
// down to the smallest denormal come out right.
inline float vec_exp(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693145751953125f;  // ln 2 = kLn2Hi + kLn2Lo; n · kLn2Hi is exact
  constexpr float kLn2Lo = 1.42860676533018708e-06f;
  constexpr float kRound = 12582912.0f;  // 1.5 · 2^23: adding it rounds to an integer
  // Beyond these e^x is inf or rounds to 0; NaN passes through min/max unchanged.
  const float xc = std::min(std::max(x, -104.0f), 88.8f);
  const float shifted = xc * kLog2e + kRound;
  const float n = shifted - kRound;
  const int32_t ni = std::bit_cast<int32_t>(shifted) - std::bit_cast<int32_t>(kRound);
  const float r = (xc - n * kLn2Hi) - n * kLn2Lo;
  float p = 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t half = ni >> 1;
  return p * power_of_two(half) * power_of_two(ni - half);
}

// tanh x = 1 - 2 / (e^{2|x|} + 1), with x's sign. Near 0 that subtraction cancels, so for
// |x| < 0.4 the odd Taylor series to x^11 is used instead (error below 1e-7 relative).
inline float vec_tanh(float x) {
  const float a = std::fabs(x);
  const float from_exp = 1.0f - 2.0f / (vec_exp(2.0f * a) + 1.0f);
  const float a2 = a * a;
  float s = -1382.0f / 155925;
  s = s * a2 + 62.0f / 2835;
  s = s * a2 - 17.0f / 315;
  s = s * a2 + 2.0f / 15;
  s = s * a2 - 1.0f / 3;
  const float from_series = a + a * a2 * s;
  return std::copysign(a < 0.4f ? from_series : from_exp, x);
}

// σ(x) = 1 / (1 + e^-x): e^-x = inf gives 0 and e^-x = 0 gives 1, as it should.
inline float vec_sigmoid(float x) { return 1.0f / (1.0f + vec_exp(-x)); }

}  // namespace glimpse::detail
