// Tensor: an N-d float32 array that remembers how it was made, so gradients can flow back.
// Introduced in lesson 01 (derivatives and the tape) and lesson 02 (tensors).
//
// A Tensor is a cheap handle: copying a Tensor copies a shared pointer, never the data
// (like torch.Tensor in Python). Views (reshape, transpose, select, ...) share the storage
// of the tensor they look into.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "autograd/error.hpp"
#include "autograd/shape.hpp"

namespace glimpse {

class Tensor;
class Generator;

namespace detail {
struct Node;

// A flat float buffer shared by a tensor and all of its views.
struct Storage {
  explicit Storage(int64_t size);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  float* data;
  int64_t size;
};
}  // namespace detail

// Integer indices (token ids, class targets, gather positions): PyTorch's LongTensor.
struct IndexTensor {
  IndexTensor() = default;
  IndexTensor(std::vector<int64_t> values, Shape shape, Loc loc = Loc::current());
  // A 1-D index tensor.
  IndexTensor(std::initializer_list<int64_t> values);
  explicit IndexTensor(std::vector<int64_t> values);

  int64_t numel() const { return static_cast<int64_t>(values.size()); }
  int64_t operator[](int64_t i) const { return values[i]; }

  std::vector<int64_t> values;
  Shape shape;
};

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor (like an empty torch::Tensor())
  explicit Tensor(std::shared_ptr<detail::Node> node) : node_(std::move(node)) {}

  bool defined() const { return node_ != nullptr; }

  // ---- shape and layout -------------------------------------------------------------------
  // Every accessor below throws glimpse::Error on an undefined tensor (it has no node to read).
  const Shape& shape(Loc loc = Loc::current()) const;
  const Shape& strides(Loc loc = Loc::current()) const;
  int64_t offset(Loc loc = Loc::current()) const;
  int dim(Loc loc = Loc::current()) const { return shape(loc).size(); }
  int64_t size(int64_t dim, Loc loc = Loc::current()) const;
  int64_t numel(Loc loc = Loc::current()) const { return glimpse::numel(shape(loc), loc); }
  bool is_contiguous() const;

  // ---- data -------------------------------------------------------------------------------
  // Pointer to element (0, 0, ...). Walk it with strides(), or call contiguous() first.
  float* data(Loc loc = Loc::current());
  const float* data(Loc loc = Loc::current()) const;
  // Value of a one-element tensor.
  float item(Loc loc = Loc::current()) const;
  // One element by its multi-index, e.g. t.at({1, 2}).
  float at(std::initializer_list<int64_t> index, Loc loc = Loc::current()) const;
  // All values in row-major order (a copy).
  std::vector<float> to_vector(Loc loc = Loc::current()) const;

  // ---- autograd ---------------------------------------------------------------------------
  bool requires_grad() const;
  // Marks a leaf tensor as a parameter whose gradient we want (PyTorch: requires_grad_()).
  Tensor& requires_grad_(bool enabled = true, Loc loc = Loc::current());
  // The accumulated gradient (undefined until a backward pass reaches this tensor).
  Tensor grad(Loc loc = Loc::current()) const;
  void zero_grad(Loc loc = Loc::current());
  // Gradient of this scalar with respect to every tensor that requires grad.
  void backward(Loc loc = Loc::current()) const;
  // Backward from a non-scalar, seeded with `grad` (same shape as this tensor).
  void backward(const Tensor& grad, bool retain_graph = false, Loc loc = Loc::current()) const;
  // Keep .grad() on a non-leaf tensor after backward (leaves always keep theirs).
  void retain_grad(Loc loc = Loc::current());
  // Same values, cut from the graph: no gradient flows through the result.
  Tensor detach(Loc loc = Loc::current()) const;
  bool is_leaf(Loc loc = Loc::current()) const;
  // Name of the op that made this tensor ("matmul"), or "" for a tensor you created.
  std::string op_name(Loc loc = Loc::current()) const;
  // PyTorch's spelling of the same thing: "MatmulBackward" (empty when requires_grad is false).
  std::string grad_fn_name(Loc loc = Loc::current()) const;
  // The tensors this one was computed from (empty for leaves or after the graph was freed).
  const std::vector<Tensor>& inputs(Loc loc = Loc::current()) const;
  // Position on the tape: later tensors have larger ids. Stable for a given program.
  uint64_t id(Loc loc = Loc::current()) const;

