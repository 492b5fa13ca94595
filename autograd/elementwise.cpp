// Lessons 01 and 02: elementwise ops. Each is its forward expression and its derivatives, one
// line each. A binary op's backward hands each input the gradient times the local derivative
// (`grad * y` for x·y) and binary_op sums it back over the broadcast dims; a unary op's
// derivative reads its own output or input. The loops that apply them over any layout and
// broadcast are in kernels/elementwise_loops.hpp.
#include <cmath>

#include "autograd/kernels/elementwise_loops.hpp"
#include "autograd/kernels/vector_math.hpp"
#include "autograd/ops.hpp"
#include "autograd/tape.hpp"

namespace glimpse {

using detail::Node;

namespace {

using detail::map_binary;
using detail::map_unary;

// dx[i] = f(dy[i], y[i], x[i]) where y is the op's output, x its input and dy the gradient
// reaching y: the backward of every unary op, computed in one pass.
template <class F>
Tensor unary_grad(const Tensor& grad, const Node& result, F f) {
  const Tensor dy = grad.contiguous();
  const Tensor x = result.inputs[0].contiguous();
  Tensor dx = detail::empty(dy.shape());
  float* dxp = dx.data();
  const float* dyp = dy.data();
  const float* yp = result.data();
  const float* xp = x.data();
  detail::for_each_element(dx.numel(), [&](int64_t i) { dxp[i] = f(dyp[i], yp[i], xp[i]); });
  return dx;
}

template <class Forward, class Derivative>
Tensor unary_op(const Tensor& a, const char* op, Loc loc, Forward forward, Derivative derivative) {
  Tensor out = map_unary(a, forward, op, loc);
  detail::record(out, op, {a}, [derivative](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
    Tensor& dx = grads[0];
    dx = unary_grad(grad, result, derivative);
  });
  return out;
}

// What a binary op's derivatives read: its inputs x and y, and the gradient reaching its output.
struct BinaryGrad {
  const Tensor& x;
  const Tensor& y;
  const Tensor& grad;
};

// A binary op is its forward expression and the gradient it hands each input, written as math
// (`grad * y`). binary_op owns the rest: broadcasting x and y to one shape, asking only for
// the gradients an input needs, and summing each back to its input's shape.
template <class Forward, class GradX, class GradY>
Tensor binary_op(const Tensor& a, const Tensor& b, const char* op, Loc loc, Forward forward, GradX grad_x,
                 GradY grad_y) {
  Tensor out = map_binary(a, b, forward, op, loc);
  detail::record(out, op, {a, b},
                 [grad_x, grad_y](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
                   const Tensor& x = result.inputs[0];
                   const Tensor& y = result.inputs[1];
                   Tensor& dx = grads[0];
                   Tensor& dy = grads[1];
                   const BinaryGrad local{x, y, grad};
                   if (x.requires_grad()) dx = sum_to_shape(grad_x(local), x.shape());
                   if (y.requires_grad()) dy = sum_to_shape(grad_y(local), y.shape());
                 });
  return out;
}

}  // namespace

// ---- binary -------------------------------------------------------------------------------
// Each: the forward, then ∂L/∂x and ∂L/∂y from the gradient ∂L/∂out reaching the output.

Tensor add(const Tensor& a, const Tensor& b, Loc loc) {
  return binary_op(
      a, b, "add", loc, [](float x, float y) { return x + y; },  //
      [](const BinaryGrad& d) { return d.grad; },                // ∂(x+y)/∂x = 1
      [](const BinaryGrad& d) { return d.grad; });               // ∂(x+y)/∂y = 1
}

Tensor sub(const Tensor& a, const Tensor& b, Loc loc) {
  return binary_op(
      a, b, "sub", loc, [](float x, float y) { return x - y; },  //
      [](const BinaryGrad& d) { return d.grad; },                // ∂(x-y)/∂x = 1
      [](const BinaryGrad& d) { return -d.grad; });              // ∂(x-y)/∂y = -1
}

Tensor mul(const Tensor& a, const Tensor& b, Loc loc) {
  return binary_op(
      a, b, "mul", loc, [](float x, float y) { return x * y; },  //
      [](const BinaryGrad& d) { return d.grad * d.y; },          // ∂(xy)/∂x = y
      [](const BinaryGrad& d) { return d.grad * d.x; });         // ∂(xy)/∂y = x
}

Tensor div(const Tensor& a, const Tensor& b, Loc loc) {
  return binary_op(
      a, b, "div", loc, [](float x, float y) { return x / y; },            //
      [](const BinaryGrad& d) { return d.grad / d.y; },                    // ∂(x/y)/∂x = 1/y
      [](const BinaryGrad& d) { return -(d.grad * d.x / (d.y * d.y)); });  // ∂(x/y)/∂y = -x/y²
}

Tensor pow(const Tensor& a, const Tensor& b, Loc loc) {
  return binary_op(
      a, b, "pow", loc, [](float x, float y) { return std::pow(x, y); },
      [](const BinaryGrad& d) { return d.grad * (d.y * pow(d.x, d.y - 1.0f)); },  // ∂(x^y)/∂x = y·x^(y-1)
      [](const BinaryGrad& d) { return d.grad * (pow(d.x, d.y) * log(d.x)); });   // ∂(x^y)/∂y = x^y·ln x
}

// ---- with a scalar ------------------------------------------------------------------------

Tensor add(const Tensor& a, float s, Loc loc) {
  Tensor out = map_unary(a, [s](float x) { return x + s; }, "add", loc);
  detail::record(out, "add", {a}, [](const Node&, const Tensor& grad, std::span<Tensor> grads) {
    Tensor& dx = grads[0];
    dx = grad;
  });
  return out;
}

Tensor sub(const Tensor& a, float s, Loc loc) {
  Tensor out = map_unary(a, [s](float x) { return x - s; }, "sub", loc);
  detail::record(out, "sub", {a}, [](const Node&, const Tensor& grad, std::span<Tensor> grads) {
    Tensor& dx = grads[0];
    dx = grad;
  });
  return out;
}

Tensor rsub(const Tensor& a, float s, Loc loc) {
  Tensor out = map_unary(a, [s](float x) { return s - x; }, "rsub", loc);
  detail::record(out, "rsub", {a}, [](const Node&, const Tensor& grad, std::span<Tensor> grads) {
    Tensor& dx = grads[0];
    dx = neg(grad);
  });
  return out;
}

Tensor mul(const Tensor& a, float s, Loc loc) {
  Tensor out = map_unary(a, [s](float x) { return x * s; }, "mul", loc);
  // d(a·s)/da = s
  detail::record(out, "mul", {a}, [s](const Node&, const Tensor& grad, std::span<Tensor> grads) {
    Tensor& dx = grads[0];
    dx = mul(grad, s);
  });
  return out;
}

Tensor div(const Tensor& a, float s, Loc loc) {
  Tensor out = map_unary(a, [s](float x) { return x / s; }, "div", loc);
  // d(a/s)/da = 1/s
  detail::record(out, "div", {a}, [s](const Node&, const Tensor& grad, std::span<Tensor> grads) {
    Tensor& dx = grads[0];
    dx = div(grad, s);
  });
  return out;
}

Tensor rdiv(const Tensor& a, float s, Loc loc) {
  Tensor out = map_unary(a, [s](float x) { return s / x; }, "rdiv", loc);
  // d(s/a)/da = -s/a² = -y/a
  detail::record(out, "rdiv", {a}, [](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
    Tensor& dx = grads[0];
    dx = unary_grad(grad, result, [](float dy, float y, float x) { return -dy * y / x; });
  });
  return out;
}

Tensor pow(const Tensor& a, float e, Loc loc) {
  Tensor out = map_unary(a, [e](float x) { return std::pow(x, e); }, "pow", loc);
  // d(a^e)/da = e·a^(e-1), and 0 for e = 0 (a⁰ = 1 everywhere, even where a^-1 is infinite)
  detail::record(out, "pow", {a}, [e](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
    Tensor& dx = grads[0];
    dx = unary_grad(grad, result, [e](float dy, float, float x) {
      return e == 0.0f ? 0.0f : dy * e * std::pow(x, e - 1.0f);
    });
  });
  return out;
}

// ---- unary --------------------------------------------------------------------------------

Tensor neg(const Tensor& a, Loc loc) {
  Tensor out = map_unary(a, [](float x) { return -x; }, "neg", loc);
  detail::record(out, "neg", {a}, [](const Node&, const Tensor& grad, std::span<Tensor> grads) {
    Tensor& dx = grads[0];
    dx = neg(grad);
  });
  return out;
}

// d exp(x) = exp(x) = y   (vec_exp, vec_tanh, vec_sigmoid: kernels/vector_math.hpp)
Tensor exp(const Tensor& a, Loc loc) {
  return unary_op(
      a, "exp", loc, [](float x) { return detail::vec_exp(x); },
      [](float dy, float y, float) { return dy * y; });
}

// d log(x) = 1/x
Tensor log(const Tensor& a, Loc loc) {
  return unary_op(
      a, "log", loc, [](float x) { return std::log(x); }, [](float dy, float, float x) { return dy / x; });
}

// d √x = 1/(2√x) = 1/(2y)
Tensor sqrt(const Tensor& a, Loc loc) {
  return unary_op(
      a, "sqrt", loc, [](float x) { return std::sqrt(x); },
      [](float dy, float y, float) { return dy / (2.0f * y); });
}

// d tanh(x) = 1 - y²
Tensor tanh(const Tensor& a, Loc loc) {
  return unary_op(
      a, "tanh", loc, [](float x) { return detail::vec_tanh(x); },
      [](float dy, float y, float) { return dy * (1.0f - y * y); });
}

// σ(x) = 1/(1+e^-x); d σ(x) = y(1 - y)
Tensor sigmoid(const Tensor& a, Loc loc) {
  return unary_op(
      a, "sigmoid", loc, [](float x) { return detail::vec_sigmoid(x); },
      [](float dy, float y, float) { return dy * y * (1.0f - y); });
}

// d relu(x) = 1 where x > 0, else 0
Tensor relu(const Tensor& a, Loc loc) {
  return unary_op(
      a, "relu", loc, [](float x) { return x > 0.0f ? x : 0.0f; },
      [](float dy, float, float x) { return x > 0.0f ? dy : 0.0f; });
}

// gelu(x) = x·Φ(x), Φ(x) = (1 + erf(x/√2))/2 the normal CDF (PyTorch's exact, non-tanh form);
// d gelu(x) = Φ(x) + x·φ(x), φ(x) = exp(−x²/2)/√(2π)
Tensor gelu(const Tensor& a, Loc loc) {
  constexpr float inv_sqrt2 = 0.70710678118654752f, inv_sqrt_2pi = 0.39894228040143268f;
  return unary_op(
      a, "gelu", loc, [](float x) { return 0.5f * x * (1.0f + detail::vec_erf(x * inv_sqrt2)); },
      [](float dy, float, float x) {
        return dy * (0.5f * (1.0f + detail::vec_erf(x * inv_sqrt2)) +
                     x * inv_sqrt_2pi * detail::vec_exp(-0.5f * x * x));
      });
}

// d |x| = sign(x) (0 at 0, as PyTorch)
Tensor abs(const Tensor& a, Loc loc) {
  return unary_op(
      a, "abs", loc, [](float x) { return std::fabs(x); },
      [](float dy, float, float x) { return x > 0.0f ? dy : (x < 0.0f ? -dy : 0.0f); });
}

}  // namespace glimpse
