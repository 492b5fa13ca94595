// The computation graph as Graphviz DOT: an ellipse per op, a box per tensor (its shape, and
// optionally its first values and gradient), parameters labelled with their dotted names, and
// one cluster per time step so an unrolled RNN reads left to right. Node ids are stable
// ("n12" is the 13th tensor recorded), never pointers, so two runs can be diffed.
// Introduced in lesson 01 (the tape drawn); lesson 04 shows an unrolled RNN.
#pragma once

#include <cstdint>
#include <string>

#include "trace/recording.hpp"

namespace glimpse::trace {

struct GraphDotOptions {
  bool values = true;      // show recorded values (TraceOptions::graph_values)
  bool grads = true;       // show gradients from the recorded backward pass
  int64_t max_values = 3;  // values shown per tensor
};

std::string graph_to_dot(const Graph& graph, const GraphDotOptions& options = {});

}  // namespace glimpse::trace
