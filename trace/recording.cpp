// Lesson 01: a recording holds copies, so tracing never keeps a graph alive.
#include "trace/recording.hpp"

#include <algorithm>

namespace glimpse::trace {

namespace {

// Copies the first `max_values` elements of the strided view (base, shape, strides). Walks the
// view by hand: calling contiguous() or select() would run ops that the tracer would then see
// on the tape.
Values copy_strided(const float* base, const Shape& shape, const Shape& strides, int64_t max_values) {
  Values out;
  out.shape = shape;
  const int64_t n = numel(shape);
  const int64_t keep = std::clamp<int64_t>(max_values, 0, n);
  out.truncated = keep < n;
  out.data.reserve(keep);
  const int ndim = shape.size();
  std::vector<int64_t> index(ndim, 0);
  for (int64_t i = 0; i < keep; ++i) {
    int64_t offset = 0;
    for (int d = 0; d < ndim; ++d) offset += index[d] * strides[d];
    out.data.push_back(base[offset]);
    for (int d = ndim - 1; d >= 0; --d) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

}  // namespace

Values copy_values(const Tensor& t, int64_t max_values) {
  if (!t.defined()) return {};
  return copy_strided(t.data(), t.shape(), t.strides(), max_values);
}

Values copy_batch_item(const Tensor& t, int64_t item, int64_t max_values) {
  if (!t.defined()) return {};
  if (item < 0 || t.dim() < 2 || item >= t.shape()[0]) return copy_values(t, max_values);
  Shape shape, strides;
  for (int d = 1; d < t.dim(); ++d) {
    shape.push_back(t.shape()[d]);
    strides.push_back(t.strides()[d]);
  }
  return copy_strided(t.data() + item * t.strides()[0], shape, strides, max_values);
}

const Values* StepEntry::find(std::string_view name) const {
  for (const auto& [key, v] : values)
    if (key == name) return &v;
  return nullptr;
}

}  // namespace glimpse::trace
