// Lesson 02: an error names the op, the shapes and the caller's file:line.
#include "autograd/error.hpp"

#include <fmt/format.h>

namespace glimpse {

namespace {
std::string compose(const std::string& op, const std::string& message, const Loc& where) {
  return fmt::format("{}: {}\n  at {}:{}", op, message, where.file_name(), where.line());
}
}  // namespace

Error::Error(std::string op, const std::string& message, Loc where)
    : std::runtime_error(compose(op, message, where)), op_(std::move(op)), where_(where) {}

}  // namespace glimpse
