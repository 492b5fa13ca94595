// Gradient checking by central finite differences: the proof that a backward is right.
// Introduced in lesson 01, where the learner sees analytic and numeric derivatives side by side;
// the tests and the write-the-backward exercises (docs/exercises.md) are graded by it.
//
//   const GradcheckReport r = gradcheck([](const std::vector<Tensor>& v) { return tanh(v[0]); }, {x});
//   if (!r.ok) fmt::print("{}\n", r.to_string());
//   // input 0 element [1, 2]: analytic 0.81 vs numeric 0.42 (abs err 0.39, rel err 0.93)
//
// It differentiates L = Σ f(inputs) ⊙ R, R a fixed random tensor (so every output element
// matters, with its own weight), with respect to every element of every input that requires
// grad: the gradient from backward() against the central difference of L, and reports the
// element that is furthest from its tolerance.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autograd/error.hpp"
#include "autograd/tensor.hpp"

namespace glimpse {

// Tolerances for float32 tensors. PyTorch's gradcheck defaults (eps 1e-6, atol 1e-5, rtol 1e-3)
// are made for float64, and it warns when an input is not double. Its error model: the forward's
// rounding leaves about u·|L| of noise in L (u the unit roundoff), which the central difference
// divides by eps, and truncation adds about eps²·|L'''| / 6. In double (u ≈ 1e-16) eps = 1e-6
// makes both tiny. In float32 (u ≈ 6e-8) the same eps would leave noise of about 6% of |L|; the
// sum of the two is smallest near eps = (3u)^(1/3) ≈ 6e-3 for inputs of size ~1, so we take 1e-2.
// What remains there (a few 1e-5 of |L| from each term, more when f rounds many float32 sums and
// exps into L) is what atol 2e-3 and rtol 1e-2 allow for, with room: still far below what a
// wrong derivative gives (a wrong factor or sign is off by O(1) of the value). The difference,
// the sum L and the step are computed in double (the step is the distance between the two
// float32 values actually used, not the nominal 2·eps), so only the forward's own rounding remains.
struct GradcheckOptions {
  float eps = 1e-2f;     // half-step of the central difference
  float atol = 2e-3f;    // an element passes if |analytic - numeric| <= atol + rtol·|numeric|
  float rtol = 1e-2f;
  uint64_t seed = 1234;  // of the random projection R
};

// What gradcheck found. When the check ran (`message` empty), `input`, `index`… describe the
// element with the largest |analytic - numeric| / (atol + rtol·|numeric|), whether or not it
// passed; when it could not run (the output needs no grad, an input got no gradient or one of the
// wrong shape), ok is false and `message` says why.
struct GradcheckReport {
  bool ok = false;
  std::string message;                  // why the check could not run; empty when it ran
  int64_t checked = 0;                  // elements compared
  int input = -1;                       // which input holds the worst element (position in `inputs`)
  std::vector<int64_t> index;           // its index in that input, e.g. {1, 2}
  double analytic = 0.0;                // d L / d x from backward()
  double numeric = 0.0;                 // the same by central difference
  double abs_error = 0.0;               // |analytic - numeric|
  double rel_error = 0.0;               // abs_error / |numeric| (infinite if numeric is 0 and they differ)

  explicit operator bool() const { return ok; }
  // "input 1 element [0, 2]: analytic … vs numeric … (abs err …, rel err …)", or the message.
  std::string to_string() const;
};

using GradcheckFunction = std::function<Tensor(const std::vector<Tensor>&)>;

// Runs f(inputs) once with backward() and twice more per checked element, nudging that element by
// ±eps in place (under NoGradGuard) and restoring it. Leaves the gradients of that backward() in
// the inputs. f must be deterministic (no dropout) and read the inputs it is given. An error
// raised by gradcheck's own ops names `caller`; one raised inside f names f's own line.
GradcheckReport gradcheck(const GradcheckFunction& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {}, Loc caller = Loc::current());

}  // namespace glimpse
