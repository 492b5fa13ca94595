// DINO's self-distillation loss (Caron et al. 2021), introduced in lesson 11 (attention in vision).
// A student and a teacher of the same architecture see different augmented views of a picture;
// the student learns to give the teacher's answer on every other view:
//   P_t = softmax((t − center) / teacher_temp)   (centred and sharpened; no gradient: stop-grad)
//   log P_s = log_softmax(s / student_temp)
//   loss = mean over pairs (teacher view j, student view i ≠ j) of mean_b Σ_k −P_t[b,k] log P_s[b,k]
// After each step: center ← m·center + (1 − m)·mean of the teacher's outputs (update_center), and
// the teacher's parameters follow the student's: p_t ← λ·p_t + (1 − λ)·p_s (ema_update_).
// Centring keeps one output from winning every picture; sharpening keeps the output from being
// uniform: together they stop the collapse a loss without labels invites.
#pragma once

#include <vector>

#include "autograd/tensor.hpp"
#include "nn/module.hpp"

namespace glimpse::nn {

class DINOLoss {
 public:
  // out_dim ≥ 1, temperatures > 0, center_momentum in [0, 1] (else glimpse::Error).
  DINOLoss(int64_t out_dim, float teacher_temp = 0.04f, float student_temp = 0.1f,
           float center_momentum = 0.9f, Loc caller = Loc::current());

  // student and teacher: one [B, out_dim] output per view, the same views in the same order (at
  // least two). The teacher's outputs are detached here.
  Tensor forward(const std::vector<Tensor>& student, const std::vector<Tensor>& teacher,
                 Loc caller = Loc::current()) const;
  Tensor operator()(const std::vector<Tensor>& student, const std::vector<Tensor>& teacher,
                    Loc caller = Loc::current()) const {
    return forward(student, teacher, caller);
  }

  // center ← m·center + (1 − m)·(mean over every row of every view of `teacher`).
  void update_center(const std::vector<Tensor>& teacher, Loc caller = Loc::current());
  const std::vector<float>& center() const { return center_; }

 private:
  int64_t out_dim_;
  float teacher_temp_, student_temp_, center_momentum_;
  std::vector<float> center_;  // starts at 0
};

// teacher's parameters ← momentum·teacher + (1 − momentum)·student, matched by name (both models of
// the same architecture), under NoGradGuard. momentum in [0, 1].
void ema_update_(Module& teacher, const Module& student, float momentum, Loc caller = Loc::current());

}  // namespace glimpse::nn
