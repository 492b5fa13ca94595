// Lesson 01: the tape. Forward ops append nodes with increasing ids; backward walks the nodes
// reachable from the loss in decreasing id order (a valid reverse topological order, because
// an op's inputs always exist before it does), calls each node's backward once, and sums the
// gradients that reach a node from several uses. How a node is recorded and released:
// autograd/node.cpp.
#include "autograd/tape.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "autograd/kernels/elementwise_loops.hpp"
#include "autograd/ops.hpp"

namespace glimpse {

namespace detail {
constinit thread_local bool t_grad_enabled = true;
constinit thread_local bool t_has_observers = false;  // observers, like grad mode, are per thread
}  // namespace detail
using detail::t_grad_enabled;

namespace {
thread_local std::vector<TapeObserver*> t_observers;
constinit thread_local uint64_t t_visit_epoch = 0;  // backward passes run by this thread
}  // namespace

namespace detail {

namespace {
// The nodes waiting for their gradient, kept as a heap whose top is the latest (largest id).
// Every consumer of a node was made after it, so by the time a node is on top, all the
// gradients it will receive have been summed into it. Holding Tensors keeps the nodes alive
// while they wait, even when releasing the graph drops the last other reference.
class PendingNodes {
 public:
  bool empty() const { return heap_.empty(); }
  void push(const Tensor& t) {
    heap_.push_back(t);
    std::push_heap(heap_.begin(), heap_.end(), earlier);
  }
  Tensor pop_latest() {
    std::pop_heap(heap_.begin(), heap_.end(), earlier);
    Tensor t = std::move(heap_.back());
    heap_.pop_back();
    return t;
  }

 private:
  static bool earlier(const Tensor& a, const Tensor& b) { return a.id() < b.id(); }
  std::vector<Tensor> heap_;
};

void check_root(const Tensor& root, const Tensor& grad, Loc loc);
void accumulate(Tensor& slot, bool& owned, const Tensor& g);
void accumulate_into_grad(Node& node, const Tensor& g);
}  // namespace

void run_backward(const Tensor& root, const Tensor& grad, bool retain_graph, Loc loc) {
  check_root(root, grad, loc);
  Node* root_node = root.node();
  NoGradGuard no_grad;  // gradients are plain values: their computation is not recorded
  const uint64_t mark = ++t_visit_epoch;  // a node is pushed once per pass: when first marked
  PendingNodes pending;
  // If the pass fails half-way (a freed graph, a bad backward), no gradient may stay parked on a
  // node it did not reach: a later backward would add it in.
  struct ClearOnThrow {
    PendingNodes& nodes;
    ~ClearOnThrow() {
      while (!nodes.empty()) nodes.pop_latest().node()->pending_grad = Tensor();
    }
  } clear_on_throw{pending};
  root_node->pending_grad = grad;
  root_node->visit_mark = mark;
  pending.push(root);
  std::vector<Tensor> grad_inputs;
  while (!pending.empty()) {
    const Tensor t = pending.pop_latest();
    Node* node = t.node();
    Tensor g = std::move(node->pending_grad);
    node->pending_grad = Tensor();
    if (!g.defined()) continue;
    check(!node->graph_freed, "backward", loc, [&] {
      return fmt::format(
          "the graph was already freed at op '{}' (id {}) by an earlier backward(); pass "
          "retain_graph = true to the first backward if you need to run it twice",
          node->op, node->id);
    });
    const bool is_leaf = !node->backward;  // created by the user, or by an op nobody tracked
    if (is_leaf || node->retains_grad) accumulate_into_grad(*node, g);
    if (is_leaf) continue;

    grad_inputs.assign(node->inputs.size(), Tensor());
    node->backward(*node, g, grad_inputs);
    if (t_has_observers) [[unlikely]]
      for (TapeObserver* o : t_observers) o->on_backward_step(t, g, grad_inputs);
    for (size_t i = 0; i < grad_inputs.size(); ++i) {
      const Tensor& gi = grad_inputs[i];
      Node* in = node->inputs[i].node();
      if (!gi.defined() || !in->requires_grad) continue;
      check(gi.shape() == in->shape, node->op, loc, [&] {
        return fmt::format("backward of '{}' produced a gradient of shape {} for input {} of shape {}",
                           node->op, to_string(gi.shape()), i, to_string(in->shape));
      });
      accumulate(in->pending_grad, in->pending_grad_owned, gi);
      if (in->visit_mark != mark) {
        in->visit_mark = mark;
        pending.push(node->inputs[i]);
      }
    }
    if (!retain_graph) {
      release_inputs(*node);
      node->backward = nullptr;
      node->graph_freed = true;
    }
  }
}

namespace {

// The checks before a pass: a tensor on the tape, a gradient of its shape, a graph not freed.
void check_root(const Tensor& root, const Tensor& grad, Loc loc) {
  check_defined({&root}, "backward", loc);
  check(root.requires_grad(), "backward", loc, [] {
    return std::string(
        "this tensor does not require grad: no input of the ops that made it has "
        "requires_grad_(), or it was computed under NoGradGuard");
  });
  check(grad.defined(), "backward", loc, [&] {
    return fmt::format("grad is an undefined tensor; pass one of shape {}", to_string(root.shape()));
  });
  check(grad.shape() == root.shape(), "backward", loc, [&] {
    return fmt::format("grad has shape {} but the tensor has shape {}", to_string(grad.shape()),
                       to_string(root.shape()));
  });
  check(!root.node()->graph_freed, "backward", loc, [] {
    return std::string(
        "the graph behind this tensor was already freed by an earlier backward(); pass "
        "retain_graph = true to the first backward if you need to run it twice");
  });
}

// dst += src, elementwise, in place (dst contiguous, same shape); large ones across threads,
// each element on one (kernels/elementwise_loops.hpp).
void add_into(Tensor& dst, const Tensor& src) {
  const Tensor sc = src.contiguous();
  float* d = dst.data();
  const float* v = sc.data();
  detail::for_each_element(sc.numel(), [&](int64_t i) { d[i] += v[i]; });
}

// Adds `g` into `slot`. The first gradient is adopted as is: it may be shared with another node
// or an observer, so it is never written to. The second is summed into a new tensor that only
// the slot holds (`owned`), and later ones are added into that in place, which saves a
// fresh tensor per step when, say, a weight used at every time step gathers its gradients.
void accumulate(Tensor& slot, bool& owned, const Tensor& g) {
  if (!slot.defined()) {
    slot = g;
    owned = false;
  } else if (owned) {
    add_into(slot, g);
  } else {
    slot = add(slot, g);
    owned = true;
  }
}

// .grad of a leaf is summed in place across backward passes (PyTorch semantics), so it must be
// a tensor of its own, not an alias of some gradient that flowed through the graph.
void accumulate_into_grad(Node& node, const Tensor& g) {
  if (!node.grad.defined()) {
    node.grad = g.clone();
    return;
  }
  add_into(node.grad, g);
}

}  // namespace

void notify_op(const Tensor& output) {
  for (TapeObserver* o : t_observers) o->on_op(output);
}

}  // namespace detail

NoGradGuard::NoGradGuard() : previous_(t_grad_enabled) { t_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { t_grad_enabled = previous_; }

void add_tape_observer(TapeObserver* observer) {
  t_observers.push_back(observer);
  detail::t_has_observers = true;
}

void remove_tape_observer(TapeObserver* observer) {
  std::erase(t_observers, observer);
  detail::t_has_observers = !t_observers.empty();
}

}  // namespace glimpse
