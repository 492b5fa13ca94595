// TSV: every recorded value as one row (sequence, module, kind, step, token, name, index,
// value), for learners who want to plot a trace with another tool (pandas, a spreadsheet).
// Introduced in lesson 04 (hidden states over time).
#pragma once

#include <string>

#include "trace/recording.hpp"

namespace glimpse::trace {

// A header line, then one line per recorded value; `index` is the flat (row-major) position.
std::string format_tsv(const Recording& recording);

}  // namespace glimpse::trace
