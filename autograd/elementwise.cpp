// Lessons 01 and 02: elementwise ops. Binary ops broadcast by NumPy rules; their backward
// hands each input the upstream gradient times the local derivative, then sum_to_shape undoes
// the broadcast. Unary ops use their own output or input in a one-line derivative.
#include <cmath>

#include "autograd/kernels/vector_math.hpp"
#include "autograd/ops.hpp"
#include "autograd/tape.hpp"

namespace glimpse {

using detail::Node;

namespace {

// out[i] = f(a[i]) over any layout of a.
template <class F>
Tensor map_unary(const Tensor& a, F f, const char* op, Loc loc) {
  detail::check_defined({&a}, op, loc);
  Tensor out = detail::empty(a.shape(), op, loc);
  float* o = out.data();
  const float* x = a.data();
  if (a.is_contiguous()) {
    const int64_t n = a.numel();
    for (int64_t i = 0; i < n; ++i) o[i] = f(x[i]);
  } else {
    const Shape* strides[3] = {&a.strides(), nullptr, nullptr};
    int64_t base[3] = {0, 0, 0};
    int64_t i = 0;
    detail::for_each_offset(a.shape(), strides, base, [&](int64_t oa, int64_t, int64_t) { o[i++] = f(x[oa]); });
  }
  return out;
}

// out = f(a, b) with a and b broadcast to a common shape.
template <class F>
Tensor map_binary(const Tensor& a, const Tensor& b, F f, const char* op, Loc loc) {
  detail::check_defined({&a, &b}, op, loc);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op, loc);
  Tensor out = detail::empty(shape, op, loc);
  float* o = out.data();
  const float* x = a.data();
  const float* y = b.data();
  const int64_t n = out.numel();
  if (a.shape() == shape && b.shape() == shape && a.is_contiguous() && b.is_contiguous()) {
    for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);  // the common case, kept simple to vectorise
  } else {
    const Shape sa = broadcast_strides(a.shape(), a.strides(), shape);
    const Shape sb = broadcast_strides(b.shape(), b.strides(), shape);
    const Shape* strides[3] = {&sa, &sb, nullptr};
    int64_t base[3] = {0, 0, 0};
    // Row by row, so a row of a broadcast operand (stride 0: one value) or a contiguous one
    // (stride 1) gets a loop the compiler can vectorise, e.g. W·s [B,1,A] + keys [B,S,A].
    const int nd = shape.size();
    const int64_t inner = nd == 0 ? 1 : shape[nd - 1];
    const int64_t ia = nd == 0 ? 0 : sa[nd - 1], ib = nd == 0 ? 0 : sb[nd - 1];
    float* row = o;
    detail::for_each_row(shape, strides, base, [&](int64_t oa, int64_t ob, int64_t) {
      const float* xr = x + oa;
      const float* yr = y + ob;
      if (ia == 1 && ib == 1) {
        for (int64_t k = 0; k < inner; ++k) row[k] = f(xr[k], yr[k]);
      } else if (ia == 1 && ib == 0) {
        for (int64_t k = 0; k < inner; ++k) row[k] = f(xr[k], yr[0]);
      } else if (ia == 0 && ib == 1) {
        for (int64_t k = 0; k < inner; ++k) row[k] = f(xr[0], yr[k]);
      } else {
        for (int64_t k = 0; k < inner; ++k) row[k] = f(xr[k * ia], yr[k * ib]);
      }
      row += inner;
    });
  }
  return out;
}

// grad_input[i] = f(grad[i], y[i], x[i]) where y is the op's output and x its input: the
// backward of every unary op, computed in one pass.
template <class F>
Tensor unary_grad(const Tensor& grad, const Node& self, F f) {
  const Tensor g = grad.contiguous();
  const Tensor x = self.inputs[0].contiguous();
  Tensor out = detail::empty(g.shape());
  float* o = out.data();
  const float* gp = g.data();
  const float* yp = self.data();
  const float* xp = x.data();
  const int64_t n = out.numel();
  for (int64_t i = 0; i < n; ++i) o[i] = f(gp[i], yp[i], xp[i]);
  return out;
}

template <class Forward, class Derivative>
Tensor unary_op(const Tensor& a, const char* op, Loc loc, Forward forward, Derivative derivative) {
  Tensor out = map_unary(a, forward, op, loc);
  detail::record(out, op, {a}, [derivative](const Node& self, const Tensor& g, std::span<Tensor> gi) {
    gi[0] = unary_grad(g, self, derivative);
  });
  return out;
}

bool needs(const Node& self, int i) { return self.inputs[i].requires_grad(); }

}  // namespace

