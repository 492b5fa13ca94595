// Lesson 04: a hidden state, one row per step, shaded so patterns across time stand out.
#include "trace/hidden_dot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "trace/draw.hpp"

namespace glimpse::trace {

std::vector<StateHistory> state_histories(const Sequence& sequence, std::string_view name) {
  std::vector<StateHistory> out;
  std::map<std::string, size_t> index;
  for (const StepEntry& e : sequence.steps) {
    const Values* v = e.find(name);
    if (!v || v->empty()) continue;
    auto [it, is_new] = index.try_emplace(e.module, out.size());
    if (is_new) {
      StateHistory& h = out.emplace_back();
      h.sequence = sequence.index;
      h.module = e.module;
      h.kind = e.kind;
      h.name = std::string(name);
    }
    StateHistory& h = out[it->second];
    if (!h.values.empty() && h.values.front().size() != v->data.size()) continue;
    h.steps.push_back(e.step);
    h.tokens.push_back(e.token);
    h.values.push_back(v->data);
  }
  return out;
}

std::string state_to_dot(const StateHistory& h, int64_t max_units) {
  const int64_t units = std::min(h.units(), std::max<int64_t>(max_units, 1));
  float scale = 0.0f;  // the largest |value| shown: the colour scale's end
  for (const auto& row : h.values)
    for (int64_t u = 0; u < units; ++u) scale = std::max(scale, std::abs(row[u]));
  std::string title = fmt::format("{} of {} ({}), sequence {}: step × unit, colour scale ±{:.3f}", h.name,
                                  h.module.empty() ? "(model)" : h.module, h.kind, h.sequence, scale);
  if (units < h.units()) title += fmt::format(" (first {} of {} units)", units, h.units());
  title += detail::diverged_note(detail::count_non_finite(h.values));

  std::string table = "<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"3\" COLOR=\"#dddddd\">\n";
  table += "    <TR><TD BORDER=\"0\"><I>step</I></TD><TD BORDER=\"0\"><I>token</I></TD>";
  for (int64_t u = 0; u < units; ++u) table += fmt::format("<TD BORDER=\"0\"><FONT POINT-SIZE=\"8\">{}</FONT></TD>", u);
  table += "</TR>\n";
  for (size_t i = 0; i < h.values.size(); ++i) {
    table += fmt::format("    <TR><TD BORDER=\"0\" ALIGN=\"RIGHT\">{}</TD><TD BORDER=\"0\" ALIGN=\"LEFT\"><B>{}</B></TD>",
                         h.steps[i], detail::html_escape(h.tokens[i]));
    for (int64_t u = 0; u < units; ++u) {
      const float v = h.values[i][u];
      const float strength = scale > 0.0f ? v / scale : 0.0f;
      table += fmt::format("<TD BGCOLOR=\"{}\"><FONT POINT-SIZE=\"8\" COLOR=\"{}\">{:.2f}</FONT></TD>",
                           detail::signed_colour(v, scale), detail::ink_for(strength), v);
    }
    table += "</TR>\n";
  }
  table += "  </TABLE>";
  std::string out = "digraph hidden_state {\n";
  out += fmt::format("  graph [fontname=\"Helvetica\", labelloc=t, label={}];\n", detail::dot_quote(title));
  out += "  node [shape=plaintext, fontname=\"Helvetica\", fontsize=10];\n";
  out += fmt::format("  states [label=<\n  {}>];\n}}\n", table);
  return out;
}

}  // namespace glimpse::trace
