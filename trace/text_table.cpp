// Lessons 04 and 06: a sequence, step by step, as a table a learner reads top to bottom.
#include "trace/text_table.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "trace/draw.hpp"

namespace glimpse::trace {

namespace {

// Display width of UTF-8 text: one column per code point (enough for tokens and bars).
int64_t width_of(std::string_view s) {
  return std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

std::string pad(std::string_view s, int64_t width) {
  std::string out(s);
  out.append(static_cast<size_t>(std::max<int64_t>(0, width - width_of(s))), ' ');
  return out;
}

std::string join(const std::vector<std::string>& tokens) {
  std::string out;
  for (const std::string& t : tokens) out += (out.empty() ? "" : " ") + t;
  return out;
}

struct Row {
  std::string step, token, module, what;
};

// Values already shown in the current step group, so a module passing on its child's state
// (a decoder re-emitting its cell's h) gets a one-line reference instead of a repeat.
struct Shown {
  std::string name;
  const Values* values;
  std::string module;
};

// "same as decoder.cell" when an equal value was shown earlier in the group, else "".
std::string shown_before(const std::string& name, const Values& v, std::vector<Shown>& shown, const StepEntry& e) {
  for (const Shown& x : shown)
    if (x.name == name && x.values->shape == v.shape && x.values->data == v.data)
      return fmt::format("same as {}", x.module.empty() ? "(model)" : x.module);
  shown.push_back({name, &v, e.module});
  return "";
}

// The lines one step of one module contributes to the table.
std::vector<std::string> describe(const StepEntry& e, const Sequence& s, const TextOptions& o,
                                  std::vector<Shown>& shown) {
  std::vector<std::string> lines;
  for (const char* name : {"h", "c"}) {
    const Values* v = e.find(name);
    if (!v || v->empty()) continue;
    if (std::string same = shown_before(name, *v, shown, e); !same.empty()) {
      lines.push_back(fmt::format("{:<9} {}", name, same));
      continue;
    }
    lines.push_back(fmt::format("{:<9} ‖{}‖ {:.3f}  {}", name, name, detail::norm(v->data),
                                detail::first_values(v->data, o.max_values, v->numel())));
  }
  if (const Values* w = e.find("weights"); w && !w->empty() && !shown_before("weights", *w, shown, e).empty()) {
    lines.push_back(fmt::format("{:<9} {}", "attention", shown_before("weights", *w, shown, e)));
  } else if (w && !w->empty()) {
    const int64_t columns = w->shape.size() > 0 ? w->shape[w->shape.size() - 1] : 1;
    const bool one_row = w->numel() == columns;
    if (one_row) {
      int64_t token_width = 0;
      std::vector<std::string> labels;
      for (int64_t j = 0; j < columns; ++j) {
        labels.push_back(j < static_cast<int64_t>(s.source.size()) ? s.source[j] : fmt::format("{}", j));
        token_width = std::max(token_width, width_of(labels.back()));
      }
      for (int64_t j = 0; j < columns && j < static_cast<int64_t>(w->data.size()); ++j)
        lines.push_back(fmt::format("{:<9} {} {:.3f} {}", j == 0 ? "attention" : "", pad(labels[j], token_width),
                                    w->data[j], detail::unicode_bar(w->data[j], o.bar_width)));
    } else {  // a whole matrix (self-attention, several heads): its rows as numbers
      const int64_t rows = static_cast<int64_t>(w->data.size()) / std::max<int64_t>(columns, 1);
      for (int64_t r = 0; r < rows; ++r) {
        std::string numbers;
        for (int64_t j = 0; j < columns && j < o.max_values * 4; ++j)
          numbers += fmt::format("{}{:.3f}", j ? " " : "", w->data[r * columns + j]);
        lines.push_back(fmt::format("{:<9} row {:>2}  {}", r == 0 ? "attention" : "", r, numbers));
      }
    }
  }
  if (!e.predictions.empty()) {
    std::string best;
    for (const Prediction& p : e.predictions) best += fmt::format("{}{} {:.3f}", best.empty() ? "" : "  ", p.token, p.probability);
    lines.push_back(fmt::format("{:<9} {}", "predicted", best));
  }
  if (lines.empty()) {  // nothing we know how to show: at least name what was recorded
    std::vector<std::string> names;
    for (const auto& [name, v] : e.values) names.push_back(name);
    lines.push_back(fmt::format("{:<9} {}", "values", join(names)));
  }
  return lines;
}

}  // namespace

std::string format_sequence(const Sequence& s, const TextOptions& o) {
  std::vector<Row> rows;
  int64_t previous_step = -2;
  bool previous_side = false;
  std::vector<Shown> shown;
  for (const StepEntry& e : s.steps) {
    // Step and token head each group of modules working on the same step.
    const bool new_group = e.step != previous_step || e.target_side != previous_side;
    previous_step = e.step;
    previous_side = e.target_side;
    if (new_group) shown.clear();
    const std::vector<std::string> lines = describe(e, s, o, shown);
    for (size_t i = 0; i < lines.size(); ++i) {
      const bool first = i == 0;
      rows.push_back({first && new_group ? (e.step >= 0 ? fmt::format("{}", e.step) : "-") : "",
                      first && new_group ? e.token : "", first ? (e.module.empty() ? "(model)" : e.module) : "",
                      lines[i]});
    }
  }
  int64_t token_width = width_of("token"), module_width = width_of("module");
  for (const Row& r : rows) {
    token_width = std::max(token_width, width_of(r.token));
    module_width = std::max(module_width, width_of(r.module));
  }
  std::string out = fmt::format("sequence {}\n", s.index);
  if (!s.source.empty()) out += fmt::format("source: {}\n", join(s.source));
  if (!s.target.empty()) out += fmt::format("target: {}\n", join(s.target));
  out += fmt::format("{:>4}  {}  {}  {}\n", "step", pad("token", token_width), pad("module", module_width), "value");
  for (const Row& r : rows) {
    std::string line = fmt::format("{:>4}  {}  {}  {}", r.step, pad(r.token, token_width), pad(r.module, module_width), r.what);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  }
  if (s.dropped_steps > 0)
    out += fmt::format("({} more steps not kept: see TraceOptions::max_steps_per_sequence)\n", s.dropped_steps);
  return out;
}

std::string format_sequences(const Recording& recording, const TextOptions& o) {
  std::string out;
  for (const Sequence& s : recording.sequences) {
    if (!out.empty()) out += '\n';
    out += format_sequence(s, o);
  }
  if (recording.sequences_seen > static_cast<int64_t>(recording.sequences.size()))
    out += fmt::format("\n(showing {} of {} sequences seen)\n", recording.sequences.size(), recording.sequences_seen);
  return out;
}

}  // namespace glimpse::trace
