// Lesson 03: modules own named parameters and children.
#include "nn/module.hpp"

#include <algorithm>
#include <set>

namespace glimpse::nn {

namespace {
thread_local std::vector<StepObserver*> t_step_observers;
}

namespace detail {
// Per thread, like the observers: a model trained in another thread is not traced by ours.
constinit thread_local bool t_has_step_observers = false;
constinit thread_local int64_t t_current_step = -1;
void emit_step(StepRecord record) {
  for (StepObserver* o : t_step_observers) o->on_step(record);
}
}  // namespace detail

void add_step_observer(StepObserver* observer) {
  t_step_observers.push_back(observer);
  detail::t_has_step_observers = true;
}

void remove_step_observer(StepObserver* observer) {
  std::erase(t_step_observers, observer);
  detail::t_has_step_observers = !t_step_observers.empty();
}

Tensor Module::register_parameter(const std::string& name, Tensor value) {
  value.requires_grad_(true);
  parameters_.emplace_back(name, std::move(value));
  return parameters_.back().second;
}

// A tensor registered twice (a recurrent layer's weight_ih_l0 is also its cell's weight_ih) is
// listed once, under the name met first, as torch.nn.Module.named_parameters() does.
std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Tensor>> out;
  std::set<const glimpse::detail::Node*> seen;
  const auto add = [&](std::string name, const Tensor& p) {
    if (seen.insert(p.node()).second) out.emplace_back(std::move(name), p);
  };
  for (const auto& [name, p] : parameters_) add(name, p);
  for (const auto& [child_name, child] : children_)
    for (auto& [name, p] : child->named_parameters()) add(child_name + "." + name, p);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, p] : named_parameters()) out.push_back(p);
  return out;
}

std::vector<std::pair<std::string, const Module*>> Module::named_modules() const {
  std::vector<std::pair<std::string, const Module*>> out{{"", this}};
  for (const auto& [child_name, child] : children_)
    for (auto& [name, m] : child->named_modules()) out.emplace_back(name.empty() ? child_name : child_name + "." + name, m);
  return out;
}

std::string Module::path_of(const Module* m) const {
  for (auto& [name, mod] : named_modules())
    if (mod == m) return name;
  return "";
}

std::string Module::name_of(const Tensor& parameter) const {
  for (auto& [name, p] : named_parameters())
    if (p.node() == parameter.node()) return name;
  return "";
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::zero_grad() {
  for (auto& [name, p] : parameters_) p.zero_grad();
  for (auto& [name, child] : children_) child->zero_grad();
}

}  // namespace glimpse::nn
