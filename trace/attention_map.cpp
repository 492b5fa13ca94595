// Lesson 06: stacking each step's attention weights into the target × source matrix.
#include "trace/attention_map.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

namespace glimpse::trace {

namespace {

std::string label(const std::vector<std::string>& tokens, int64_t i) {
  return i < static_cast<int64_t>(tokens.size()) ? tokens[i] : fmt::format("{}", i);
}

}  // namespace

std::vector<AttentionMap> attention_maps(const Sequence& sequence) {
  std::vector<AttentionMap> maps;
  // (module, value name, head) → position in maps
  std::map<std::tuple<std::string, std::string, int64_t>, size_t> index;
  for (const StepEntry& entry : sequence.steps) {
    // "weights": one map (or one per leading dim); "head_weights" [H, T, S]: one per head.
    for (const char* name : {"weights", "head_weights"}) {
      const Values* w = entry.find(name);
      if (!w || w->truncated || w->shape.size() == 0) continue;
      const Shape& shape = w->shape;
      const int ndim = shape.size();
      const int64_t columns = shape[ndim - 1];
      const int64_t rows = ndim >= 2 ? shape[ndim - 2] : 1;
      const int64_t heads = columns * rows > 0 ? w->numel() / (columns * rows) : 0;
      const std::vector<std::string>& own = entry.target_side ? sequence.target : sequence.source;
      for (int64_t h = 0; h < heads; ++h) {
        const int64_t head = ndim >= 3 ? h : -1;
        auto [it, is_new] = index.try_emplace({entry.module, name, head}, maps.size());
        if (is_new) {
          AttentionMap& m = maps.emplace_back();
          m.sequence = sequence.index;
          m.module = entry.module;
          m.kind = entry.kind;
          m.head = head;
          for (int64_t j = 0; j < columns; ++j) m.columns.push_back(label(sequence.source, j));
        }
        AttentionMap& m = maps[it->second];
        if (m.column_count() != columns) continue;  // a step over a different source: not this map
        for (int64_t r = 0; r < rows; ++r) {
          // One query per step: the row is that step's token; a whole-sequence matrix: row r
          // is position r of the sequence the module reads.
          if (rows == 1 && entry.step >= 0)
            m.rows.push_back(!entry.token.empty() ? entry.token : fmt::format("{}", entry.step));
          else
            m.rows.push_back(label(own, rows == 1 ? m.row_count() : r));
          const float* start = w->data.data() + (h * rows + r) * columns;
          m.weights.emplace_back(start, start + columns);
        }
      }
    }
  }
  // A module that passes on its child's weights (a decoder re-emitting its attention's) would
  // draw the same picture twice: keep the first.
  std::vector<AttentionMap> distinct;
  for (AttentionMap& m : maps) {
    const bool repeated = std::any_of(distinct.begin(), distinct.end(), [&](const AttentionMap& d) {
      return d.head == m.head && d.rows == m.rows && d.columns == m.columns && d.weights == m.weights;
    });
    if (!repeated) distinct.push_back(std::move(m));
  }
  return distinct;
}

AttentionMap attention_map(const Tensor& weights, std::vector<std::string> rows,
                           std::vector<std::string> columns, std::string module, Loc loc) {
  const Shape& shape = weights.shape();
  const bool one_of_batch = shape.size() == 3 && shape[0] == 1;
  if (shape.size() != 2 && !one_of_batch)
    throw Error(
        "attention_map",
        fmt::format("weights of '{}' have shape {}; expected [T, S] or [1, T, S]", module, to_string(shape)),
        loc);
  const int64_t T = shape[shape.size() - 2], S = shape[shape.size() - 1];
  if (static_cast<int64_t>(rows.size()) != T || static_cast<int64_t>(columns.size()) != S)
    throw Error("attention_map",
                fmt::format("weights of '{}' have shape {} but {} row and {} column labels were given",
                            module, to_string(shape), rows.size(), columns.size()),
                loc);
  AttentionMap map;
  map.module = std::move(module);
  map.kind = "attention";
  map.rows = std::move(rows);
  map.columns = std::move(columns);
  const std::vector<float> values = weights.contiguous().to_vector();
  for (int64_t t = 0; t < T; ++t)
    map.weights.emplace_back(values.begin() + t * S, values.begin() + (t + 1) * S);
  return map;
}

}  // namespace glimpse::trace
