// Attention maps: the weights a module recorded over a sequence, gathered into one
// target × source grid per module (and per head) — the matrix behind every heatmap and
// alignment picture. Introduced in lesson 06 (attention), read closely in lesson 07.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "autograd/error.hpp"
#include "autograd/tensor.hpp"
#include "trace/recording.hpp"

namespace glimpse::trace {

struct AttentionMap {
  int64_t sequence = 0;  // Sequence::index
  std::string module;    // dotted path of the attention module
  std::string kind;
  int64_t head = -1;     // -1 for single-head attention (or the average over heads)
  std::vector<std::string> rows;     // one label per query (target) position
  std::vector<std::string> columns;  // one label per key (source) position
  std::vector<std::vector<float>> weights;  // rows × columns; each row sums to 1
  std::string axes = "target ↓  source →";  // the heatmap's corner caption: what rows and columns are

  int64_t row_count() const { return static_cast<int64_t>(rows.size()); }
  int64_t column_count() const { return static_cast<int64_t>(columns.size()); }
};

// Every attention map in `sequence`, in the order the modules first ran. A module's steps
// are stacked as rows: a per-step "weights" of shape [S] (or [1, S]) gives one row per step;
// a whole-sequence [T, S] gives T rows; [H, T, S] gives one map per head, and so does a
// "head_weights" value (multi-head attention's per-head weights beside their average). Weights
// recorded only in part (TraceOptions::max_values) are left out, and so is a map identical to
// an earlier one (a decoder passing on its attention module's weights).
std::vector<AttentionMap> attention_maps(const Sequence& sequence);

// The weights of one sequence, [T, S] (or [1, T, S]: a batch of one), as a map with these labels:
// what a lesson draws from a model's output without a Tracer. Throws glimpse::Error when the
// labels do not match the shape (T rows, S columns).
AttentionMap attention_map(const Tensor& weights, std::vector<std::string> rows,
                           std::vector<std::string> columns, std::string module, Loc loc = Loc::current());

}  // namespace glimpse::trace