  // ---- views (share storage, no copy) -----------------------------------------------------
  Tensor reshape(const Shape& shape, Loc loc = Loc::current()) const;
  Tensor view(const Shape& shape, Loc loc = Loc::current()) const;
  Tensor flatten(Loc loc = Loc::current()) const;
  Tensor transpose(int64_t dim0, int64_t dim1, Loc loc = Loc::current()) const;
  Tensor t(Loc loc = Loc::current()) const;  // transpose of a 2-D tensor
  Tensor permute(const Shape& dims, Loc loc = Loc::current()) const;
  Tensor select(int64_t dim, int64_t index, Loc loc = Loc::current()) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1,
               Loc loc = Loc::current()) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length, Loc loc = Loc::current()) const;
  Tensor unsqueeze(int64_t dim, Loc loc = Loc::current()) const;
  Tensor squeeze(int64_t dim, Loc loc = Loc::current()) const;
  Tensor squeeze(Loc loc = Loc::current()) const;  // drops every size-1 dim
  Tensor expand(const Shape& shape, Loc loc = Loc::current()) const;
  Tensor contiguous(Loc loc = Loc::current()) const;
  Tensor clone(Loc loc = Loc::current()) const;

  // ---- common ops as methods (same as the free functions in ops.hpp) ---------------------
  Tensor sum(Loc loc = Loc::current()) const;
  Tensor sum(const Shape& dims, bool keepdim = false, Loc loc = Loc::current()) const;
  Tensor mean(Loc loc = Loc::current()) const;
  Tensor mean(const Shape& dims, bool keepdim = false, Loc loc = Loc::current()) const;
  Tensor max(Loc loc = Loc::current()) const;
  Tensor max(int64_t dim, bool keepdim = false, Loc loc = Loc::current()) const;
  Tensor matmul(const Tensor& other, Loc loc = Loc::current()) const;
  Tensor tanh(Loc loc = Loc::current()) const;
  Tensor sigmoid(Loc loc = Loc::current()) const;
  Tensor relu(Loc loc = Loc::current()) const;
  Tensor exp(Loc loc = Loc::current()) const;
  Tensor log(Loc loc = Loc::current()) const;
  Tensor softmax(int64_t dim, Loc loc = Loc::current()) const;
  Tensor log_softmax(int64_t dim, Loc loc = Loc::current()) const;

  // The node behind the handle: for the tape, the tracer and the kernels.
  detail::Node* node() const { return node_.get(); }
  const std::shared_ptr<detail::Node>& node_ptr() const { return node_; }

 private:
  // The node behind a defined tensor; for an undefined one, a glimpse::Error naming `op`.
  detail::Node& checked(const char* op, Loc loc) const;

  std::shared_ptr<detail::Node> node_;
};

namespace detail {

// What an op's backward does: given `grad`, the gradient reaching its output, fill grads[i], the
// gradient of input i (leave it undefined when that input needs none). `result` is the op's
// output node (the tensor the op made, not one of its inputs); it holds the inputs, so most
// backward lambdas capture nothing. A backward first names its inputs and their gradients as the
// op's math does, then reads as the derivative (reshape's):
//   const Tensor& x = result.inputs[0];
//   Tensor& dx = grads[0];
//   dx = grad.reshape(x.shape());
using BackwardFn = std::function<void(const Node& result, const Tensor& grad, std::span<Tensor> grads)>;

struct Node {
  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node();  // tears the graph behind it down without recursion

  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;
  int64_t offset = 0;

