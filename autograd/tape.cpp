// Lesson 01: the tape. Forward ops append nodes with increasing ids; backward walks the nodes
// reachable from the loss in decreasing id order (a valid reverse topological order, because
// an op's inputs always exist before it does), calls each node's backward once, and sums the
// gradients that reach a node from several uses.
#include "autograd/tape.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <new>

#include "autograd/ops.hpp"

namespace glimpse {

namespace detail {
constinit thread_local bool t_grad_enabled = true;
}
using detail::t_grad_enabled;

namespace {
thread_local std::vector<TapeObserver*> t_observers;
constinit thread_local uint64_t t_visit_epoch = 0;  // backward passes run by this thread
}  // namespace

NoGradGuard::NoGradGuard() : previous_(t_grad_enabled) { t_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { t_grad_enabled = previous_; }

namespace detail {
constinit thread_local bool t_has_observers = false;  // observers, like grad mode, are per thread
}

void add_tape_observer(TapeObserver* observer) {
  t_observers.push_back(observer);
  detail::t_has_observers = true;
}

void remove_tape_observer(TapeObserver* observer) {
  std::erase(t_observers, observer);
  detail::t_has_observers = !t_observers.empty();
}

namespace detail {

void notify_op(const Tensor& output) {
  for (TapeObserver* o : t_observers) o->on_op(output);
}

namespace {

// Every recorded op keeps its inputs in a std::vector; a forward pass of thousands of small ops
// would malloc one and free it again in backward. Instead, released lists (emptied, capacity
// kept) wait here for the next op. Only an optimisation: any list may be freed instead.
struct SpareInputLists {
  std::vector<std::vector<Tensor>> lists;
  ~SpareInputLists();
};
thread_local SpareInputLists t_spare;
thread_local bool t_spare_gone = false;  // set at thread exit; later releases just free
SpareInputLists::~SpareInputLists() { t_spare_gone = true; }

std::vector<Tensor> take_input_list() {
  if (t_spare_gone || t_spare.lists.empty()) return {};
  std::vector<Tensor> list = std::move(t_spare.lists.back());
  t_spare.lists.pop_back();
  return list;
}

// Releases the tensors in `list` and keeps its buffer for take_input_list; `list` ends empty.
// Called from Node's destructor, so it never throws: when keeping the buffer would need memory
// that is not there (perhaps while a bad_alloc unwinds), the buffer is freed instead.
void release_input_list(std::vector<Tensor>& list) noexcept {
  list.clear();
  if (list.capacity() == 0 || t_spare_gone || t_spare.lists.size() >= 65536) {
    std::vector<Tensor>().swap(list);
    return;
  }
  try {
    t_spare.lists.push_back(std::move(list));
  } catch (const std::bad_alloc&) {
  }
  std::vector<Tensor>().swap(list);
}

}  // namespace

void record_node(Tensor& output, const char* op, std::span<const Tensor> inputs, BackwardFn backward) {
  Node* node = output.node();
  node->op = op;
  node->requires_grad = true;
  node->inputs = take_input_list();
  node->inputs.assign(inputs.begin(), inputs.end());
  // Backward needs every op's id above its inputs' ids. Ids count per thread, so an input made
  // by another thread (a model built in main, trained in a worker) may have a larger one.
  for (const Tensor& in : inputs)
    if (in.id() >= node->id) node->id = next_id(in.id());
  node->backward = std::move(backward);
  if (t_has_observers) [[unlikely]]
    notify_op(output);
}

Node::~Node() {
  // A long unrolled RNN is a chain of thousands of nodes. Letting each destructor release its
  // inputs would recurse that deep and overflow the stack, so unlink the chain in a loop:
  // whenever we hold the last reference to an input, steal its inputs before it dies.
  if (inputs.empty()) {
    release_input_list(inputs);
    return;
  }
  std::vector<Tensor> stack = std::move(inputs);
  while (!stack.empty()) {
    Tensor t = std::move(stack.back());
    stack.pop_back();
    if (t.node_ptr().use_count() == 1) {
      Node* n = t.node();
      // A destructor must not throw: without memory for a longer stack, leave n's inputs to its
      // own destructor (recursion one level deeper, only when memory has run out).
      const size_t needed = stack.size() + n->inputs.size();
      try {
        if (needed > stack.capacity()) stack.reserve(2 * needed);
      } catch (const std::bad_alloc&) {
        continue;
      }
      for (Tensor& in : n->inputs) stack.push_back(std::move(in));
      release_input_list(n->inputs);
      n->backward = nullptr;
    }
  }
  release_input_list(stack);
}

namespace {

// dst += src, elementwise, in place (dst contiguous, same shape).
void add_into(Tensor& dst, const Tensor& src) {
  const Tensor sc = src.contiguous();
  float* d = dst.data();
  const float* v = sc.data();
  const int64_t n = sc.numel();
  for (int64_t i = 0; i < n; ++i) d[i] += v[i];
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

}  // namespace

void run_backward(const Tensor& root, const Tensor& grad, bool retain_graph, Loc loc) {
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
  Node* root_node = root.node();
  check(!root_node->graph_freed, "backward", loc, [] {
    return std::string(
        "the graph behind this tensor was already freed by an earlier backward(); pass "
        "retain_graph = true to the first backward if you need to run it twice");
  });

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
      release_input_list(node->inputs);
      node->backward = nullptr;
      node->graph_freed = true;
    }
  }
}

}  // namespace detail
}  // namespace glimpse
