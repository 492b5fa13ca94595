// The backward pass, step by step: which node's backward ran, the gradient that came in from
// above, and the gradient it handed to each of its inputs — lesson 01's "watch backprop happen".
#pragma once

#include <cstdint>
#include <string>

#include "trace/recording.hpp"

namespace glimpse::trace {

// One numbered block per backward step; `max_values` values of each gradient are shown.
std::string format_backward(const Graph& graph, int64_t max_values = 6);

// "n7 (decoder.W.weight)", "n12 = tanh": how logs and pictures name a graph node.
std::string node_label(const GraphNode& node);

}  // namespace glimpse::trace
