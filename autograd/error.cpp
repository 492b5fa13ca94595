// Lesson 02: an error names the op, the shapes and the caller's file:line.
#include "autograd/error.hpp"

#include "autograd/caller_scope.hpp"

#include <fmt/format.h>

#include <memory>
#include <optional>
#include <string_view>

#if defined(GLIMPSE_HAVE_BACKTRACE)
#include <backtrace.h>
#endif

namespace glimpse {

namespace {

// A default argument `Loc loc = Loc::current()` names the line that called the function. When
// the standard library called it (std::make_shared<nn::Linear>(0, 2) constructs the Linear inside
// <memory>), that line is in a system header, which would only mislead. Then the stack is asked
// instead: the first frame outside Glimpse and outside the standard library is the caller's.

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

bool in_standard_library(std::string_view file) { return file.empty() || file.starts_with(standard_library_folder()); }

#if defined(GLIMPSE_HAVE_BACKTRACE)
// Glimpse's own folders (autograd/, nn/, trace/, and exercises/ that replace files of nn/), found
// from this file's path: a frame in one of them is Glimpse calling itself, not the learner.
bool in_glimpse(std::string_view file) {
  static const std::string root = [] {
    std::string here = __FILE__;  // <root>/autograd/error.cpp
    for (int up = 0; up < 2 && here.find('/') != std::string::npos; ++up) here.erase(here.rfind('/'));
    return here + "/";
  }();
  if (!file.starts_with(root)) return false;
  file.remove_prefix(root.size());
  for (std::string_view folder : {"autograd/", "nn/", "trace/", "exercises/"})
    if (file.starts_with(folder)) return true;
  return false;
}

struct CallerSearch {
  std::optional<std::string> found;  // "file:line" of the first frame of the caller's code
  bool done = false;
};

// A frame's file as the compiler named it. GCC 12's libbacktrace reads clang's DWARF 5 line
// tables (clang 14, with a precompiled header) as the build folder joined to a file name that is
// already absolute, "/build//src/nn/linear.cpp": the second path is the real one.
std::string_view source_file(std::string_view file) {
  const size_t joined = file.rfind("//");
  if (joined != std::string_view::npos) file.remove_prefix(joined + 1);
  return file;
}

// Called for each frame, innermost first (inlined calls included); returning 1 stops the walk.
int look_at_frame(void* data, uintptr_t, const char* frame_file, int line, const char*) {
  auto& search = *static_cast<CallerSearch*>(data);
  const std::string_view file = frame_file ? source_file(frame_file) : std::string_view();
  if (!file.empty() && (in_glimpse(file) || in_standard_library(file))) return 0;
  // A frame without line information means the caller's code was built without -g: give up.
  if (!file.empty()) search.found = fmt::format("{}:{}", file, line);
  search.done = true;
  return 1;
}

void ignore_error(void*, const char*, int) {}

std::optional<std::string> caller_from_the_stack() {
  // One state per process, created on the first error; libbacktrace makes it thread-safe.
  static backtrace_state* const state = backtrace_create_state(nullptr, /*threaded=*/1, ignore_error, nullptr);
  if (!state) return std::nullopt;
  CallerSearch search;
  backtrace_full(state, /*skip=*/0, look_at_frame, ignore_error, &search);
  return search.found;
}
#else
std::optional<std::string> caller_from_the_stack() { return std::nullopt; }
#endif

std::string caller(const Loc& where) {
  if (!in_standard_library(where.file_name())) return fmt::format("{}:{}", where.file_name(), where.line());
  if (std::optional<std::string> line = caller_from_the_stack()) return *line;
  return "an unknown line of your code (the call came through the standard library, e.g. "
         "std::make_shared, and your code has no line information: build it with -g, construct "
         "the object directly, or pass glimpse::Loc::current() as the last argument)";
}

std::string compose(const std::string& op, const std::string& message, const Loc& where) {
  return fmt::format("{}: {}\n  at {}", op, message, caller(where));
}

}  // namespace

// Inside a module (a CallerScope), the line reported is the learner's call into it.
Error::Error(std::string op, const std::string& message, Loc where)
    : std::runtime_error(compose(op, message, reported_location(where))),
      op_(std::move(op)),
      where_(reported_location(where)) {}

}  // namespace glimpse
