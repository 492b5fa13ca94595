// CallerScope: inside one, an error names the scope's caller, not the line of the op that failed.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "autograd_test_util.hpp"
#include "autograd/caller_scope.hpp"
#include "support/error_message.hpp"

using namespace glimpse;

namespace {

// What a module does: open a scope at its entry, then call ops with no location of their own.
Tensor add_inside_a_scope(const Tensor& a, const Tensor& b, Loc caller = Loc::current()) {
  const CallerScope scope(caller);
  return a + b;
}
Tensor nested(const Tensor& a, const Tensor& b, Loc caller = Loc::current()) {
  const CallerScope scope(caller);
  return add_inside_a_scope(a, b);  // an inner entry, whose caller is this file's line
}

}  // namespace

TEST(CallerScope, AnOpInsideNamesItselfAndTheScopesCaller) {
  const Tensor a = zeros({2, 3}), b = zeros({4});
  const int line = __LINE__ + 1;
  const std::string msg = test::error_message([&] { add_inside_a_scope(a, b); });
  EXPECT_NE(msg.find("add"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[2, 3]"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("caller_scope_test.cpp:{}", line)), std::string::npos) << msg;
}

TEST(CallerScope, TheOutermostScopeWins) {
  const Tensor a = zeros({2, 3}), b = zeros({4});
  const int line = __LINE__ + 1;
  const std::string msg = test::error_message([&] { nested(a, b); });
  EXPECT_NE(msg.find(fmt::format("caller_scope_test.cpp:{}", line)), std::string::npos) << msg;
}

TEST(CallerScope, OutsideAScopeAnOpNamesItsOwnCaller) {
  const Tensor a = zeros({2, 3}), b = zeros({4});
  { const CallerScope scope(Loc::current()); }  // opened and closed: leaves nothing behind
  const int line = __LINE__ + 1;
  const std::string msg = test::error_message([&] { add(a, b); });
  EXPECT_NE(msg.find(fmt::format("caller_scope_test.cpp:{}", line)), std::string::npos) << msg;
}

TEST(CallerScope, EachThreadHasItsOwn) {
  // A scope open on this thread must not decide the line an error on another thread reports.
  const CallerScope scope(Loc::current());
  const Tensor a = zeros({2, 3}), b = zeros({4});
  std::string msg;
  int line = 0;
  std::thread other([&] {
    line = __LINE__ + 1;
    msg = test::error_message([&] { add(a, b); });
  });
  other.join();
  EXPECT_NE(msg.find(fmt::format("caller_scope_test.cpp:{}", line)), std::string::npos) << msg;
}
