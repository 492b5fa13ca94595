// Rendering DOT to SVG in-process with Graphviz's C library (libgvc/libcgraph), and checking
// that a DOT text parses. Introduced in lesson 01, where the first graph is drawn.
// Graphviz is optional: without it the tracer still writes the .dot files (which any Graphviz
// install, or an online viewer, can draw) and says that SVG was skipped.
#pragma once

#include <string>

#include "autograd/error.hpp"

namespace glimpse::trace {

// True when Glimpse was built with Graphviz (libgraphviz-dev).
bool graphviz_available();

// Lays `dot` out with the "dot" engine and returns the SVG text. Throws glimpse::Error with
// Graphviz's own message when it cannot parse or lay out the text, or without Graphviz.
std::string render_svg(const std::string& dot, Loc loc = Loc::current());

// "" when Graphviz parses `dot` (agmemread), else Graphviz's error message. Without Graphviz
// it returns a message saying so.
std::string dot_parse_error(const std::string& dot);

}  // namespace glimpse::trace
