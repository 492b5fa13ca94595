// Lesson 04: the long table format — one row per value — that plotting tools read directly.
#include "trace/tsv.hpp"

#include <fmt/format.h>

namespace glimpse::trace {

namespace {
// Tabs and newlines inside a token would break the columns.
std::string cell(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return out;
}
}  // namespace

std::string format_tsv(const Recording& recording) {
  std::string out = "sequence\tmodule\tkind\tstep\ttoken\tname\tindex\tvalue\n";
  for (const Sequence& s : recording.sequences)
    for (const StepEntry& e : s.steps)
      for (const auto& [name, v] : e.values)
        for (size_t i = 0; i < v.data.size(); ++i)
          out += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{:.6g}\n", s.index, cell(e.module), cell(e.kind), e.step,
                             cell(e.token), cell(name), i, v.data[i]);
  return out;
}

}  // namespace glimpse::trace
