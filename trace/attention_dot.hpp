// Attention as pictures, in Graphviz DOT. Introduced in lesson 06; lesson 07 reads them.
//  - alignment: source tokens in one row, target tokens in the row below, an edge per pair
//    whose pen width and colour grow with the weight (the classic "it" → "animal" picture);
//  - heatmap: the target × source grid, each cell shaded by its weight and printed;
//  - self-attention of one word (lesson 12): the sentence twice, one row above the other, and a
//    line from the word in the top row to every word in the bottom row, as wide as its weight.
#pragma once

#include <string>

#include "trace/attention_map.hpp"

namespace glimpse::trace {

std::string alignment_to_dot(const AttentionMap& map);
std::string heatmap_to_dot(const AttentionMap& map);
// map.columns are the sentence's words, map.weights[0] the weights of the word at `query` over
// them (map.rows[0] names it): the picture of where "it" looks in one head.
std::string self_attention_to_dot(const AttentionMap& map, int64_t query);

// "decoder.attention (BahdanauAttention), head 2, sequence 3": how pictures and the index
// name a map.
std::string describe(const AttentionMap& map);

}  // namespace glimpse::trace