  bool requires_grad = false;
  bool retains_grad = false;
  bool graph_freed = false;  // set when backward released this node's saved inputs
  uint64_t id = 0;
  uint64_t visit_mark = 0;   // used by backward's graph walk

  const char* op = nullptr;  // nullptr: a leaf created by the user
  std::vector<Tensor> inputs;
  BackwardFn backward;

  Tensor grad;          // .grad of a leaf, or of a non-leaf that retains its grad
  Tensor pending_grad;  // gradients summed here while a backward pass is running
  bool pending_grad_owned = false;  // pending_grad is a sum only this node holds (see tape.cpp)

  float* data() const { return storage->data + offset; }
};

}  // namespace detail

// ---- inline accessors ---------------------------------------------------------------------
namespace detail {
// The error for reading an undefined tensor (out of line, so the accessors stay small).
[[noreturn]] void throw_undefined(const char* op, Loc loc);
// Throws that error, naming `op` and the caller's line, unless every tensor is defined. Ops and
// modules call it first, so the error names them rather than the accessor that would fail.
inline void check_defined(std::initializer_list<const Tensor*> tensors, const char* op,
                          Loc loc = Loc::current()) {
  for (const Tensor* t : tensors)
    if (!t->defined()) [[unlikely]]
      throw_undefined(op, loc);
}
}  // namespace detail

inline detail::Node& Tensor::checked(const char* op, Loc loc) const {
  if (!node_) [[unlikely]]
    detail::throw_undefined(op, loc);
  return *node_;
}
inline const Shape& Tensor::shape(Loc loc) const { return checked("shape", loc).shape; }
inline const Shape& Tensor::strides(Loc loc) const { return checked("strides", loc).strides; }
inline int64_t Tensor::offset(Loc loc) const { return checked("offset", loc).offset; }
inline float* Tensor::data(Loc loc) { return checked("data", loc).data(); }
inline const float* Tensor::data(Loc loc) const { return checked("data", loc).data(); }
inline bool Tensor::requires_grad() const { return node_ && node_->requires_grad; }
inline uint64_t Tensor::id(Loc loc) const { return checked("id", loc).id; }

// ---- factories ----------------------------------------------------------------------------
Tensor zeros(const Shape& shape, Loc loc = Loc::current());
Tensor ones(const Shape& shape, Loc loc = Loc::current());
Tensor full(const Shape& shape, float value, Loc loc = Loc::current());
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
// A 0-d tensor holding one value.
Tensor scalar_tensor(float value);
// 0, 1, ..., n-1 and start, start+step, ... (< end), as 1-D tensors.
Tensor arange(int64_t n, Loc loc = Loc::current());
Tensor arange(float start, float end, float step = 1.0f, Loc loc = Loc::current());
// Copies `values` into a tensor of `shape` (a 1-D tensor when no shape is given).
Tensor from_vector(const std::vector<float>& values, const Shape& shape, Loc loc = Loc::current());
Tensor from_vector(const std::vector<float>& values);
// Normal(0, 1) and Uniform[0, 1) samples from a seedable generator (see random.hpp).
Tensor randn(const Shape& shape, Generator& gen, Loc loc = Loc::current());
Tensor randn(const Shape& shape, Loc loc = Loc::current());
Tensor rand(const Shape& shape, Generator& gen, Loc loc = Loc::current());
Tensor rand(const Shape& shape, Loc loc = Loc::current());

namespace detail {
// A new id for a node: larger than every id this thread gave out before, and than `after`.
uint64_t next_id(uint64_t after = 0);
// A new contiguous tensor of `shape` whose values are not initialised. Out of memory, it throws
// glimpse::Error naming `op` (the op that asked for it) and the size.
Tensor empty(const Shape& shape, const char* op = "empty", Loc loc = Loc::current());
// A new tensor (a fresh node on the tape) that looks into `base`'s storage.
Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset);
// Copies `src` (broadcast to dst's shape) into the possibly strided view `dst`.
void copy_into(Tensor& dst, const Tensor& src);
}  // namespace detail

}  // namespace glimpse
