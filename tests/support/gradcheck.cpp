#include "support/gradcheck.hpp"

#include <fmt/format.h>

#include <cmath>

#include "autograd/ops.hpp"
#include "autograd/random.hpp"
#include "autograd/tape.hpp"

namespace glimpse::test {

namespace {

// L = Σ out ⊙ R, accumulated in double so the finite difference is not lost in rounding.
double projected(const Tensor& out, const std::vector<float>& r) {
  const std::vector<float> v = out.to_vector();
  double total = 0.0;
  for (size_t i = 0; i < v.size(); ++i) total += static_cast<double>(v[i]) * r[i];
  return total;
}

// The storage offset of the `flat`-th element (row-major) of a possibly strided tensor.
int64_t offset_of(const Tensor& t, int64_t flat) {
  int64_t off = 0;
  for (int d = t.dim() - 1; d >= 0; --d) {
    off += (flat % t.shape()[d]) * t.strides()[d];
    flat /= t.shape()[d];
  }
  return off;
}

std::string index_string(const Tensor& t, int64_t flat) {
  std::vector<int64_t> idx(static_cast<size_t>(t.dim()));
  for (int d = t.dim() - 1; d >= 0; --d) {
    idx[d] = flat % t.shape()[d];
    flat /= t.shape()[d];
  }
  return fmt::format("[{}]", fmt::join(idx, ", "));
}

}  // namespace

Tensor leaf(const Tensor& t) {
  Tensor c = t.detach().clone();
  return c.requires_grad_(true);
}

::testing::AssertionResult gradcheck(const TensorFunction& f, const std::vector<Tensor>& inputs,
                                     GradcheckOptions options) {
  for (const Tensor& x : inputs) x.node()->grad = Tensor();
  Tensor out = f(inputs);
  Generator gen(options.seed);
  std::vector<float> r(static_cast<size_t>(out.numel()));
  for (float& v : r) v = gen.uniform(-1.0f, 1.0f);
  const Tensor r_tensor = from_vector(r, out.shape());
  if (!out.requires_grad()) return ::testing::AssertionFailure() << "the output does not require grad";
  mul(out, r_tensor).sum().backward();

  NoGradGuard no_grad;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor x = inputs[i];
    if (!x.requires_grad()) continue;
    const Tensor analytic = x.grad();
    if (!analytic.defined())
      return ::testing::AssertionFailure() << fmt::format("input {} received no gradient", i);
    if (!(analytic.shape() == x.shape()))
      return ::testing::AssertionFailure()
             << fmt::format("input {}: gradient shape {} differs from input shape {}", i,
                            to_string(analytic.shape()), to_string(x.shape()));
    const std::vector<float> a = analytic.to_vector();
    for (int64_t k = 0; k < x.numel(); ++k) {
      float* p = x.data() + offset_of(x, k);
      const float saved = *p;
      *p = saved + options.eps;
      const double plus = projected(f(inputs), r);
      *p = saved - options.eps;
      const double minus = projected(f(inputs), r);
      *p = saved;
      const double numeric = (plus - minus) / (2.0 * options.eps);
      if (!(std::fabs(a[k] - numeric) <= options.atol + options.rtol * std::fabs(numeric)))
        return ::testing::AssertionFailure()
               << fmt::format("input {} element {}: analytic {:.6g} vs numeric {:.6g}", i, index_string(x, k), a[k],
                              numeric);
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace glimpse::test
