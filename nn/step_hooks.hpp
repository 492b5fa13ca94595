// Step hooks: how recurrent and attention modules show their work to the tracer, one time step
// at a time. A module calls emit_step (nn/module.hpp) with its named values; a layer that
// unrolls a cell sets the time step with StepScope; the tracer is a StepObserver.
// Introduced in lesson 04 (hidden states over time).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"

namespace glimpse::nn {

class Module;

// One time step of one module: e.g. GRUCell step 3 with {"h": ..., "r": ..., "z": ..., "n": ...},
// or an attention step with {"weights": ..., "context": ...}.
struct StepRecord {
  const Module* module = nullptr;  // who emitted it (its path comes from the observer's model)
  std::string kind;                // "GRUCell", "BahdanauAttention", ...
  int64_t step = -1;               // time step, when the caller has set one (see StepScope)
  std::vector<std::pair<std::string, Tensor>> values;
};

class StepObserver {
 public:
  virtual ~StepObserver() = default;
  virtual void on_step(const StepRecord& record) = 0;
};

void add_step_observer(StepObserver* observer);
void remove_step_observer(StepObserver* observer);
namespace detail {
extern constinit thread_local bool t_has_step_observers;
void emit_step(StepRecord record);
// The time step that layers announce while they unroll (so cells can tag their records).
extern constinit thread_local int64_t t_current_step;
}  // namespace detail

// Layers that unroll a cell set the current time step for the duration of one step.
class StepScope {
 public:
  explicit StepScope(int64_t step) : previous_(detail::t_current_step) { detail::t_current_step = step; }
  ~StepScope() { detail::t_current_step = previous_; }
  StepScope(const StepScope&) = delete;
  StepScope& operator=(const StepScope&) = delete;

 private:
  int64_t previous_;
};

}  // namespace glimpse::nn
