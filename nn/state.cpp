// Lesson 03: reading and writing a module's parameters by name. Validation comes first and the
// copy second, so a mismatched state can never leave a model half loaded.
#include "nn/state.hpp"

#include <fmt/format.h>

#include <set>

#include "autograd/tape.hpp"

namespace glimpse::nn {

using glimpse::detail::check;

std::map<std::string, Tensor> state_dict(const Module& module) {
  std::map<std::string, Tensor> out;
  NoGradGuard no_grad;
  for (const auto& [name, p] : module.named_parameters()) out.emplace(name, p.detach().clone());
  return out;
}

void load_state(Module& module, const std::map<std::string, Tensor>& state, bool strict, Loc loc) {
  detail::load_state(module, state, strict, "load_state", "the state", loc);
}

void detail::load_state(Module& module, const std::map<std::string, Tensor>& state, bool strict,
                        const char* op, const std::string& source, Loc loc) {
  const auto params = module.named_parameters();
  // 1. Check everything.
  for (const auto& [name, p] : params) {
    const auto it = state.find(name);
    check(it != state.end(), op, loc, [&] { return fmt::format("{} has no parameter '{}'", source, name); });
    check(it->second.defined() && it->second.shape() == p.shape(), op, loc, [&] {
      return fmt::format("parameter '{}' has shape {} in the model but {} in {}", name, to_string(p.shape()),
                         it->second.defined() ? to_string(it->second.shape()) : std::string("undefined"),
                         source);
    });
  }
  if (strict) {
    std::set<std::string> names;
    for (const auto& [name, p] : params) names.insert(name);
    for (const auto& [name, value] : state)
      check(names.contains(name), op, loc,
            [&] { return fmt::format("{} holds '{}', which the model does not have", source, name); });
  }
  // 2. Copy, in place: the parameter tensors keep their identity (and their .grad).
  NoGradGuard no_grad;
  for (auto& [name, p] : params) {
    Tensor dst = p;
    glimpse::detail::copy_into(dst, state.at(name));
  }
}

}  // namespace glimpse::nn