// ---- binary -------------------------------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b, Loc loc) {
  Tensor out = map_binary(a, b, [](float x, float y) { return x + y; }, "add", loc);
  // d(a+b)/da = 1, d(a+b)/db = 1
  detail::record(out, "add", {a, b}, [](const Node& self, const Tensor& g, std::span<Tensor> gi) {
    if (needs(self, 0)) gi[0] = sum_to_shape(g, self.inputs[0].shape());
    if (needs(self, 1)) gi[1] = sum_to_shape(g, self.inputs[1].shape());
  });
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b, Loc loc) {
  Tensor out = map_binary(a, b, [](float x, float y) { return x - y; }, "sub", loc);
  // d(a-b)/da = 1, d(a-b)/db = -1
  detail::record(out, "sub", {a, b}, [](const Node& self, const Tensor& g, std::span<Tensor> gi) {
    if (needs(self, 0)) gi[0] = sum_to_shape(g, self.inputs[0].shape());
    if (needs(self, 1)) gi[1] = sum_to_shape(neg(g), self.inputs[1].shape());
  });
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b, Loc loc) {
  Tensor out = map_binary(a, b, [](float x, float y) { return x * y; }, "mul", loc);
  // d(ab)/da = b, d(ab)/db = a
  detail::record(out, "mul", {a, b}, [](const Node& self, const Tensor& g, std::span<Tensor> gi) {
    const Tensor& x = self.inputs[0];
    const Tensor& y = self.inputs[1];
    if (needs(self, 0)) gi[0] = sum_to_shape(mul(g, y), x.shape());
    if (needs(self, 1)) gi[1] = sum_to_shape(mul(g, x), y.shape());
  });
  return out;
}

Tensor div(const Tensor& a, const Tensor& b, Loc loc) {
  Tensor out = map_binary(a, b, [](float x, float y) { return x / y; }, "div", loc);
  // d(a/b)/da = 1/b, d(a/b)/db = -a/b²
  detail::record(out, "div", {a, b}, [](const Node& self, const Tensor& g, std::span<Tensor> gi) {
    const Tensor& x = self.inputs[0];
    const Tensor& y = self.inputs[1];
    if (needs(self, 0)) gi[0] = sum_to_shape(div(g, y), x.shape());
    if (needs(self, 1)) gi[1] = sum_to_shape(neg(div(mul(g, x), mul(y, y))), y.shape());
  });
  return out;
}

Tensor pow(const Tensor& a, const Tensor& b, Loc loc) {
  Tensor out = map_binary(a, b, [](float x, float y) { return std::pow(x, y); }, "pow", loc);
  // d(a^b)/da = b·a^(b-1), d(a^b)/db = a^b·ln a
  detail::record(out, "pow", {a, b}, [](const Node& self, const Tensor& g, std::span<Tensor> gi) {
    const Tensor& x = self.inputs[0];
    const Tensor& y = self.inputs[1];
    if (needs(self, 0)) gi[0] = sum_to_shape(mul(g, mul(y, pow(x, sub(y, 1.0f)))), x.shape());
    if (needs(self, 1)) gi[1] = sum_to_shape(mul(g, mul(pow(x, y), log(x))), y.shape());
  });
  return out;
}

// ---- with a scalar ------------------------------------------------------------------------

Tensor add(const Tensor& a, float s, Loc loc) {
  Tensor out = map_unary(a, [s](float x) { return x + s; }, "add", loc);
  detail::record(out, "add", {a}, [](const Node&, const Tensor& g, std::span<Tensor> gi) { gi[0] = g; });
  return out;
}

Tensor sub(const Tensor& a, float s, Loc loc) {
  Tensor out = map_unary(a, [s](float x) { return x - s; }, "sub", loc);
  detail::record(out, "sub", {a}, [](const Node&, const Tensor& g, std::span<Tensor> gi) { gi[0] = g; });
  return out;
}

Tensor rsub(const Tensor& a, float s, Loc loc) {
  Tensor out = map_unary(a, [s](float x) { return s - x; }, "rsub", loc);
  detail::record(out, "rsub", {a}, [](const Node&, const Tensor& g, std::span<Tensor> gi) { gi[0] = neg(g); });
  return out;
}

Tensor mul(const Tensor& a, float s, Loc loc) {
  Tensor out = map_unary(a, [s](float x) { return x * s; }, "mul", loc);
  // d(a·s)/da = s
  detail::record(out, "mul", {a}, [s](const Node&, const Tensor& g, std::span<Tensor> gi) { gi[0] = mul(g, s); });
  return out;
}

