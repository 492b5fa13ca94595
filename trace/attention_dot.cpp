// Lessons 06 and 07: the two classic attention pictures.
#include "trace/attention_dot.hpp"

#include <fmt/format.h>

#include <cmath>

#include "trace/draw.hpp"

namespace glimpse::trace {

std::string describe(const AttentionMap& m) {
  std::string out = fmt::format("{} ({})", m.module.empty() ? "(model)" : m.module, m.kind);
  if (m.head >= 0) out += fmt::format(", head {}", m.head);
  return out + fmt::format(", sequence {}", m.sequence);
}

std::string alignment_to_dot(const AttentionMap& m) {
  std::string out = "digraph alignment {\n";
  out += fmt::format("  graph [rankdir=TB, nodesep=0.25, ranksep=1.4, fontname=\"Helvetica\", labelloc=t, label={}];\n",
                     detail::dot_quote("attention alignment: " + describe(m) +
                                       detail::diverged_note(detail::count_non_finite(m.weights))));
  out += "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f4f4f4\", color=\"#bbbbbb\", fontname=\"Helvetica\"];\n";
  // The two rows, kept in sentence order by invisible edges.
  out += "  { rank=same;";
  for (int64_t j = 0; j < m.column_count(); ++j) out += fmt::format(" s{} [label={}];", j, detail::dot_quote(m.columns[j]));
  out += " }\n  { rank=same;";
  for (int64_t i = 0; i < m.row_count(); ++i) out += fmt::format(" t{} [label={}];", i, detail::dot_quote(m.rows[i]));
  out += " }\n";
  for (int64_t j = 0; j + 1 < m.column_count(); ++j) out += fmt::format("  s{} -> s{} [style=invis];\n", j, j + 1);
  for (int64_t i = 0; i + 1 < m.row_count(); ++i) out += fmt::format("  t{} -> t{} [style=invis];\n", i, i + 1);
  // One edge per (source, target) pair; light edges first so heavy ones are drawn on top.
  out += "  edge [dir=none, constraint=true];\n";
  for (int64_t i = 0; i < m.row_count(); ++i)
    for (int64_t j = 0; j < m.column_count(); ++j) {
      const float w = m.weights[i][j];
      if (!std::isfinite(w)) {  // no width to draw (and `penwidth=-nan` is no DOT): a red dashed edge
        out += fmt::format("  s{} -> t{} [penwidth=1, color=\"#d62728\", style=dashed, weight=0, tooltip=\"{}\"];\n",
                           j, i, w);
        continue;
      }
      out += fmt::format("  s{} -> t{} [penwidth={:.2f}, color=\"{}\", weight=0, tooltip=\"{:.3f}\"];\n", j, i,
                         0.2 + 6.0 * w, detail::weight_colour(0.1f + 0.9f * w), w);
    }
  out += "}\n";
  return out;
}

std::string self_attention_to_dot(const AttentionMap& m, int64_t query) {
  const std::vector<float>& w = m.weights.at(0);
  std::string out = "digraph self_attention {\n";
  out += fmt::format(
      "  graph [rankdir=TB, nodesep=0.25, ranksep=1.6, fontname=\"Helvetica\", labelloc=t, label={}];\n",
      detail::dot_quote("where \"" + m.rows.at(0) + "\" looks: " + describe(m) +
                        detail::diverged_note(detail::count_non_finite(m.weights))));
  out += "  node [shape=plaintext, fontname=\"Helvetica\"];\n";
  // The sentence twice, each row kept in order by invisible edges; the looking word in bold.
  out += "  { rank=same;";
  for (int64_t j = 0; j < m.column_count(); ++j)
    out += fmt::format(
        " q{} [label={}{}];", j, detail::dot_quote(m.columns[j]),
        j == query ? ", fontname=\"Helvetica-Bold\", fontcolor=\"#08306b\"" : ", fontcolor=\"#888888\"");
  out += " }\n  { rank=same;";
  for (int64_t j = 0; j < m.column_count(); ++j)
    out += fmt::format(" k{} [label={}];", j, detail::dot_quote(m.columns[j]));
  out += " }\n";
  for (int64_t j = 0; j + 1 < m.column_count(); ++j) {
    out += fmt::format("  q{} -> q{} [style=invis];\n", j, j + 1);
    out += fmt::format("  k{} -> k{} [style=invis];\n", j, j + 1);
  }
  for (int64_t j = 0; j < m.column_count(); ++j) out += fmt::format("  q{} -> k{} [style=invis];\n", j, j);
  // One line from the looking word to every word, in sentence order.
  out += "  edge [dir=none, constraint=false];\n";
  for (int64_t j = 0; j < m.column_count(); ++j) {
    if (!std::isfinite(w[j])) {
      out += fmt::format("  q{} -> k{} [penwidth=1, color=\"#d62728\", style=dashed, tooltip=\"{}\"];\n",
                         query, j, w[j]);
      continue;
    }
    out += fmt::format("  q{} -> k{} [penwidth={:.2f}, color=\"{}\", tooltip=\"{:.3f}\"];\n", query, j,
                       0.2 + 8.0 * w[j], detail::weight_colour(0.1f + 0.9f * w[j]), w[j]);
  }
  out += "}\n";
  return out;
}

std::string heatmap_to_dot(const AttentionMap& m) {
  std::string table = "<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"5\" COLOR=\"#dddddd\">\n";
  table += fmt::format("    <TR><TD BORDER=\"0\"><I>{}</I></TD>", detail::html_escape(m.axes));
  for (const std::string& c : m.columns) table += fmt::format("<TD BORDER=\"0\"><B>{}</B></TD>", detail::html_escape(c));
  table += "</TR>\n";
  for (int64_t i = 0; i < m.row_count(); ++i) {
    table += fmt::format("    <TR><TD BORDER=\"0\" ALIGN=\"RIGHT\"><B>{}</B></TD>", detail::html_escape(m.rows[i]));
    for (int64_t j = 0; j < m.column_count(); ++j) {
      const float w = m.weights[i][j];
      table += fmt::format("<TD BGCOLOR=\"{}\"><FONT COLOR=\"{}\">{:.2f}</FONT></TD>", detail::weight_colour(w),
                           detail::ink_for(w), w);
    }
    table += "</TR>\n";
  }
  table += "  </TABLE>";
  std::string out = "digraph heatmap {\n";
  out += fmt::format("  graph [fontname=\"Helvetica\", labelloc=t, label={}];\n",
                     detail::dot_quote("attention weights: " + describe(m) +
                                       detail::diverged_note(detail::count_non_finite(m.weights))));
  out += "  node [shape=plaintext, fontname=\"Helvetica\", fontsize=11];\n";
  out += fmt::format("  heatmap [label=<\n  {}>];\n}}\n", table);
  return out;
}

}  // namespace glimpse::trace
