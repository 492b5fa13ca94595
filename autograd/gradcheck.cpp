// Lesson 01: a derivative checked by nudging its input. For each element x_k of each input,
//   numeric_k = (L(x + h e_k) - L(x - h e_k)) / (2h)   against   analytic_k = (dL/dx)_k from backward()
// with L = Σ f(inputs) ⊙ R. The element furthest from its tolerance is the one reported.
#include "autograd/gradcheck.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <limits>

#include "autograd/caller_scope.hpp"
#include "autograd/ops.hpp"
#include "autograd/random.hpp"
#include "autograd/tape.hpp"

namespace glimpse {

namespace {

// L = Σ out ⊙ R, summed in double so the difference of two L's is not lost in rounding.
double projected(const Tensor& out, const std::vector<float>& r) {
  const std::vector<float> v = out.to_vector();
  double total = 0.0;
  for (size_t i = 0; i < v.size(); ++i) total += static_cast<double>(v[i]) * r[i];
  return total;
}

// The index of the `flat`-th element (row-major) of a tensor of shape `shape`.
std::vector<int64_t> index_of(const Shape& shape, int64_t flat) {
  std::vector<int64_t> idx(shape.size());
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return idx;
}

// Where that element sits in storage, for a possibly strided tensor.
int64_t offset_of(const Tensor& t, const std::vector<int64_t>& idx) {
  int64_t off = 0;
  for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * t.strides()[d];
  return off;
}

GradcheckReport cannot_run(std::string message) {
  GradcheckReport r;
  r.message = std::move(message);
  return r;
}

}  // namespace

std::string GradcheckReport::to_string() const {
  if (!message.empty()) return message;
  if (checked == 0) return "no input requires grad: nothing was checked";
  return fmt::format("{}input {} element [{}]: analytic {:.6g} vs numeric {:.6g} (abs err {:.3g}, rel err {:.3g}; "
                     "{} elements checked)",
                     ok ? "ok; worst " : "", input, fmt::join(index, ", "), analytic, numeric, abs_error, rel_error,
                     checked);
}

GradcheckReport gradcheck(const GradcheckFunction& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options, Loc caller) {
  for (const Tensor& x : inputs)
    if (x.requires_grad()) x.node()->grad = Tensor();
  // f is the caller's own code, so it runs outside the scope: an error inside it names its line.
  const Tensor out = f(inputs);
  if (!out.requires_grad()) return cannot_run("the output does not require grad");
  Generator gen(options.seed);
  std::vector<float> r(static_cast<size_t>(out.numel()));
  for (float& v : r) v = gen.uniform(-1.0f, 1.0f);
  {
    const CallerScope scope(caller);
    (out * from_vector(r, out.shape())).sum().backward();
  }

  NoGradGuard no_grad;
  GradcheckReport report;
  report.ok = true;
  double worst = -1.0;  // the worst |analytic - numeric| / tolerance so far
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor x = inputs[i];
    if (!x.requires_grad()) continue;
    const Tensor analytic = x.grad();
    if (!analytic.defined()) return cannot_run(fmt::format("input {} received no gradient", i));
    if (!(analytic.shape() == x.shape()))
      return cannot_run(fmt::format("input {}: gradient shape {} differs from input shape {}", i,
                                    glimpse::to_string(analytic.shape()), glimpse::to_string(x.shape())));
    const std::vector<float> a = analytic.to_vector();
    for (int64_t k = 0; k < x.numel(); ++k) {
      const std::vector<int64_t> idx = index_of(x.shape(), k);
      float* p = x.data() + offset_of(x, idx);
      const float saved = *p;
      const float up = saved + options.eps, down = saved - options.eps;
      *p = up;
      const double plus = projected(f(inputs), r);
      *p = down;
      const double minus = projected(f(inputs), r);
      *p = saved;
      const double numeric = (plus - minus) / (static_cast<double>(up) - static_cast<double>(down));
      const double abs_error = std::fabs(a[k] - numeric);
      const double tolerance = options.atol + options.rtol * std::fabs(numeric);
      // NaN in either value is the worst there is.
      const double badness = std::isnan(abs_error) ? std::numeric_limits<double>::infinity() : abs_error / tolerance;
      ++report.checked;
      if (!(abs_error <= tolerance)) report.ok = false;
      if (badness > worst) {
        worst = badness;
        report.input = static_cast<int>(i);
        report.index = idx;
        report.analytic = a[k];
        report.numeric = numeric;
        report.abs_error = abs_error;
        report.rel_error = numeric != 0.0 ? abs_error / std::fabs(numeric)
                           : abs_error == 0.0 ? 0.0
                                              : std::numeric_limits<double>::infinity();
      }
    }
  }
  return report;
}

}  // namespace glimpse
