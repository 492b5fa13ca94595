// Lesson 01: printing a tensor, PyTorch style.
#include "autograd/format.hpp"

#include <algorithm>
#include <cmath>

namespace glimpse {

namespace {

constexpr int64_t kElideAbove = 1000;  // elements
constexpr int64_t kEdgeItems = 3;

struct Printer {
  const Tensor& t;
  bool elide;
  bool scientific;
  int width;
  std::string out;

  std::string number(float v) const {
    return scientific ? fmt::format("{:.4e}", v) : fmt::format("{:.4f}", v);
  }

  // Prints the sub-tensor at flat `offset` starting from dim `d`; `indent` aligns nested rows.
  void print(int d, int64_t offset, int indent) {
    if (d == t.dim()) {
      out += fmt::format("{:>{}}", number(t.data()[offset]), width);
      return;
    }
    const int64_t n = t.shape()[d];
    out += '[';
    for (int64_t i = 0; i < n; ++i) {
      if (elide && n > 2 * kEdgeItems && i == kEdgeItems) {
        out += d + 1 == t.dim() ? "..., " : fmt::format("...,\n{:{}}", "", indent + 1);
        i = n - kEdgeItems;
      }
      print(d + 1, offset + i * t.strides()[d], indent + 1);
      if (i + 1 < n) {
        if (d + 1 == t.dim())
          out += ", ";
        else
          out += fmt::format(",{}{:{}}", std::string(static_cast<size_t>(t.dim() - d - 1), '\n'), "", indent + 1);
      }
    }
    out += ']';
  }
};

}  // namespace

std::string to_string(const Tensor& t) {
  if (!t.defined()) return "tensor(undefined)";
  const std::vector<float> values = t.to_vector();
  float max_abs = 0.0f;
  for (float v : values)
    if (std::isfinite(v)) max_abs = std::max(max_abs, std::fabs(v));
  Printer p{t, t.numel() > kElideAbove, max_abs >= 1e5f || (max_abs > 0.0f && max_abs < 1e-3f), 0, "tensor("};
  for (float v : values) p.width = std::max(p.width, static_cast<int>(p.number(v).size()));
  p.print(0, 0, 7);
  p.out += fmt::format(", shape={}", to_string(t.shape()));
  if (!t.grad_fn_name().empty())
    p.out += fmt::format(", grad_fn=<{}>", t.grad_fn_name());
  else if (t.requires_grad())
    p.out += ", requires_grad=true";
  p.out += ')';
  return p.out;
}

}  // namespace glimpse
