// Reference values computed once by PyTorch (tests/fixtures/generate_*.py) and committed as JSON.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "autograd/tensor.hpp"

namespace glimpse::test {

// All tensors of fixture `name` (tests/fixtures/<name>.json), by name.
std::map<std::string, Tensor> load_fixture(const std::string& name);

// Same shape, and every element within atol + rtol·|expected|. On failure, names the element.
::testing::AssertionResult all_close(const Tensor& actual, const Tensor& expected, float rtol = 1e-5f,
                                     float atol = 1e-6f);

}  // namespace glimpse::test
