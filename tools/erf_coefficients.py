#!/usr/bin/env python3
"""Coefficients of detail::vec_erf (autograd/kernels/vector_math.hpp), printed as C++.

erf(x) for |x| >= kErfSeriesEnd is 1 - e^(-x^2) R(x), where R(x) = erfc(x) e^(x^2) is smooth and
slowly varying; R is fitted here by a polynomial of degree DEGREE in t = (x - MID) / HALF,
t in [-1, 1], least squares in relative error on Chebyshev nodes (near-minimax). Below
kErfSeriesEnd the Taylor series is used, whose coefficients need no fit.

Needs numpy (Debian: python3-numpy). Run:  /usr/bin/python3 tools/erf_coefficients.py
"""
import math

import numpy as np

SERIES_END = 0.7  # below: Taylor series
ONE_FROM = 3.95   # from here erf(x) rounds to 1 in float
DEGREE = 12
MID, HALF = (SERIES_END + ONE_FROM) / 2, (ONE_FROM - SERIES_END) / 2


def r_exact(x):
    return math.erfc(x) * math.exp(x * x)


def fit():
    nodes = np.cos(np.pi * (np.arange(2000) + 0.5) / 2000)  # Chebyshev nodes in t
    xs = MID + HALF * nodes
    rs = np.array([r_exact(x) for x in xs])
    basis = np.polynomial.chebyshev.chebvander(nodes, DEGREE) / rs[:, None]  # relative error
    cheb, *_ = np.linalg.lstsq(basis, np.ones_like(rs), rcond=None)
    return np.polynomial.chebyshev.cheb2poly(cheb)  # power basis in t, lowest first


def taylor():
    # erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)), as x * P(x^2)
    return [2 / math.sqrt(math.pi) * (-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(9)]


def erf_float(x, power, series):
    """What the C++ computes, in float32 steps (no fused multiply-add)."""
    f = np.float32
    x = f(x)
    a = f(abs(x))
    a2 = f(a * a)
    s = f(series[-1])
    for c in reversed(series[:-1]):
        s = f(f(s * a2) + f(c))
    from_series = f(a * s)
    t = f(f(a - f(MID)) * f(1 / HALF))
    r = f(power[-1])
    for c in reversed(power[:-1]):
        r = f(f(r * t) + f(c))
    from_tail = f(f(1) - f(f(np.exp(f(-a2), dtype=np.float32)) * r))
    y = from_series if a < SERIES_END else (from_tail if a < ONE_FROM else f(1))
    return math.copysign(float(y), float(x))


def main():
    power, series = fit(), taylor()
    worst = 0.0
    for x in np.linspace(0, 6, 200001, dtype=np.float32):
        exact = math.erf(float(x))
        ulp = float(np.spacing(np.float32(exact))) if exact != 0 else 1e-45
        worst = max(worst, abs(erf_float(x, power, series) - exact) / ulp)
    print(f"// worst error on [0, 6] (float32 emulation, exp from numpy): {worst:.2f} ulps")
    print(f"constexpr float kErfSeriesEnd = {SERIES_END}f, kErfOneFrom = {ONE_FROM}f;")
    print(f"constexpr float kErfMid = {MID!r}f, kErfInvHalf = {1 / HALF!r}f;")
    print("constexpr float kErfSeries[] = {" + ", ".join(f"{c:.9e}f" for c in series) + "};")
    print("constexpr float kErfTail[] = {" + ", ".join(f"{c:.9e}f" for c in power) + "};")


if __name__ == "__main__":
    main()
