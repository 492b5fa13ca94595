// The tape: how ops are recorded in the forward pass and replayed backwards.
// Introduced in lesson 01 (derivatives and the tape).
#pragma once

#include <initializer_list>
#include <span>
#include <vector>

#include "autograd/tensor.hpp"

namespace glimpse {

// ---- grad mode ----------------------------------------------------------------------------
namespace detail {
// constinit: no dynamic initialisation, so every use is a plain TLS load (no init-wrapper call,
// which UBSan at -O2 misreads as a null load).
extern constinit thread_local bool t_grad_enabled;
}
inline bool is_grad_enabled() { return detail::t_grad_enabled; }

// While alive, ops are not recorded (evaluation, optimiser steps). Like torch::NoGradGuard.
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// ---- observers ----------------------------------------------------------------------------
// Something that wants to watch the tape (the tracer). With nobody watching, each op pays one
// branch for this feature.
class TapeObserver {
 public:
  virtual ~TapeObserver() = default;
  // An op was recorded: `output` knows its op name and inputs.
  virtual void on_op(const Tensor& output) { (void)output; }
  // Backward visited `output`'s op: `grad_output` came in, `grad_inputs[i]` goes to input i
  // (undefined when that input needs no grad).
  virtual void on_backward_step(const Tensor& output, const Tensor& grad_output,
                                std::span<const Tensor> grad_inputs) {
    (void)output, (void)grad_output, (void)grad_inputs;
  }
};

void add_tape_observer(TapeObserver* observer);
void remove_tape_observer(TapeObserver* observer);

namespace detail {

extern constinit thread_local bool t_has_observers;
void notify_op(const Tensor& output);

// True when an op with these inputs must be recorded (grad mode on, some input needs grad).
inline bool any_requires_grad(std::span<const Tensor> inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.requires_grad()) return true;
  return false;
}

// Puts `output` on the tape as the result of `op`: it keeps its inputs and its backward.
void record_node(Tensor& output, const char* op, std::span<const Tensor> inputs, BackwardFn backward);
// Drops a node's inputs once its backward has run and the graph is not retained (node.cpp).
void release_inputs(Node& node) noexcept;

// Names `output` as the result of `op` (shown by the tracer and by grad_fn).
inline void name_op(Tensor& output, const char* op) {
  output.node()->op = op;
  if (t_has_observers) [[unlikely]]
    notify_op(output);
}

// The one call every op ends with: if an input requires grad (and grad mode is on), the
// output goes on the tape with its backward; otherwise it is only named, and the backward
// lambda is never even turned into a std::function.
template <class Backward>
void record(Tensor& output, const char* op, std::initializer_list<Tensor> inputs, Backward&& backward) {
  if (any_requires_grad(std::span<const Tensor>(inputs.begin(), inputs.size())))
    record_node(output, op, std::span<const Tensor>(inputs.begin(), inputs.size()),
                BackwardFn(std::forward<Backward>(backward)));
  else
    name_op(output, op);
}
template <class Backward>
void record(Tensor& output, const char* op, const std::vector<Tensor>& inputs, Backward&& backward) {
  if (any_requires_grad(inputs))
    record_node(output, op, inputs, BackwardFn(std::forward<Backward>(backward)));
  else
    name_op(output, op);
}

// The engine behind Tensor::backward.
void run_backward(const Tensor& root, const Tensor& grad, bool retain_graph, Loc loc);

}  // namespace detail
}  // namespace glimpse
