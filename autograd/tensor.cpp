// Lesson 01/02: the Tensor handle — storage, factories and the autograd entry points.
#include "autograd/tensor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <new>

#include "autograd/kernels/elementwise_loops.hpp"
#include "autograd/ops.hpp"
#include "autograd/pool.hpp"
#include "autograd/random.hpp"
#include "autograd/tape.hpp"

namespace glimpse {

namespace detail {

// Buffers, storages and nodes come from a pool of recycled blocks (pool.hpp): a tensor of a
// few floats then costs a few list operations instead of three mallocs. Blocks are 64-byte
// aligned, so the matmul kernel can use aligned vector loads on fresh buffers.
Storage::Storage(int64_t n) : size(n) {
  data = static_cast<float*>(pool_allocate(sizeof(float) * std::max<int64_t>(n, 1)));
}

Storage::~Storage() { pool_free(data, sizeof(float) * std::max<int64_t>(size, 1)); }

namespace {
// Ids count per thread, so a run's ids (and its traces) do not depend on what other threads do.
constinit thread_local uint64_t t_last_id = 0;
}  // namespace

uint64_t next_id(uint64_t after) {
  t_last_id = std::max(t_last_id, after) + 1;
  return t_last_id;
}

namespace {
// The buffer of a new tensor. Running out of memory is a glimpse::Error naming the op and the size.
std::shared_ptr<Storage> allocate_storage(const Shape& shape, const char* op, Loc loc) {
  const int64_t n = checked_numel(shape, op, loc);
  const auto out_of_memory = [&] {
    return Error(op,
                 fmt::format("out of memory: a tensor of shape {} needs {} floats ({:.4g} GiB)", to_string(shape),
                             n, static_cast<double>(n) * sizeof(float) / (1 << 30)),
                 loc);
  };
  if (static_cast<uint64_t>(n) > PTRDIFF_MAX / sizeof(float)) throw out_of_memory();  // beyond any address space
  try {
    return std::allocate_shared<Storage>(PoolAllocator<Storage>(), n);
  } catch (const std::bad_alloc&) {
    throw out_of_memory();
  }
}
}  // namespace

Tensor empty(const Shape& shape, const char* op, Loc loc) {
  std::shared_ptr<Storage> storage = allocate_storage(shape, op, loc);
  auto node = std::allocate_shared<Node>(PoolAllocator<Node>());
  node->storage = std::move(storage);
  node->shape = shape;
  node->strides = contiguous_strides(shape);
  node->id = next_id();
  return Tensor(std::move(node));
}

Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset) {
  checked_numel(shape, "view", Loc::current());  // views build shapes too (expand): it must be countable
  auto node = std::allocate_shared<Node>(PoolAllocator<Node>());
  node->storage = base.node()->storage;
  node->shape = shape;
  node->strides = strides;
  node->offset = offset;
  node->id = next_id();
  return Tensor(std::move(node));
}

void copy_into(Tensor& dst, const Tensor& src) {
  const Shape src_strides = broadcast_strides(src.shape(), src.strides(), dst.shape());
  const Shape* strides[3] = {&dst.strides(), &src_strides, nullptr};
  int64_t base[3] = {0, 0, 0};
  float* d = dst.data();
  const float* s = src.data();
  // Row by row: a contiguous row (or one value broadcast along it) gets a loop of its own.
  const int nd = dst.dim();
  const int64_t inner = nd == 0 ? 1 : dst.shape()[nd - 1];
  const int64_t sd = nd == 0 ? 0 : dst.strides()[nd - 1], ss = nd == 0 ? 0 : src_strides[nd - 1];
  const auto copy_row = [&](int64_t od, int64_t os, int64_t) {
    if (sd == 1 && ss == 1) {
      std::copy(s + os, s + os + inner, d + od);
    } else {
      for (int64_t k = 0; k < inner; ++k) d[od + k * sd] = s[os + k * ss];
    }
  };
  // Rows go to several threads only when no two rows write one element (dst is no broadcast
  // view: a stride of 0 along a longer dim would make them race).
  bool writes_each_element_once = true;
  for (int i = 0; i < nd; ++i) writes_each_element_once &= dst.strides()[i] != 0 || dst.shape()[i] == 1;
  if (writes_each_element_once) {
    for_each_row_split(dst.shape(), strides, base, copy_row);
  } else {
    for_each_row(dst.shape(), strides, base, copy_row);
  }
}

}  // namespace detail

[[noreturn]] void detail::throw_undefined(const char* op, Loc loc) {
  throw Error(op,
              "got an undefined Tensor (default-constructed, like torch::Tensor()): it has no shape "
              "and no data; give it a value first, e.g. zeros({...})",
              loc);
}

