// Lesson 03: matmul. Forward C = A·B; backward dA = dC·Bᵀ and dB = Aᵀ·dC. The transposes are
// views, and the kernel reads a transposed operand in place, so backward copies nothing.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <vector>

#include "autograd/kernels/gemm.hpp"
#include "autograd/kernels/parallel.hpp"
#include "autograd/ops.hpp"
#include "autograd/tape.hpp"

namespace glimpse {

using detail::check;
using detail::MatrixRef;
using detail::Node;

namespace {
// How the kernel reads an operand and runs the batched product: below matmul, after the math.
Tensor batched_matmul(const Tensor& a, const Tensor& b, Loc loc);
bool row_major(const Tensor& t);
bool column_major(const Tensor& t);
}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, Loc loc) {
  detail::check_defined({&a, &b}, "matmul", loc);
  detail::gemm_backend(loc);  // a bad GLIMPSE_GEMM is reported at the caller's line
  check(a.dim() >= 1 && b.dim() >= 1, "matmul", loc, [&] {
    return fmt::format("both operands need at least 1 dim, got shapes {} and {}", to_string(a.shape()),
                       to_string(b.shape()));
  });
  // Checked here, on the caller's shapes, before 1-D operands are promoted.
  const int64_t ka = a.shape()[a.dim() - 1], kb = b.shape()[b.dim() == 1 ? 0 : b.dim() - 2];
  check(ka == kb, "matmul", loc, [&] {
    return fmt::format("shapes {} and {} cannot be multiplied: inner sizes {} and {} differ",
                       to_string(a.shape()), to_string(b.shape()), ka, kb);
  });
  // 1-D operands are promoted to matrices and the added dim removed afterwards (torch.matmul).
  if (a.dim() == 1 && b.dim() == 1) return matmul(a.unsqueeze(0), b.unsqueeze(-1), loc).reshape(Shape{}, loc);
  if (a.dim() == 1) return matmul(a.unsqueeze(0), b, loc).squeeze(-2);
  if (b.dim() == 1) return matmul(a, b.unsqueeze(-1), loc).squeeze(-1);
  // [..., m, k] · [k, n] with row-major rows: one [(...·m), k] · [k, n] product (a Linear layer
  // on a batch of sequences) instead of a product per batch entry and, in backward, a stack of
  // per-entry weight gradients summed afterwards.
  if (a.dim() > 2 && b.dim() == 2 && a.is_contiguous()) {
    Shape out_shape = a.shape();
    out_shape[a.dim() - 1] = b.shape()[1];
    return matmul(a.reshape({-1, ka}, loc), b, loc).reshape(out_shape, loc);
  }
  Tensor out = batched_matmul(a, b, loc);
  // dA = dC·Bᵀ, dB = Aᵀ·dC (dC is `grad`), each summed over the batch dims it was broadcast along.
  detail::record(out, "matmul", {a, b}, [](const Node& result, const Tensor& grad, std::span<Tensor> grads) {
    const Tensor& a = result.inputs[0];
    const Tensor& b = result.inputs[1];
    Tensor& da = grads[0];
    Tensor& db = grads[1];
    // A 2-D operand that is a transposed view (Wᵀ in a Linear layer) gets its gradient in its
    // own layout, (Bᵀ·dCᵀ)ᵀ rather than dC·Bᵀ: the transpose's backward then hands W a
    // contiguous gradient, and summing W's gradients over time steps stays a straight loop.
    const bool plain = a.dim() == 2 && b.dim() == 2;
    auto transposed_view = [plain](const Tensor& t) { return plain && column_major(t) && !row_major(t); };
    if (a.requires_grad()) {
      if (transposed_view(a))
        da = batched_matmul(b, grad.transpose(0, 1), Loc::current()).transpose(0, 1);
      else
        da = sum_to_shape(batched_matmul(grad, b.transpose(-1, -2), Loc::current()), a.shape());
    }
    if (b.requires_grad()) {
      if (transposed_view(b))
        db = batched_matmul(grad.transpose(0, 1), a, Loc::current()).transpose(0, 1);
      else
        db = sum_to_shape(batched_matmul(a.transpose(-1, -2), grad, Loc::current()), b.shape());
    }
  });
  return out;
}

// ---- how the product runs -------------------------------------------------------------------

