// write_trace: every view of a recording, written into one folder with stable names —
// sequences.txt, steps.tsv, graph.dot, backward.txt, attention_000.dot, alignment_000.dot,
// hidden_000.dot (each .dot also as .svg when Graphviz is available) — and an index.txt saying
// what each file shows. Introduced in lesson 01; every later lesson ends by calling it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "autograd/error.hpp"
#include "trace/graph_dot.hpp"
#include "trace/output_folder.hpp"
#include "trace/recording.hpp"
#include "trace/text_table.hpp"

namespace glimpse::trace {

struct WriteOptions {
  std::string title = "Glimpse trace";  // first line of index.txt
  TextOptions text;
  GraphDotOptions graph;
  int64_t max_units = 32;               // units per row in the hidden-state grids
  bool svg = true;                      // also render every .dot to .svg (needs Graphviz)
  int64_t max_svg_graph_nodes = 600;    // bigger computation graphs get a .dot only (slow layout)
};

class OutputFolder;

// Writes `stem`.dot and, when `svg` is set and Graphviz is available, `stem`.svg, both listed in
// the folder's index as showing `what`. For lessons drawing pictures of their own.
void write_picture(OutputFolder& out, const std::string& stem, const std::string& dot, const std::string& what,
                   bool svg = true, Loc loc = Loc::current());

// Writes the files and returns (file name, what it shows) for each, as listed in index.txt.
// Throws glimpse::Error naming the folder or file that could not be created or written.
std::vector<std::pair<std::string, std::string>> write_trace(const Recording& recording,
                                                             const std::filesystem::path& folder,
                                                             const WriteOptions& options = {},
                                                             Loc loc = Loc::current());

// The same files, written into a folder the caller also writes its own files to (a lesson's
// accuracy table, loss curve, ...); the caller ends with out.write_index(title).
void write_trace_into(const Recording& recording, OutputFolder& out, const WriteOptions& options = {},
                      Loc loc = Loc::current());

}  // namespace glimpse::trace
