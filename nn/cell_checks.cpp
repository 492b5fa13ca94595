// Lesson 04: the argument checks every recurrent cell shares, so each cell's error names it.
#include "nn/cell_checks.hpp"

#include <fmt/format.h>

#include "autograd/caller_scope.hpp"

namespace glimpse::nn {

namespace detail {

using glimpse::detail::check;

void check_cell_sizes(const char* cell, int64_t input_size, int64_t hidden_size) {
  check(input_size > 0 && hidden_size > 0, cell, [&] {
    return fmt::format("sizes must be positive, got input_size {} and hidden_size {}", input_size,
                       hidden_size);
  });
}

void check_cell_inputs(const char* cell, const Tensor& x, const Tensor& h, int64_t input_size,
                       int64_t hidden_size) {
  glimpse::detail::check_defined({&x, &h}, cell);
  check(x.dim() == 2 && x.shape()[1] == input_size, cell,
        [&] { return fmt::format("expects input x [batch, {}], got {}", input_size, to_string(x.shape())); });
  check(h.dim() == 2 && h.shape()[0] == x.shape()[0] && h.shape()[1] == hidden_size, cell, [&] {
    return fmt::format("expects hidden state [{}, {}] for input {}, got {}", x.shape()[0], hidden_size,
                       to_string(x.shape()), to_string(h.shape()));
  });
}

}  // namespace detail

}  // namespace glimpse::nn
