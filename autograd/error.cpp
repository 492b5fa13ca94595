// Lesson 02: an error names the op, the shapes and the caller's file:line.
#include "autograd/error.hpp"

#include <fmt/format.h>

#include <memory>
#include <string_view>

namespace glimpse {

namespace {

// The standard library's own header folder, learned from the compiler rather than guessed: an
// object built by std::make_shared records a line inside that library (.../c++/12/bits/...).
struct MadeByTheStandardLibrary {
  Loc where;
  explicit MadeByTheStandardLibrary(Loc loc = Loc::current()) : where(loc) {}
};
std::string_view standard_library_folder() {
  static const std::string folder = [] {
    std::string file = std::make_shared<MadeByTheStandardLibrary>()->where.file_name();
    for (int up = 0; up < 2 && file.find('/') != std::string::npos; ++up) file.erase(file.rfind('/'));
    return file + "/";  // ".../include/c++/12/" from ".../include/c++/12/bits/stl_construct.h"
  }();
  return folder;
}

// A default argument `Loc loc = Loc::current()` names the line that called the function. When
// the standard library called it (std::make_shared<nn::Linear>(0, 2) constructs the Linear inside
// <memory>), that line is in a system header, which would only mislead: say so instead.
std::string caller(const Loc& where) {
  const std::string_view file = where.file_name();
  if (file.empty() || file.starts_with(standard_library_folder()))
    return "an unknown line of your code (the call came through the standard library, e.g. "
           "std::make_shared; construct the object directly, or pass glimpse::Loc::current() as "
           "the last argument, to see your line here)";
  return fmt::format("{}:{}", file, where.line());
}

std::string compose(const std::string& op, const std::string& message, const Loc& where) {
  return fmt::format("{}: {}\n  at {}", op, message, caller(where));
}

}  // namespace

Error::Error(std::string op, const std::string& message, Loc where)
    : std::runtime_error(compose(op, message, where)), op_(std::move(op)), where_(where) {}

}  // namespace glimpse
