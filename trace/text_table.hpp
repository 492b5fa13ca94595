// Text tables: one per sequence, a row per step — the input token, ‖h‖ and the first values of
// the hidden state, the attention weights with a Unicode bar per source token, and the
// predicted tokens. Introduced in lesson 04 (hidden states); attention rows in lesson 06.
#pragma once

#include <cstdint>
#include <string>

#include "trace/recording.hpp"

namespace glimpse::trace {

struct TextOptions {
  int64_t max_values = 4;  // values of each state shown per step
  int64_t bar_width = 20;  // characters of the bar for a weight of 1
};

// One table for one sequence.
std::string format_sequence(const Sequence& sequence, const TextOptions& options = {});
// Every recorded sequence's table, separated by blank lines.
std::string format_sequences(const Recording& recording, const TextOptions& options = {});

}  // namespace glimpse::trace
