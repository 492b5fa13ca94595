// Lesson 02: one thread-local slot holds the learner's line while Glimpse works for it.
#include "autograd/caller_scope.hpp"

namespace glimpse {

namespace {
constinit thread_local int t_open_scopes = 0;  // how deep inside Glimpse this thread is
constinit thread_local Loc t_outermost{};      // the caller of the outermost scope
}  // namespace

CallerScope::CallerScope(Loc caller) noexcept {
  if (t_open_scopes++ == 0) t_outermost = caller;
}

CallerScope::~CallerScope() { --t_open_scopes; }

Loc reported_location(Loc where) noexcept { return t_open_scopes > 0 ? t_outermost : where; }

}  // namespace glimpse
