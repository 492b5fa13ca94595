// glimpse::Error: what went wrong, in which op, with which shapes, and where in *your* code.
// Introduced in lesson 02 (tensors), where a shape mismatch is the first error a learner meets.
#pragma once

#include <source_location>
#include <stdexcept>
#include <string>

namespace glimpse {

// Every op takes `Loc loc = Loc::current()` as its last argument, so the location recorded is
// the caller's line, not a line inside Glimpse.
using Loc = std::source_location;

class Error : public std::runtime_error {
 public:
  Error(std::string op, const std::string& message, Loc where);

  const std::string& op() const { return op_; }
  const Loc& where() const { return where_; }

 private:
  std::string op_;
  Loc where_;
};

namespace detail {
// Throws glimpse::Error unless `condition` holds; the message is built only on failure.
template <class MakeMessage>
inline void check(bool condition, const char* op, Loc loc, MakeMessage&& make_message) {
  if (!condition) [[unlikely]]
    throw Error(op, make_message(), loc);
}
}  // namespace detail

}  // namespace glimpse
