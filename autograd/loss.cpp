// Lesson 03: the classification loss. cross_entropy = nll_loss(log_softmax(logits)):
//   loss_n = -log softmax(logits_n)[target_n]          one per prediction n (0 where ignored)
//   mean: Σ_n loss_n / N'  over the N' targets not ignored;  sum: Σ_n loss_n;  none: every loss_n
// Inputs [N, C] or [N, C, d1, ...] (a class score per position, e.g. per pixel or per token), as
// torch.nn.functional.cross_entropy takes them.
#include <fmt/format.h>

#include <limits>

#include "autograd/ops.hpp"
#include "autograd/tape.hpp"

namespace glimpse {

using detail::check;
using detail::Node;

namespace {

// Input [N, C, d1, ...] with targets [N, d1, ...] (class indices in 0..C-1, or ignore_index).
// `op` is the function the caller called, so cross_entropy's errors name cross_entropy.
void check_targets(const Shape& input, const IndexTensor& targets, int64_t ignore_index, const char* op, Loc loc) {
  check(input.size() >= 2, op, loc, [&] {
    return fmt::format("expects input of shape [N, C] or [N, C, d1, ...], got {}", to_string(input));
  });
  Shape expected{input[0]};
  for (int d = 2; d < input.size(); ++d) expected.push_back(input[d]);
  check(targets.shape == expected, op, loc, [&] {
    return fmt::format("targets of shape {} do not match input {}: expected {}", to_string(targets.shape),
                       to_string(input), to_string(expected));
  });
  const int64_t classes = input[1];
  for (int64_t i = 0; i < targets.numel(); ++i) {
    const int64_t t = targets[i];
    check(t == ignore_index || (t >= 0 && t < classes), op, loc, [&] {
      return fmt::format("target {} at position {} is not a class in 0..{} of input {} (nor ignore_index {})", t, i,
                         classes - 1, to_string(input), ignore_index);
    });
  }
}

// [N, C, d1, ...] → [N·d1·..., C]: the classes last, one row per prediction, in targets' order.
Tensor one_row_per_prediction(const Tensor& input, Loc loc) {
  if (input.dim() == 2) return input;
  Shape classes_last{0};
  for (int64_t d = 2; d < input.dim(); ++d) classes_last.push_back(d);
  classes_last.push_back(1);
  return input.permute(classes_last, loc).contiguous(loc).reshape({-1, input.size(1)}, loc);
}

// nll_loss on rows [M, C] with targets [M].
Tensor nll_rows(const Tensor& log_probs, const std::vector<int64_t>& targets, int64_t ignore_index,
                LossReduction reduction) {
  const int64_t n = log_probs.shape()[0], classes = log_probs.shape()[1];
  const Tensor lp = log_probs.contiguous();
  std::vector<float> losses(static_cast<size_t>(n), 0.0f);
  double total = 0.0;
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (targets[i] == ignore_index) continue;
    losses[i] = -lp.data()[i * classes + targets[i]];
    total += losses[i];
    ++count;
  }
  // mean: every target ignored gives 0/0, NaN, as in PyTorch.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor out = reduction == LossReduction::none  ? from_vector(losses, {n})
               : reduction == LossReduction::sum ? full(Shape{}, static_cast<float>(total))
                                             : full(Shape{}, count > 0 ? static_cast<float>(total / count) : nan);
  // d loss_i / d log_probs[i, t_i] = -1 (none, sum) or -1/N' (mean); 0 elsewhere and where ignored.
  detail::record(out, "nll_loss", {log_probs},
                 [targets, ignore_index, count, reduction](const Node& result, const Tensor& grad,
                                                           std::span<Tensor> grads) {
                   const Tensor& log_probs = result.inputs[0];
                   Tensor& dlog_probs = grads[0];
                   dlog_probs = zeros(log_probs.shape());
                   const int64_t classes = dlog_probs.shape()[1];
                   const Tensor dloss = grad.contiguous();
                   for (size_t i = 0; i < targets.size(); ++i) {
                     if (targets[i] == ignore_index) continue;
                     const float scale = reduction == LossReduction::none ? dloss.data()[i]
                                         : reduction == LossReduction::sum
                                             ? dloss.item()
                                             : (count > 0 ? dloss.item() / static_cast<float>(count) : 0.0f);
                     dlog_probs.data()[static_cast<int64_t>(i) * classes + targets[i]] = -scale;
                   }
                 });
  return out;
}

}  // namespace

Tensor nll_loss(const Tensor& log_probs, const IndexTensor& targets, int64_t ignore_index, LossReduction reduction,
                Loc loc) {
  detail::check_defined({&log_probs}, "nll_loss", loc);
  check_targets(log_probs.shape(), targets, ignore_index, "nll_loss", loc);
  const Tensor out = nll_rows(one_row_per_prediction(log_probs, loc), targets.values, ignore_index, reduction);
  return reduction == LossReduction::none ? out.reshape(targets.shape, loc) : out;
}

Tensor cross_entropy(const Tensor& logits, const IndexTensor& targets, int64_t ignore_index, LossReduction reduction,
                     Loc loc) {
  detail::check_defined({&logits}, "cross_entropy", loc);
  check_targets(logits.shape(), targets, ignore_index, "cross_entropy", loc);
  const Tensor rows = one_row_per_prediction(logits, loc);
  const Tensor out = nll_rows(log_softmax(rows, 1, loc), targets.values, ignore_index, reduction);
  return reduction == LossReduction::none ? out.reshape(targets.shape, loc) : out;
}

}  // namespace glimpse
