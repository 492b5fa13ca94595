// Lesson 06: softmax turns attention scores into weights that are positive and sum to 1.
//   softmax(x)_i = exp(x_i - m) / Σ_j exp(x_j - m),  m = max_j x_j  (subtracting m avoids overflow)
// Each op's backward, with its derivative, is the lambda it records (softmax's is exercise
// `softmax`, docs/exercises.md).
#include <algorithm>
#include <cmath>

#include "autograd/kernels/parallel.hpp"
#include "autograd/kernels/vector_math.hpp"
#include "autograd/ops.hpp"
#include "autograd/tape.hpp"

namespace glimpse {

using detail::Lanes;
using detail::Node;

namespace {

// Calls `per_lane(start)` for every lane along dim d of a contiguous tensor: the lane's n values
// sit at start, start + inner, start + 2·inner, ... (detail::lanes_of). Lanes are independent, so
// large tensors share them out across threads (kernels/parallel.hpp) with the same bits: each
// lane is still computed by one thread, in order.
template <class PerLane>
void for_each_lane(const Lanes& l, PerLane per_lane) {
  const int64_t lanes_per_range = std::max<int64_t>(1, detail::kElementsPerRange / std::max<int64_t>(l.n, 1));
  detail::parallel_for(l.outer * l.inner, lanes_per_range, [&](int64_t begin, int64_t end) {
    for (int64_t lane = begin; lane < end; ++lane) per_lane(detail::lane_start(l, lane));
  });
}

// Softmax's forward, kLanesAtOnce lanes side by side: a lane's maximum and its sum are each one
// chain of operations in order, every step waiting on the one before, and four lanes' chains
// interleaved keep the CPU busy while they wait. Each lane gets the same operations in the same
// order as it would alone. The last group repeats its last lane to fill up, normalised once.
constexpr int64_t kLanesAtOnce = 4;

void softmax_lanes(const float* const (&x)[kLanesAtOnce], float* const (&y)[kLanesAtOnce], int64_t count,
                   int64_t n, int64_t s, bool log_space) {
  float m[kLanesAtOnce];
  for (int64_t r = 0; r < kLanesAtOnce; ++r) m[r] = x[r][0];
  for (int64_t k = 1; k < n; ++k)
    for (int64_t r = 0; r < kLanesAtOnce; ++r) m[r] = std::max(m[r], x[r][k * s]);
  // exp(x - m) into y first: a loop of its own vectorises (the sum below cannot,
  // it adds in order), and each exp is computed once.
  for (int64_t r = 0; r < kLanesAtOnce; ++r) {
    if (s == 1) {
      for (int64_t k = 0; k < n; ++k) y[r][k] = detail::vec_exp(x[r][k] - m[r]);
    } else {
      for (int64_t k = 0; k < n; ++k) y[r][k * s] = detail::vec_exp(x[r][k * s] - m[r]);
    }
  }
  double total[kLanesAtOnce] = {};  // sums in double, in order: accurate and the same on every CPU
  for (int64_t k = 0; k < n; ++k)
    for (int64_t r = 0; r < kLanesAtOnce; ++r) total[r] += y[r][k * s];
  for (int64_t r = 0; r < count; ++r) {
    if (log_space) {
      const float log_total = static_cast<float>(std::log(total[r]));
      for (int64_t k = 0; k < n; ++k) y[r][k * s] = x[r][k * s] - m[r] - log_total;
    } else {
      const float sum = static_cast<float>(total[r]);
      for (int64_t k = 0; k < n; ++k) y[r][k * s] /= sum;
    }
  }
}

Tensor softmax_forward(const Tensor& a, int d, bool log_space) {
  const Tensor c = a.contiguous();
  Tensor out = detail::empty(a.shape());
  const Lanes l = detail::lanes_of(c.shape(), d);
  if (l.n == 0) return out;  // no values, nothing to normalise
  const int64_t lanes = l.outer * l.inner, groups = (lanes + kLanesAtOnce - 1) / kLanesAtOnce;
  const int64_t groups_per_range = std::max<int64_t>(1, detail::kElementsPerRange / (l.n * kLanesAtOnce));
  detail::parallel_for(groups, groups_per_range, [&](int64_t begin, int64_t end) {
    for (int64_t group = begin; group < end; ++group) {
      const int64_t first = group * kLanesAtOnce, count = std::min(kLanesAtOnce, lanes - first);
      const float* x[kLanesAtOnce];
      float* y[kLanesAtOnce];
      for (int64_t r = 0; r < kLanesAtOnce; ++r) {
        const int64_t start = detail::lane_start(l, first + std::min(r, count - 1));
        x[r] = c.data() + start;
        y[r] = out.data() + start;
      }
      softmax_lanes(x, y, count, l.n, l.inner, log_space);
    }
  });
  return out;
}

}  // namespace

Tensor softmax(const Tensor& a, int64_t dim, Loc loc) {
  detail::check_defined({&a}, "softmax", loc);
  const int d = normalize_dim(dim, a.dim(), "softmax", loc);
  Tensor out = softmax_forward(a, d, false);
  detail::record(out, "softmax", {a}, [d](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
    Tensor& dx = grads[0];
    // dx = y ⊙ (dy - Σ_j dy_j y_j) along each lane, y = softmax(x) the saved output.
    const Tensor dy = grad.contiguous();
    dx = detail::empty(result.shape);
    const Lanes l = detail::lanes_of(result.shape, d);
    const float* y = result.data();
    const float* g = dy.data();
    float* out = dx.data();
    for_each_lane(l, [&](int64_t start) {
      const int64_t s = l.inner;
      // In double: dy - Σ dy_j y_j cancels, and the rows of dx must sum to 0 (softmax is blind
      // to a constant added to every score), which a key bias's gradient relies on.
      double dot = 0.0;  // Σ_j dy_j y_j
      for (int64_t k = 0; k < l.n; ++k) dot += static_cast<double>(g[start + k * s]) * y[start + k * s];
      for (int64_t k = 0; k < l.n; ++k)
        out[start + k * s] =
            static_cast<float>(static_cast<double>(y[start + k * s]) * (g[start + k * s] - dot));
    });
  });
  return out;
}

Tensor log_softmax(const Tensor& a, int64_t dim, Loc loc) {
  detail::check_defined({&a}, "log_softmax", loc);
  const int d = normalize_dim(dim, a.dim(), "log_softmax", loc);
  Tensor out = softmax_forward(a, d, true);
  detail::record(
      out, "log_softmax", {a}, [d](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
        Tensor& dx = grads[0];
        // dx = dy - softmax(x) · Σ_j dy_j along each lane, softmax(x) = exp(y).
        const Tensor dy = grad.contiguous();
        dx = detail::empty(result.shape);
        const Lanes l = detail::lanes_of(result.shape, d);
        const float* y = result.data();
        const float* g = dy.data();
        float* out = dx.data();
        for_each_lane(l, [&](int64_t start) {
          const int64_t s = l.inner;
          double sum = 0.0;  // Σ_j dy_j
          for (int64_t k = 0; k < l.n; ++k) sum += g[start + k * s];
          const float total = static_cast<float>(sum);
          for (int64_t k = 0; k < l.n; ++k)
            out[start + k * s] = g[start + k * s] - detail::vec_exp(y[start + k * s]) * total;
        });
      });
  return out;
}

}  // namespace glimpse
