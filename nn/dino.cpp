// Lesson 11: DINO's centred, sharpened cross-entropy between views, and the teacher's EMA.
#include "nn/dino.hpp"

#include <fmt/format.h>

namespace glimpse::nn {

DINOLoss::DINOLoss(int64_t out_dim, float teacher_temp, float student_temp, float center_momentum, Loc caller)
    : out_dim_(out_dim),
      teacher_temp_(teacher_temp),
      student_temp_(student_temp),
      center_momentum_(center_momentum),
      center_(out_dim > 0 ? out_dim : 0, 0.0f) {
  glimpse::detail::check(
      out_dim >= 1 && teacher_temp > 0 && student_temp > 0 && center_momentum >= 0 && center_momentum <= 1,
      "DINOLoss", caller, [&] {
        return fmt::format(
            "out_dim {}, teacher_temp {}, student_temp {}, center_momentum {}: expected "
            "out_dim ≥ 1, temperatures > 0, momentum in [0, 1]",
            out_dim, teacher_temp, student_temp, center_momentum);
      });
}

namespace {

void check_views(const std::vector<Tensor>& views, int64_t out_dim, const char* what, const char* op,
                 Loc caller) {
  for (const Tensor& v : views)
    glimpse::detail::check(v.defined() && v.dim() == 2 && v.size(1) == out_dim, op, caller, [&] {
      return fmt::format("{} view {}: expected [B, {}]", what,
                         v.defined() ? to_string(v.shape()) : "undefined", out_dim);
    });
}

}  // namespace

Tensor DINOLoss::forward(const std::vector<Tensor>& student, const std::vector<Tensor>& teacher,
                         Loc caller) const {
  glimpse::detail::check(student.size() >= 2 && student.size() == teacher.size(), "DINOLoss", caller, [&] {
    return fmt::format("{} student and {} teacher views: expected the same number, at least 2",
                       student.size(), teacher.size());
  });
  check_views(student, out_dim_, "student", "DINOLoss", caller);
  check_views(teacher, out_dim_, "teacher", "DINOLoss", caller);
  const Tensor center = from_vector(center_, {1, out_dim_});
  Tensor total;
  int64_t pairs = 0;
  for (size_t j = 0; j < teacher.size(); ++j) {
    const Tensor p_t = ((teacher[j].detach() - center) / teacher_temp_).softmax(1);  // stop-gradient
    for (size_t i = 0; i < student.size(); ++i) {
      if (i == j) continue;  // never the same view
      const Tensor ce = (-(p_t * (student[i] / student_temp_).log_softmax(1))).sum({1}).mean();
      total = total.defined() ? total + ce : ce;
      ++pairs;
    }
  }
  return total / static_cast<float>(pairs);
}

void DINOLoss::update_center(const std::vector<Tensor>& teacher, Loc caller) {
  glimpse::detail::check(!teacher.empty(), "DINOLoss::update_center", caller,
                         [] { return "no teacher views"; });
  check_views(teacher, out_dim_, "teacher", "DINOLoss::update_center", caller);
  std::vector<double> mean(out_dim_, 0.0);
  int64_t rows = 0;
  for (const Tensor& v : teacher) {
    const std::vector<float> values = v.contiguous().to_vector();
    for (int64_t b = 0; b < v.size(0); ++b, ++rows)
      for (int64_t k = 0; k < out_dim_; ++k) mean[k] += values[b * out_dim_ + k];
  }
  for (int64_t k = 0; k < out_dim_; ++k)
    center_[k] = center_momentum_ * center_[k] + (1 - center_momentum_) * static_cast<float>(mean[k] / rows);
}

void ema_update_(Module& teacher, const Module& student, float momentum, Loc caller) {
  glimpse::detail::check(momentum >= 0 && momentum <= 1, "ema_update_", caller,
                         [&] { return fmt::format("momentum {}: expected a value in [0, 1]", momentum); });
  const auto t = teacher.named_parameters(), s = student.named_parameters();
  glimpse::detail::check(t.size() == s.size(), "ema_update_", caller, [&] {
    return fmt::format("teacher has {} parameters, student {}", t.size(), s.size());
  });
  NoGradGuard no_grad;
  for (size_t i = 0; i < t.size(); ++i) {
    glimpse::detail::check(
        t[i].first == s[i].first && t[i].second.shape() == s[i].second.shape(), "ema_update_", caller, [&] {
          return fmt::format("teacher's {} {} against student's {} {}", t[i].first,
                             to_string(t[i].second.shape()), s[i].first, to_string(s[i].second.shape()));
        });
    Tensor p = t[i].second;
    const std::vector<float> theirs = s[i].second.contiguous().to_vector();
    float* mine = p.data();
    for (size_t k = 0; k < theirs.size(); ++k) mine[k] = momentum * mine[k] + (1 - momentum) * theirs[k];
  }
}

}  // namespace glimpse::nn
