// Lesson 03: reading and writing a module's parameters by name. Validation comes first and the
// copy second, so a mismatched state can never leave a model half loaded.
#include "nn/state.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string_view>
#include <vector>

#include "autograd/tape.hpp"

namespace glimpse::nn {

using glimpse::detail::check;

std::map<std::string, Tensor> state_dict(const Module& module) {
  std::map<std::string, Tensor> out;
  NoGradGuard no_grad;
  for (const auto& [name, p] : module.named_parameters()) out.emplace(name, p.detach().clone());
  return out;
}

void load_state(Module& module, const std::map<std::string, Tensor>& state, bool strict, Loc caller) {
  const CallerScope scope(caller);
  detail::load_state(module, state, strict, "load_state", "the state");
}

namespace {

// Levenshtein distance: the fewest single-character insertions, deletions and substitutions
// that turn `a` into `b` (one row of the table at a time).
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];  // row[j - 1] of the previous row
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitute});
    }
  }
  return row[b.size()];
}

// The candidate nearest to `name`, or "" when none is near: at most half the characters of the
// longer name differ. A renamed or moved parameter (`gru.cell.weight_ih` → `gru.weight_ih_l0`,
// `weight` → `cell.weight`) is found; an unrelated name is not offered.
std::string nearest(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const std::string& c : candidates) {
    const size_t longer = std::max(c.size(), name.size()), gap = longer - std::min(c.size(), name.size());
    if (gap > longer / 2 || gap >= best_distance) continue;  // cannot be near, or nearer (and stays cheap)
    const size_t d = edit_distance(name, c);
    if (d <= longer / 2 && d < best_distance) best_distance = d, best = c;
  }
  return best;
}

// "  missing 'a' (did you mean 'b'?)" lines, at most 10 of them.
std::string list_names(const char* what, const std::vector<std::string>& names,
                       const std::vector<std::string>& candidates) {
  constexpr size_t kShown = 10;
  std::string out;
  for (size_t i = 0; i < std::min(names.size(), kShown); ++i) {
    out += fmt::format("\n  {} '{}'", what, names[i]);
    if (const std::string near = nearest(names[i], candidates); !near.empty())
      out += fmt::format(" (did you mean '{}'?)", near);
  }
  if (names.size() > kShown) out += fmt::format("\n  … and {} more {}", names.size() - kShown, what);
  return out;
}

}  // namespace

void detail::load_state(Module& module, const std::map<std::string, Tensor>& state, bool strict,
                        const char* op, const std::string& source) {
  const auto params = module.named_parameters();
  // 1. Check everything: first the names, all of them at once, then the shapes.
  std::set<std::string> names;
  std::vector<std::string> missing, unexpected;
  for (const auto& [name, p] : params) {
    names.insert(name);
    if (!state.contains(name)) missing.push_back(name);
  }
  for (const auto& [name, value] : state)
    if (!names.contains(name)) unexpected.push_back(name);
  if (!missing.empty() || (strict && !unexpected.empty())) {
    std::string message =
        fmt::format("{} does not match the model ({} parameters missing", source, missing.size());
    message += strict ? fmt::format(", {} names unexpected):", unexpected.size()) : std::string("):");
    // A missing name is most likely one of the unexpected ones, renamed.
    message += list_names("missing", missing, unexpected);
    if (strict) message += list_names("unexpected", unexpected, {});
    throw Error(op, message);
  }
  for (const auto& [name, p] : params) {
    const Tensor& value = state.at(name);
    check(value.defined() && value.shape() == p.shape(), op, [&, &name = name, &p = p] {
      return fmt::format("parameter '{}' has shape {} in the model but {} in {}", name, to_string(p.shape()),
                         value.defined() ? to_string(value.shape()) : std::string("undefined"), source);
    });
  }
  // 2. Copy, in place: the parameter tensors keep their identity (and their .grad).
  NoGradGuard no_grad;
  for (auto& [name, p] : params) {
    Tensor dst = p;
    glimpse::detail::copy_into(dst, state.at(name));
  }
}

}  // namespace glimpse::nn