// ---- IndexTensor --------------------------------------------------------------------------

IndexTensor::IndexTensor(std::vector<int64_t> v, Shape s, Loc loc)
    : values(std::move(v)), shape(s) {
  detail::check(glimpse::numel(shape) == static_cast<int64_t>(values.size()), "IndexTensor", loc, [&] {
    return fmt::format("{} values do not fill shape {}", values.size(), to_string(shape));
  });
}

IndexTensor::IndexTensor(std::initializer_list<int64_t> v)
    : values(v), shape{static_cast<int64_t>(v.size())} {}

IndexTensor::IndexTensor(std::vector<int64_t> v)
    : values(std::move(v)), shape{static_cast<int64_t>(values.size())} {}

// ---- shape queries ------------------------------------------------------------------------

int64_t Tensor::size(int64_t d, Loc loc) const {
  return shape(loc)[normalize_dim(d, dim(loc), "size", loc)];
}

bool Tensor::is_contiguous() const { return glimpse::is_contiguous(shape(), strides()); }

float Tensor::item(Loc loc) const {
  detail::check_defined({this}, "item", loc);
  detail::check(numel() == 1, "item", loc, [&] {
    return fmt::format("item() needs a tensor with one element, got shape {}", to_string(shape()));
  });
  return *data();
}

float Tensor::at(std::initializer_list<int64_t> index, Loc loc) const {
  detail::check_defined({this}, "at", loc);
  detail::check(static_cast<int>(index.size()) == dim(), "at", loc, [&] {
    return fmt::format("{} indices given for a tensor of shape {}", index.size(), to_string(shape()));
  });
  int64_t off = 0;
  int d = 0;
  for (int64_t i : index) {
    detail::check(i >= 0 && i < shape()[d], "at", loc, [&] {
      return fmt::format("index {} is out of range for dim {} of shape {}", i, d, to_string(shape()));
    });
    off += i * strides()[d++];
  }
  return data()[off];
}

std::vector<float> Tensor::to_vector(Loc loc) const {
  const Tensor c = contiguous(loc);
  return std::vector<float>(c.data(), c.data() + c.numel());
}

// ---- autograd -----------------------------------------------------------------------------

Tensor& Tensor::requires_grad_(bool enabled, Loc loc) {
  detail::check(!checked("requires_grad_", loc).backward, "requires_grad_", loc, [] {
    return std::string(
        "only leaf tensors (ones you created, not results of ops that track grad) can change "
        "requires_grad; use detach() first to make a new leaf");
  });
  node_->requires_grad = enabled;
  return *this;
}

Tensor Tensor::grad(Loc loc) const { return checked("grad", loc).grad; }

void Tensor::zero_grad(Loc loc) { checked("zero_grad", loc).grad = Tensor(); }

void Tensor::backward(Loc loc) const {
  detail::check_defined({this}, "backward", loc);
  detail::check(numel() == 1, "backward", loc, [&] {
    return fmt::format(
        "backward() without a gradient needs a scalar (one element), but this tensor has shape "
        "{}; call backward(grad) with a grad of that shape",
        to_string(shape()));
  });
  detail::run_backward(*this, ones(shape()), false, loc);
}

void Tensor::backward(const Tensor& grad, bool retain_graph, Loc loc) const {
  detail::run_backward(*this, grad, retain_graph, loc);
}

void Tensor::retain_grad(Loc loc) {
  detail::check_defined({this}, "retain_grad", loc);
  detail::check(requires_grad(), "retain_grad", loc, [] {
    return std::string("retain_grad() on a tensor that does not require grad");
  });
  node_->retains_grad = true;
}

Tensor Tensor::detach(Loc loc) const {
  return detail::make_view(*this, shape(loc), strides(), offset());
}

bool Tensor::is_leaf(Loc loc) const {
  const detail::Node& node = checked("is_leaf", loc);
  return !node.backward && !node.graph_freed;
}

std::string Tensor::op_name(Loc loc) const { return checked("op_name", loc).op ? node_->op : ""; }

std::string Tensor::grad_fn_name(Loc loc) const {
  checked("grad_fn_name", loc);
  // A leaf has no grad_fn, even when an op made its values (ones({2, 3}).t().requires_grad_()).
  if (!node_->requires_grad || !node_->op || is_leaf()) return "";
  // "log_softmax" → "LogSoftmaxBackward"
  std::string out;
  bool upper = true;
  for (const char* c = node_->op; *c; ++c) {
    if (*c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(*c))) : *c;
    upper = false;
  }
  return out + "Backward";
}

const std::vector<Tensor>& Tensor::inputs(Loc loc) const { return checked("inputs", loc).inputs; }