Tensor div(const Tensor& a, float s, Loc loc) {
  Tensor out = map_unary(a, [s](float x) { return x / s; }, "div", loc);
  // d(a/s)/da = 1/s
  detail::record(out, "div", {a}, [s](const Node&, const Tensor& g, std::span<Tensor> gi) { gi[0] = div(g, s); });
  return out;
}

Tensor rdiv(const Tensor& a, float s, Loc loc) {
  Tensor out = map_unary(a, [s](float x) { return s / x; }, "rdiv", loc);
  // d(s/a)/da = -s/a² = -y/a
  detail::record(out, "rdiv", {a}, [](const Node& self, const Tensor& g, std::span<Tensor> gi) {
    gi[0] = unary_grad(g, self, [](float gv, float y, float x) { return -gv * y / x; });
  });
  return out;
}

Tensor pow(const Tensor& a, float e, Loc loc) {
  Tensor out = map_unary(a, [e](float x) { return std::pow(x, e); }, "pow", loc);
  // d(a^e)/da = e·a^(e-1), and 0 for e = 0 (a⁰ = 1 everywhere, even where a^-1 is infinite)
  detail::record(out, "pow", {a}, [e](const Node& self, const Tensor& g, std::span<Tensor> gi) {
    gi[0] = unary_grad(g, self, [e](float gv, float, float x) { return e == 0.0f ? 0.0f : gv * e * std::pow(x, e - 1.0f); });
  });
  return out;
}

// ---- unary --------------------------------------------------------------------------------

Tensor neg(const Tensor& a, Loc loc) {
  Tensor out = map_unary(a, [](float x) { return -x; }, "neg", loc);
  detail::record(out, "neg", {a}, [](const Node&, const Tensor& g, std::span<Tensor> gi) { gi[0] = neg(g); });
  return out;
}

// d exp(x) = exp(x) = y   (vec_exp, vec_tanh, vec_sigmoid: kernels/vector_math.hpp)
Tensor exp(const Tensor& a, Loc loc) {
  return unary_op(a, "exp", loc, [](float x) { return detail::vec_exp(x); }, [](float g, float y, float) { return g * y; });
}

// d log(x) = 1/x
Tensor log(const Tensor& a, Loc loc) {
  return unary_op(a, "log", loc, [](float x) { return std::log(x); }, [](float g, float, float x) { return g / x; });
}

// d √x = 1/(2√x) = 1/(2y)
Tensor sqrt(const Tensor& a, Loc loc) {
  return unary_op(a, "sqrt", loc, [](float x) { return std::sqrt(x); }, [](float g, float y, float) { return g / (2.0f * y); });
}

// d tanh(x) = 1 - y²
Tensor tanh(const Tensor& a, Loc loc) {
  return unary_op(a, "tanh", loc, [](float x) { return detail::vec_tanh(x); }, [](float g, float y, float) { return g * (1.0f - y * y); });
}

// σ(x) = 1/(1+e^-x); d σ(x) = y(1 - y)
Tensor sigmoid(const Tensor& a, Loc loc) {
  return unary_op(
      a, "sigmoid", loc, [](float x) { return detail::vec_sigmoid(x); },
      [](float g, float y, float) { return g * y * (1.0f - y); });
}

// d relu(x) = 1 where x > 0, else 0
Tensor relu(const Tensor& a, Loc loc) {
  return unary_op(a, "relu", loc, [](float x) { return x > 0.0f ? x : 0.0f; }, [](float g, float, float x) { return x > 0.0f ? g : 0.0f; });
}

// gelu(x) = x·Φ(x), Φ(x) = (1 + erf(x/√2))/2 the normal CDF (PyTorch's exact, non-tanh form);
// d gelu(x) = Φ(x) + x·φ(x), φ(x) = exp(−x²/2)/√(2π)
Tensor gelu(const Tensor& a, Loc loc) {
  constexpr float inv_sqrt2 = 0.70710678118654752f, inv_sqrt_2pi = 0.39894228040143268f;
  return unary_op(
      a, "gelu", loc, [](float x) { return 0.5f * x * (1.0f + std::erf(x * inv_sqrt2)); },
      [](float g, float, float x) {
        return g * (0.5f * (1.0f + std::erf(x * inv_sqrt2)) + x * inv_sqrt_2pi * std::exp(-0.5f * x * x));
      });
}

// d |x| = sign(x) (0 at 0, as PyTorch)
Tensor abs(const Tensor& a, Loc loc) {
  return unary_op(
      a, "abs", loc, [](float x) { return std::fabs(x); },
      [](float g, float, float x) { return x > 0.0f ? g : (x < 0.0f ? -g : 0.0f); });
}

}  // namespace glimpse
