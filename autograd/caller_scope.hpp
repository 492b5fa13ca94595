// CallerScope: the line of *your* code that called into Glimpse, held while Glimpse works for it.
// Introduced in lesson 02 (errors); every module's forward opens one.
//
//   Tensor GRUCell::forward(const Tensor& x, const Tensor& h, Loc caller) const {
//     const CallerScope scope(caller);
//     ...
//     return (1.0f - z) * n + z * h;   // an error in any op here names the caller's line
//   }
//
// So module code calls ops and operators without passing a location along, and an error deep
// inside still says which op failed, with which shapes, and where in the learner's code. Scopes
// nest (a Seq2seq calls its encoder, which calls a GRU cell); the outermost one is the learner's
// own call, and it wins. Each thread has its own.
#pragma once

#include "autograd/error.hpp"

namespace glimpse {

class CallerScope {
 public:
  explicit CallerScope(Loc caller) noexcept;
  ~CallerScope();
  CallerScope(const CallerScope&) = delete;
  CallerScope& operator=(const CallerScope&) = delete;
};

// The location an error raised at `where` reports: the outermost open scope's, else `where`.
Loc reported_location(Loc where) noexcept;

}  // namespace glimpse
