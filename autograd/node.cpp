// Lesson 01: the life of a node. record_node puts an op's output on the tape with its inputs and
// its backward; Node's destructor releases a long chain of them without recursing. The lists of
// inputs are reused, since a forward pass makes thousands of small ones.
#include <new>

#include "autograd/tape.hpp"

namespace glimpse::detail {

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

void release_inputs(Node& node) noexcept { release_input_list(node.inputs); }

}  // namespace glimpse::detail
