// The viewer: one self-contained index.html per output folder, opened from the file system in any
// browser with no network (its script, style and data are all inside the page). It shows every
// picture the lesson wrote (a numbered series, such as lesson 07's heatmaps while training, as a
// slider), and, when the lesson traced a model, the recording itself: attention in the head-view
// style, a module/head selector, the heatmap, a step slider with that step's values and top
// predictions, the computation graph with a node's value and gradient on click, and the backward
// pass stepped node by node. Written by OutputFolder::write_index; introduced in lesson 06.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trace/recording.hpp"

namespace glimpse::trace {

// One file of the folder, as the page lists it; `svg` holds a picture's text to show inline.
struct ViewerFile {
  std::string name;
  std::string description;
  std::string svg;  // "" for a file that is not a picture, or one too big to inline
  bool too_big = false;
};

// What the page keeps. A recording bigger than this is cut, and the page says where.
struct ViewerLimits {
  int64_t max_svg_bytes = 4 << 20;         // a bigger picture is listed, not inlined
  int64_t max_total_svg_bytes = 24 << 20;  // pictures after this many bytes are listed only
  int64_t max_steps = 4000;                // recorded steps per sequence
  int64_t max_values = 256;                // numbers kept of each recorded value
  int64_t max_graph_nodes = 3000;
};

// The page's text. `graph_svg` is the computation graph drawn by Graphviz (graph.svg), made
// clickable in the page; "" when there is none. `live` (a JSON object: title, hint, example,
// max_beam) adds live mode's form, which posts to /api/run (trace/live_server.hpp); "" for a
// page opened from the file system.
std::string viewer_html(const std::string& title, const std::vector<ViewerFile>& files,
                        const Recording* recording, const std::string& graph_svg,
                        const ViewerLimits& limits = {}, const std::string& live = "");

}  // namespace glimpse::trace
