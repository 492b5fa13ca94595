// Learning-rate schedules: StepLR multiplies the rate by gamma every step_size epochs
// (torch.optim.lr_scheduler.StepLR).
// Introduced in lesson 05 (training an encoder-decoder for longer).
#pragma once

#include <cstdint>

#include "nn/optim.hpp"

namespace glimpse::nn {

class StepLR {
 public:
  // lr(epoch) = initial_lr · gamma^⌊epoch / step_size⌋, with the optimiser's lr as initial_lr.
  StepLR(Optimizer& optimizer, int64_t step_size, float gamma = 0.1f, Loc caller = Loc::current());

  // Call once per epoch, after that epoch's optimizer.step() calls.
  void step();
  int64_t epoch() const { return epoch_; }
  float lr() const { return optimizer_->lr(); }

 private:
  Optimizer* optimizer_;  // not owned
  int64_t step_size_;
  float gamma_;
  float initial_lr_;
  int64_t epoch_ = 0;
};

}  // namespace glimpse::nn
