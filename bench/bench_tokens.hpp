// Random token ids for the training-step benchmarks (Glimpse's side): a batch of sequences, and
// the input/target columns of a sequence one token longer (teacher forcing, next-token targets).
#pragma once

#include <cstdint>
#include <glimpse.hpp>
#include <vector>

namespace glimpse::bench {

// [rows, cols] ids drawn uniformly from first … vocab−1 (first 1 leaves out <pad>, id 0).
inline IndexTensor random_tokens(int64_t rows, int64_t cols, int64_t first, int64_t vocab, Generator& gen) {
  std::vector<int64_t> ids(static_cast<size_t>(rows * cols));
  for (auto& id : ids) id = first + gen.integer(vocab - first);
  return IndexTensor(ids, Shape{rows, cols});
}

// Columns [from, from + count) of a [rows, cols] index tensor.
inline IndexTensor columns(const IndexTensor& ids, int64_t from, int64_t count) {
  const int64_t rows = ids.shape[0], cols = ids.shape[1];
  std::vector<int64_t> out;
  for (int64_t b = 0; b < rows; ++b)
    for (int64_t t = from; t < from + count; ++t) out.push_back(ids.values[b * cols + t]);
  return IndexTensor(out, Shape{rows, count});
}

}  // namespace glimpse::bench
