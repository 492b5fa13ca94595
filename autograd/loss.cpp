// Lesson 03: the classification loss. cross_entropy = nll_loss(log_softmax(logits)):
//   loss = -(1/N') Σ_n log softmax(logits_n)[target_n]   over the N' targets not ignored.
#include <fmt/format.h>

#include <limits>

#include "autograd/ops.hpp"
#include "autograd/tape.hpp"

namespace glimpse {

using detail::check;
using detail::Node;

namespace {
// targets must be N class indices in 0..C-1 (or ignore_index) for an [N, C] input. `op` is the
// function the caller called, so cross_entropy's errors name cross_entropy.
void check_targets(const Shape& input, const IndexTensor& targets, int64_t ignore_index, const char* op, Loc loc) {
  const int64_t n = input[0], classes = input[1];
  check(targets.shape.size() == 1 && targets.numel() == n, op, loc, [&] {
    return fmt::format("targets of shape {} do not match the {} rows of input {}", to_string(targets.shape), n,
                       to_string(input));
  });
  for (int64_t i = 0; i < n; ++i) {
    const int64_t t = targets[i];
    check(t == ignore_index || (t >= 0 && t < classes), op, loc, [&] {
      return fmt::format("target {} at position {} is not a class in 0..{} of input {} (nor ignore_index {})", t, i,
                         classes - 1, to_string(input), ignore_index);
    });
  }
}
}  // namespace

Tensor nll_loss(const Tensor& log_probs, const IndexTensor& targets, int64_t ignore_index, Loc loc) {
  check(log_probs.dim() == 2, "nll_loss", loc, [&] {
    return fmt::format("expects log-probabilities of shape [N, C], got {}", to_string(log_probs.shape()));
  });
  check_targets(log_probs.shape(), targets, ignore_index, "nll_loss", loc);
  const int64_t n = log_probs.shape()[0], classes = log_probs.shape()[1];
  const Tensor lp = log_probs.contiguous();
  double total = 0.0;
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t t = targets[i];
    if (t == ignore_index) continue;
    total -= lp.data()[i * classes + t];
    ++count;
  }
  // Every target ignored: the mean is 0/0, NaN, as in PyTorch.
  Tensor out = full(Shape{}, count > 0 ? static_cast<float>(total / count) : std::numeric_limits<float>::quiet_NaN());
  // d loss / d log_probs[i, t_i] = -1/N' for each counted row, 0 elsewhere.
  detail::record(out, "nll_loss", {log_probs}, [targets, ignore_index, count](const Node& self, const Tensor& g, std::span<Tensor> gi) {
    Tensor d = zeros(self.inputs[0].shape());
    const int64_t classes = d.shape()[1];
    const float scale = count > 0 ? -g.item() / static_cast<float>(count) : 0.0f;
    for (int64_t i = 0; i < targets.numel(); ++i)
      if (targets[i] != ignore_index) d.data()[i * classes + targets[i]] = scale;
    gi[0] = d;
  });
  return out;
}

Tensor cross_entropy(const Tensor& logits, const IndexTensor& targets, int64_t ignore_index, Loc loc) {
  check(logits.dim() == 2, "cross_entropy", loc, [&] {
    return fmt::format("expects logits of shape [N, C], got {}; reshape to [-1, C] first", to_string(logits.shape()));
  });
  check_targets(logits.shape(), targets, ignore_index, "cross_entropy", loc);
  return nll_loss(log_softmax(logits, 1, loc), targets, ignore_index, loc);
}

}  // namespace glimpse
