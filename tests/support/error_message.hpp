// What a call throws, as text: the glimpse::Error's message, or "no error".
#pragma once

#include <string>

#include "autograd/error.hpp"

namespace glimpse::test {

template <class F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace glimpse::test
