// Printing tensors the way PyTorch does: fmt::print("{}", t) shows the values (the middle of
// large tensors elided), the shape, and grad_fn=<MatmulBackward> or requires_grad=true.
// Introduced in lesson 01.
#pragma once

#include <fmt/format.h>

#include <string>

#include "autograd/tensor.hpp"

namespace glimpse {
// Dims longer than this many entries are shown as their first and last 3 when the tensor has
// more than 1000 elements (PyTorch's threshold).
std::string to_string(const Tensor& t);
}  // namespace glimpse

template <>
struct fmt::formatter<glimpse::Tensor> : fmt::formatter<std::string> {
  auto format(const glimpse::Tensor& t, format_context& ctx) const {
    return fmt::formatter<std::string>::format(glimpse::to_string(t), ctx);
  }
};
