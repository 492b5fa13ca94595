// Lesson 01 onwards: one call turns a recording into files a learner opens.
#include "trace/write_trace.hpp"

#include <fmt/format.h>

#include "trace/attention_dot.hpp"
#include "trace/attention_map.hpp"
#include "trace/backward_log.hpp"
#include "trace/hidden_dot.hpp"
#include "trace/output_folder.hpp"
#include "trace/render.hpp"
#include "trace/tsv.hpp"

namespace glimpse::trace {

void write_picture(OutputFolder& out, const std::string& stem, const std::string& dot, const std::string& what,
                   bool svg, Loc loc) {
  out.write(stem + ".dot", dot, what + " (Graphviz DOT)", loc);
  if (svg && graphviz_available()) out.write(stem + ".svg", render_svg(dot, loc), what + " (picture)", loc);
}

std::vector<std::pair<std::string, std::string>> write_trace(const Recording& recording,
                                                             const std::filesystem::path& folder,
                                                             const WriteOptions& options, Loc loc) {
  OutputFolder out(folder, loc);
  write_trace_into(recording, out, options, loc);
  out.write_index(options.title, loc);
  return out.files();
}

void write_trace_into(const Recording& recording, OutputFolder& out, const WriteOptions& options, Loc loc) {
  out.attach_recording(recording);
  const bool svg = options.svg && graphviz_available();
  if (options.svg && !svg)
    out.note("SVG skipped: Glimpse was built without Graphviz (apt-get install libgraphviz-dev, then rebuild); "
             "the .dot files can be drawn with `dot -Tsvg file.dot -o file.svg`.");

  if (!recording.sequences.empty()) {
    out.write("sequences.txt", format_sequences(recording, options.text),
              "one table per sequence: step, input token, hidden state, attention, predictions", loc);
    out.write("steps.tsv", format_tsv(recording), "every recorded value, one row each (for plotting)", loc);
  }

  const Graph& graph = recording.graph;
  if (!graph.nodes.empty()) {
    const bool graph_svg = svg && static_cast<int64_t>(graph.nodes.size()) <= options.max_svg_graph_nodes;
    if (svg && !graph_svg)
      out.note(fmt::format("graph.svg skipped: the graph has {} tensors (more than max_svg_graph_nodes = {})",
                           graph.nodes.size(), options.max_svg_graph_nodes));
    write_picture(out, "graph", graph_to_dot(graph, options.graph),
                  fmt::format("computation graph of one forward pass, {} tensors", graph.nodes.size()), graph_svg,
                  loc);
  }
  if (!graph.backward.empty())
    out.write("backward.txt", format_backward(graph, options.text.max_values + 2),
              fmt::format("the backward pass step by step, {} steps", graph.backward.size()), loc);

  int64_t attention_number = 0, state_number = 0;
  for (const Sequence& sequence : recording.sequences) {
    for (const AttentionMap& map : attention_maps(sequence)) {
      const std::string number = fmt::format("{:03}", attention_number++);
      const std::string what = fmt::format("{} × {} attention of {}", map.row_count(), map.column_count(), describe(map));
      write_picture(out, "attention_" + number, heatmap_to_dot(map), "heatmap: " + what, svg, loc);
      write_picture(out, "alignment_" + number, alignment_to_dot(map), "alignment: " + what, svg, loc);
    }
    for (const char* name : {"h", "c"}) {
      for (const StateHistory& history : state_histories(sequence, name)) {
        const std::string stem = fmt::format("{}_{:03}", name[0] == 'h' ? "hidden" : "cell", state_number++);
        const std::string what = fmt::format("{} over time of {} ({}), sequence {}: {} steps × {} units", name,
                                             history.module.empty() ? "(model)" : history.module, history.kind,
                                             history.sequence, history.values.size(), history.units());
        write_picture(out, stem, state_to_dot(history, options.max_units), what, svg, loc);
      }
    }
  }
  if (recording.sequences_seen > static_cast<int64_t>(recording.sequences.size()))
    out.note(fmt::format("{} of {} sequences were kept (TraceOptions::every_sequence / max_sequences).",
                         recording.sequences.size(), recording.sequences_seen));
  if (graph.truncated) out.note("The computation graph was cut short at TraceOptions::max_graph_nodes.");
}

}  // namespace glimpse::trace