// ---- factories ----------------------------------------------------------------------------

namespace {
void check_sizes(const Shape& shape, const char* op, Loc loc) {
  for (int64_t d : shape)
    detail::check(d >= 0, op, loc, [&] {
      return fmt::format("negative size in shape {}", to_string(shape));
    });
  detail::checked_numel(shape, op, loc);
}
}  // namespace

Tensor full(const Shape& shape, float value, Loc loc) {
  check_sizes(shape, "full", loc);
  Tensor t = detail::empty(shape, "full", loc);
  std::fill_n(t.data(), t.numel(), value);
  return t;
}
Tensor zeros(const Shape& shape, Loc loc) { return full(shape, 0.0f, loc); }
Tensor ones(const Shape& shape, Loc loc) { return full(shape, 1.0f, loc); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape()); }
Tensor scalar_tensor(float value) { return full(Shape{}, value); }

Tensor arange(int64_t n, Loc loc) { return arange(0.0f, static_cast<float>(n), 1.0f, loc); }

Tensor arange(float start, float end, float step, Loc loc) {
  detail::check(step != 0.0f && (end - start) / step >= 0, "arange", loc, [&] {
    return fmt::format("cannot go from {} to {} in steps of {}", start, end, step);
  });
  const auto n = static_cast<int64_t>(std::ceil((end - start) / step));
  Tensor t = detail::empty(Shape{n}, "arange", loc);
  for (int64_t i = 0; i < n; ++i) t.data()[i] = start + step * static_cast<float>(i);
  return t;
}

Tensor from_vector(const std::vector<float>& values, const Shape& shape, Loc loc) {
  check_sizes(shape, "from_vector", loc);
  detail::check(numel(shape) == static_cast<int64_t>(values.size()), "from_vector", loc, [&] {
    return fmt::format("{} values cannot fill shape {} ({} elements)", values.size(),
                       to_string(shape), numel(shape));
  });
  Tensor t = detail::empty(shape, "from_vector", loc);
  std::copy(values.begin(), values.end(), t.data());
  return t;
}

Tensor from_vector(const std::vector<float>& values) {
  return from_vector(values, Shape{static_cast<int64_t>(values.size())});
}

Tensor randn(const Shape& shape, Generator& gen, Loc loc) {
  check_sizes(shape, "randn", loc);
  Tensor t = detail::empty(shape, "randn", loc);
  for (int64_t i = 0, n = t.numel(); i < n; ++i) t.data()[i] = gen.normal();
  return t;
}
Tensor randn(const Shape& shape, Loc loc) { return randn(shape, default_generator(), loc); }

Tensor rand(const Shape& shape, Generator& gen, Loc loc) {
  check_sizes(shape, "rand", loc);
  Tensor t = detail::empty(shape, "rand", loc);
  for (int64_t i = 0, n = t.numel(); i < n; ++i) t.data()[i] = gen.uniform();
  return t;
}
Tensor rand(const Shape& shape, Loc loc) { return rand(shape, default_generator(), loc); }

// ---- methods that forward to the free functions ------------------------------------------

Tensor Tensor::sum(Loc loc) const { return glimpse::sum(*this, loc); }
Tensor Tensor::sum(const Shape& dims, bool keepdim, Loc loc) const {
  return glimpse::sum(*this, dims, keepdim, loc);
}
Tensor Tensor::mean(Loc loc) const { return glimpse::mean(*this, loc); }
Tensor Tensor::mean(const Shape& dims, bool keepdim, Loc loc) const {
  return glimpse::mean(*this, dims, keepdim, loc);
}
Tensor Tensor::max(Loc loc) const { return glimpse::max(*this, loc); }
Tensor Tensor::max(int64_t d, bool keepdim, Loc loc) const {
  return glimpse::max(*this, d, keepdim, loc);
}
Tensor Tensor::matmul(const Tensor& other, Loc loc) const { return glimpse::matmul(*this, other, loc); }
Tensor Tensor::tanh(Loc loc) const { return glimpse::tanh(*this, loc); }
Tensor Tensor::sigmoid(Loc loc) const { return glimpse::sigmoid(*this, loc); }
Tensor Tensor::relu(Loc loc) const { return glimpse::relu(*this, loc); }
Tensor Tensor::exp(Loc loc) const { return glimpse::exp(*this, loc); }
Tensor Tensor::log(Loc loc) const { return glimpse::log(*this, loc); }
Tensor Tensor::softmax(int64_t d, Loc loc) const { return glimpse::softmax(*this, d, loc); }
Tensor Tensor::log_softmax(int64_t d, Loc loc) const { return glimpse::log_softmax(*this, d, loc); }

}  // namespace glimpse