namespace {

// The strides of the last two dims as the kernel sees them. A size-1 dim is never stepped
// along, so its stride is arbitrary (0 after expand, anything after a transpose); give it the
// value a plain layout would have, so such tensors read in place and BLAS's ld >= rows holds.
struct MatrixStrides {
  int64_t row, col;
};
MatrixStrides matrix_strides(const Tensor& t) {
  const int d = t.dim();
  const int64_t rows = t.shape()[d - 2], cols = t.shape()[d - 1];
  MatrixStrides s{t.strides()[d - 2], t.strides()[d - 1]};
  if (rows == 1 && cols == 1) return {1, 1};
  if (rows == 1) s.row = s.col == 1 ? cols : 1;  // row-major if the columns are adjacent
  if (cols == 1) s.col = s.row == 1 ? rows : 1;  // column-major if the rows are adjacent
  return s;
}

// Can the last two dims be handed to the kernel as they are (row- or column-major)?
bool row_major(const Tensor& t) {
  const MatrixStrides s = matrix_strides(t);
  return s.col == 1 && s.row >= std::max<int64_t>(t.shape()[t.dim() - 1], 1);
}
bool column_major(const Tensor& t) {
  const MatrixStrides s = matrix_strides(t);
  return s.row == 1 && s.col >= std::max<int64_t>(t.shape()[t.dim() - 2], 1);
}
bool kernel_readable(const Tensor& t) { return row_major(t) || column_major(t); }

MatrixRef matrix_at(const Tensor& t, int64_t offset) {
  const float* p = t.data() + offset;
  const MatrixStrides s = matrix_strides(t);
  if (row_major(t)) return {p, s.row, false};
  return {p, s.col, true};
}

// The batched product of two tensors with >= 2 dims each.
Tensor batched_matmul(const Tensor& a_in, const Tensor& b_in, Loc loc) {
  const Tensor a = kernel_readable(a_in) ? a_in : a_in.contiguous();
  const Tensor b = kernel_readable(b_in) ? b_in : b_in.contiguous();
  const int da = a.dim(), db = b.dim();
  const int64_t m = a.shape()[da - 2], k = a.shape()[da - 1], n = b.shape()[db - 1];
  check(b.shape()[db - 2] == k, "matmul", loc, [&] {
    return fmt::format("shapes {} and {} cannot be multiplied: inner sizes {} and {} differ",
                       to_string(a.shape()), to_string(b.shape()), k, b.shape()[db - 2]);
  });
  Shape batch_a(std::span<const int64_t>(a.shape().begin(), da - 2));
  Shape batch_b(std::span<const int64_t>(b.shape().begin(), db - 2));
  Shape strides_a(std::span<const int64_t>(a.strides().begin(), da - 2));
  Shape strides_b(std::span<const int64_t>(b.strides().begin(), db - 2));
  bool batch_ok = true;  // batch dims broadcast like any elementwise op's dims
  for (int i = 1; i <= std::min(batch_a.size(), batch_b.size()); ++i) {
    const int64_t x = batch_a[batch_a.size() - i], y = batch_b[batch_b.size() - i];
    batch_ok = batch_ok && (x == y || x == 1 || y == 1);
  }
  check(batch_ok, "matmul", loc, [&] {
    return fmt::format("shapes {} and {} cannot be multiplied: batch dims {} and {} cannot be broadcast",
                       to_string(a.shape()), to_string(b.shape()), to_string(batch_a), to_string(batch_b));
  });
  const Shape batch = broadcast_shapes(batch_a, batch_b, "matmul", loc);
  Shape out_shape = batch;
  out_shape.push_back(m, loc);
  out_shape.push_back(n, loc);
  Tensor out = detail::empty(out_shape);

  // Walk the (broadcast) batch dims; offsets into a, b and out move together.
  const Shape sa = broadcast_strides(batch_a, strides_a, batch);
  const Shape sb = broadcast_strides(batch_b, strides_b, batch);
  Shape so = contiguous_strides(batch);
  for (int64_t& s : so) s *= m * n;
  const Shape* strides[3] = {&sa, &sb, &so};
  int64_t base[3] = {0, 0, 0};
  float* o = out.data();
  if (numel(batch) == 1) {  // one product: no batch to share out (gemm may still split its rows)
    detail::gemm(m, n, k, matrix_at(a, 0), matrix_at(b, 0), 0.0f, o, n);
    return out;
  }
  std::vector<std::array<int64_t, 3>> offsets;
  offsets.reserve(static_cast<size_t>(numel(batch)));
  detail::for_each_offset(batch, strides, base,
                          [&](int64_t oa, int64_t ob, int64_t oo) { offsets.push_back({oa, ob, oo}); });
  // The products of a batch (attention's, one per head) are independent: several threads may
  // take a share each, as many products as make kMultiplyAddsPerRange (parallel.hpp).
  const int64_t per_range =
      std::max<int64_t>(1, detail::kMultiplyAddsPerRange / std::max<int64_t>(m * n * k, 1));
  detail::parallel_for(static_cast<int64_t>(offsets.size()), per_range, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const auto [oa, ob, oo] = offsets[static_cast<size_t>(i)];
      detail::gemm(m, n, k, matrix_at(a, oa), matrix_at(b, ob), 0.0f, o + oo, n);
    }
  });
  return out;
}

}  // namespace

std::string matmul_backend(Loc loc) { return detail::gemm_backend_name(detail::gemm_backend(loc)); }

void set_matmul_backend(const std::string& name, Loc loc) {
  const auto backend = detail::parse_gemm_backend(name);
  check(backend.has_value(), "set_matmul_backend", loc,
        [&] { return fmt::format("unknown backend '{}': use glimpse, reference or openblas", name); });
  detail::set_gemm_backend(*backend, loc);
}

}  // namespace glimpse
