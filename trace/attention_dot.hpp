// Attention as pictures, in Graphviz DOT. Introduced in lesson 06; lesson 07 reads them.
//  - alignment: source tokens in one row, target tokens in the row below, an edge per pair
//    whose pen width and colour grow with the weight (the classic "it" → "animal" picture);
//  - heatmap: the target × source grid, each cell shaded by its weight and printed.
#pragma once

#include <string>

#include "trace/attention_map.hpp"

namespace glimpse::trace {

std::string alignment_to_dot(const AttentionMap& map);
std::string heatmap_to_dot(const AttentionMap& map);

// "decoder.attention (BahdanauAttention), head 2, sequence 3": how pictures and the index
// name a map.
std::string describe(const AttentionMap& map);

}  // namespace glimpse::trace
