// glimpse::Error: what went wrong, in which op, with which shapes, and where in *your* code.
// Introduced in lesson 02 (tensors), where a shape mismatch is the first error a learner meets.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <version>
#if defined(__cpp_lib_source_location)
#include <source_location>
#endif

namespace glimpse {

// Every op takes `Loc loc = Loc::current()` as its last argument, so the location recorded is
// the caller's line, not a line inside Glimpse.
#if defined(__cpp_lib_source_location)
using Loc = std::source_location;
#else
// The same, for compilers whose standard library lacks std::source_location (Debian 12's
// clang 14 with libstdc++ 12): the compiler's builtins fill in the caller's file and line.
struct Loc {
  static constexpr Loc current(const char* file = __builtin_FILE(),
                               std::uint_least32_t line = __builtin_LINE()) noexcept {
    Loc loc;
    loc.file_ = file;
    loc.line_ = line;
    return loc;
  }
  constexpr const char* file_name() const noexcept { return file_; }
  constexpr std::uint_least32_t line() const noexcept { return line_; }

 private:
  const char* file_ = "";
  std::uint_least32_t line_ = 0;
};
#endif

class Error : public std::runtime_error {
 public:
  Error(std::string op, const std::string& message, Loc where = Loc::current());

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
// The same inside Glimpse, where a CallerScope (autograd/caller_scope.hpp) supplies the line.
template <class MakeMessage>
inline void check(bool condition, const char* op, MakeMessage&& make_message, Loc loc = Loc::current()) {
  if (!condition) [[unlikely]]
    throw Error(op, make_message(), loc);
}
}  // namespace detail

}  // namespace glimpse
