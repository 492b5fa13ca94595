// Module: a layer or a model — named parameters plus named child modules, like torch.nn.Module.
// Introduced in lesson 03 (a first network).
//
// Parameters and children are registered in order with names, so
// named_parameters() yields dotted paths ("decoder.attention.W.weight") in a stable order that
// checkpoints and the tracer reuse. How a module shows its time steps to the tracer (emit_step,
// StepScope): nn/step_hooks.hpp.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/caller_scope.hpp"
#include "autograd/ops.hpp"
#include "autograd/tape.hpp"
#include "autograd/tensor.hpp"
#include "nn/step_hooks.hpp"

namespace glimpse::nn {

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Every parameter, with its dotted path, in registration order (depth first); a tensor
  // registered under two names is listed once, under the first.
  std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  std::vector<Tensor> parameters() const;
  // Direct and indirect children with their dotted paths ("" is this module itself).
  std::vector<std::pair<std::string, const Module*>> named_modules() const;
  // The dotted path of `m` inside this module, or "" if it is not part of it.
  std::string path_of(const Module* m) const;
  // The dotted name of a parameter tensor (same storage node), or "" if it is not one of ours.
  std::string name_of(const Tensor& parameter) const;

  // Training mode switches dropout on; evaluation mode switches it off.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Forgets every parameter's .grad (call before each backward).
  void zero_grad();

  // The class name, for printing and tracing ("GRUCell").
  virtual std::string kind() const = 0;

 protected:
  // Registers a parameter (marks it requires_grad) and returns it.
  Tensor register_parameter(const std::string& name, Tensor value);
  // Registers a child module and returns it.
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    children_.emplace_back(name, module);
    return module;
  }
  // Records one step for the tracer; costs one branch when nobody is tracing (the values are
  // only referenced until then, and copied into a record when somebody listens).
  void emit_step(std::initializer_list<std::pair<const char*, const Tensor&>> values) const {
    if (detail::t_has_step_observers) [[unlikely]] {
      StepRecord record{this, kind(), detail::t_current_step, {}};
      for (const auto& [name, value] : values) record.values.emplace_back(name, value);
      detail::emit_step(std::move(record));
    }
  }
  // True while a tracer listens to steps or to the tape: modules then take their readable,
  // composed path rather than a fused kernel, so the tracer sees every gate.
  static bool tracing() { return detail::t_has_step_observers || glimpse::detail::t_has_observers; }

 private:
  std::vector<std::pair<std::string, Tensor>> parameters_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

}  // namespace glimpse::nn
