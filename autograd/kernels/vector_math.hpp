// exp, tanh, sigmoid and erf for the elementwise ops (lesson 01 introduces the ops), written so
// that a loop over them vectorises. libm's expf and tanhf are scalar calls: in the attention
// energies tanh(W s + U h) they took 40 % of a seq2seq training step (issue 6); erff in GELU took
// 11 % of a GPT's (issue 14).
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

// erf x = 2/√π ∫₀ˣ e^(−t²) dt, odd. For |x| < 0.7 its Taylor series x·P(x²) to x^17 (error
// below 1e-9); from there 1 − e^(−x²)·R(x), where R(x) = erfc(x)·e^(x²) is smooth and is fitted
// on [0.7, 3.95] by a polynomial of degree 12 in t = (x − 2.325)/1.625 (the coefficients are
// what tools/erf_coefficients.py prints); from 3.95 on, erf x rounds to 1 in float. Within 3
// ulps of libm (tests/autograd/vector_math_test.cpp).
inline float vec_erf(float x) {
  const float a = std::fabs(x);
  const float a2 = a * a;
  float s = 1.646211437e-06f;  // Taylor: (−1)^n 2/√π / (n!(2n+1)), n = 8 down to 0
  s = s * a2 - 1.492565036e-05f;
  s = s * a2 + 1.205533298e-04f;
  s = s * a2 - 8.548327023e-04f;
  s = s * a2 + 5.223977625e-03f;
  s = s * a2 - 2.686617065e-02f;
  s = s * a2 + 1.128379167e-01f;
  s = s * a2 - 3.761263890e-01f;
  s = s * a2 + 1.128379167e+00f;
  const float from_series = a * s;
  const float t = (std::min(a, 3.95f) - 2.325f) * 0.615384615f;
  float r = 6.174308719e-05f;  // R(x), highest power of t first
  r = r * t - 1.668326949e-04f;
  r = r * t + 2.073596338e-04f;
  r = r * t - 4.317534404e-04f;
  r = r * t + 1.189318816e-03f;
  r = r * t - 2.650559275e-03f;
  r = r * t + 5.507361145e-03f;
  r = r * t - 1.129570970e-02f;
  r = r * t + 2.243781466e-02f;
  r = r * t - 4.281719388e-02f;
  r = r * t + 7.825412145e-02f;
  r = r * t - 1.362843554e-01f;
  r = r * t + 2.246261976e-01f;
  const float from_tail = 1.0f - vec_exp(-a2) * r;
  // NaN fails both comparisons and takes from_tail, which carries it through.
  return std::copysign(a < 0.7f ? from_series : (a >= 3.95f ? 1.0f : from_tail), x);
}

}  // namespace glimpse::detail
