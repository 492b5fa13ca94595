// Hidden state over time: a step × unit grid, each cell shaded by its value (blue negative,
// red positive), as Graphviz DOT. Watching which units switch on at which token is lesson 04's
// way into what a recurrent network remembers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trace/recording.hpp"

namespace glimpse::trace {

struct StateHistory {
  int64_t sequence = 0;
  std::string module;  // dotted path of the recurrent module
  std::string kind;
  std::string name;    // "h", or "c" for an LSTM's cell state
  std::vector<int64_t> steps;
  std::vector<std::string> tokens;
  std::vector<std::vector<float>> values;  // one row per step; every row the same length
  int64_t units() const { return values.empty() ? 0 : static_cast<int64_t>(values.front().size()); }
};

// The `name` state of every module that recorded one in `sequence`, in the order they ran.
std::vector<StateHistory> state_histories(const Sequence& sequence, std::string_view name = "h");

// The grid for one history; units past `max_units` are left out (and the title says so).
std::string state_to_dot(const StateHistory& history, int64_t max_units = 32);

}  // namespace glimpse::trace
