// Tests for autograd/matmul.cpp and autograd/kernels/gemm.cpp: the readable kernel is the
// reference; the small loops, the blocked kernel, the dispatching `gemm` and the matmul op must
// give exactly its bits (each element is one FMA chain in order of p, on every path).
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/kernels/gemm.hpp"
#include "autograd_test_util.hpp"

using namespace glimpse;
using glimpse::test::gradcheck;
using glimpse::test::randn_leaf;
using glimpse::test::strided_randn_leaf;
using glimpse::test::values_near;
using Inputs = std::vector<Tensor>;

namespace {

// C = A·B for 2-D tensors of any layout, by the textbook triple loop over .at().
Tensor naive_matmul_2d(const Tensor& a, const Tensor& b) {
  const int64_t m = a.shape()[0], k = a.shape()[1], n = b.shape()[1];
  std::vector<float> c(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0.0;
      for (int64_t p = 0; p < k; ++p) acc += static_cast<double>(a.at({i, p})) * b.at({p, j});
      c[i * n + j] = static_cast<float>(acc);
    }
  return from_vector(c, {m, n});
}

// |x - y| <= tol * max(1, |y|) for every element; names the first that differs.
::testing::AssertionResult all_close(const std::vector<float>& x, const std::vector<float>& y, float tol) {
  if (x.size() != y.size()) return ::testing::AssertionFailure() << "sizes differ: " << x.size() << " vs " << y.size();
  for (size_t i = 0; i < x.size(); ++i)
    if (!(std::fabs(x[i] - y[i]) <= tol * std::max(1.0f, std::fabs(y[i]))))
      return ::testing::AssertionFailure() << "element " << i << ": " << x[i] << " vs " << y[i];
  return ::testing::AssertionSuccess();
}

std::vector<float> random_values(int64_t n, Generator& gen) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = gen.uniform(-1.0f, 1.0f);
  return v;
}

}  // namespace

// ---- forward values -----------------------------------------------------------------------

TEST(MatmulForward, TwoByHand) {
  const Tensor a = from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = from_vector({7, 8, 9, 10, 11, 12}, {3, 2});
  EXPECT_TRUE(values_near(matmul(a, b), {2, 2}, {58, 64, 139, 154}));
  EXPECT_TRUE(values_near(a.matmul(b), {2, 2}, {58, 64, 139, 154}));
  EXPECT_TRUE(values_near(matmul(b, a), {3, 3}, {39, 54, 69, 49, 68, 87, 59, 82, 105}));
}

TEST(MatmulForward, VectorCases) {
  const Tensor u = from_vector({1, 2, 3});
  const Tensor v = from_vector({4, 5, 6});
  EXPECT_TRUE(values_near(matmul(u, v), Shape{}, {32}));  // dot product: a 0-d tensor
  const Tensor m = from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_TRUE(values_near(matmul(m, u), {2}, {14, 32}));
  EXPECT_TRUE(values_near(matmul(from_vector({1, 1}), m), {3}, {5, 7, 9}));
  // Batched matrix times a vector, and a vector times a batch.
  const Tensor bm = arange(12).reshape({2, 2, 3});
  EXPECT_TRUE(values_near(matmul(bm, u), {2, 2}, {8, 26, 44, 62}));
  EXPECT_TRUE(values_near(matmul(from_vector({1, -1}), bm), {2, 3}, {-3, -3, -3, -3, -3, -3}));
}

TEST(MatmulForward, TransposedOperandsAreReadInPlace) {
  Generator gen(61);
  const Tensor a = randn({5, 7}, gen);
  const Tensor b = randn({4, 7}, gen);
  const Tensor c = randn({5, 4}, gen);
  EXPECT_TRUE(test::tensors_near(matmul(a, b.t()), naive_matmul_2d(a, b.t()), 1e-5f));
  EXPECT_TRUE(test::tensors_near(matmul(a.t(), c), naive_matmul_2d(a.t(), c), 1e-5f));
  EXPECT_TRUE(test::tensors_near(matmul(c.t(), a), naive_matmul_2d(c.t(), a), 1e-5f));
  EXPECT_TRUE(test::tensors_near(matmul(b, a.t()), naive_matmul_2d(b, a.t()), 1e-5f));
  // Slices with a row stride larger than their width, and a step that forces a copy.
  const Tensor wide = randn({6, 10}, gen);
  EXPECT_TRUE(test::tensors_near(matmul(wide.narrow(1, 2, 5), a.t().narrow(0, 0, 5)),
                                 naive_matmul_2d(wide.narrow(1, 2, 5), a.t().narrow(0, 0, 5)), 1e-5f));
  EXPECT_TRUE(test::tensors_near(matmul(wide.slice(1, 0, 10, 2), a), naive_matmul_2d(wide.slice(1, 0, 10, 2), a), 1e-5f));
  // An expanded (stride 0) operand.
  const Tensor row = randn({1, 7}, gen);
  EXPECT_TRUE(test::tensors_near(matmul(row.expand({3, 7}), b.t()), naive_matmul_2d(row.expand({3, 7}), b.t()), 1e-5f));
}

TEST(MatmulForward, BatchedWithBroadcastBatchDims) {
  Generator gen(62);
  const Tensor a = randn({2, 1, 3, 4}, gen);
  const Tensor b = randn({5, 4, 2}, gen);
  const Tensor c = matmul(a, b);
  ASSERT_TRUE((c.shape() == Shape{2, 5, 3, 2}));
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 5; ++j)
      EXPECT_TRUE(test::tensors_near(c.select(0, i).select(0, j),
                                     naive_matmul_2d(a.select(0, i).select(0, 0), b.select(0, j)), 1e-5f))
          << "batch " << i << ", " << j;
  // [B, n, k] · [k, m]: the matrix is shared by the whole batch.
  const Tensor x = randn({3, 2, 4}, gen);
  const Tensor w = randn({4, 5}, gen);
  const Tensor y = matmul(x, w);
  ASSERT_TRUE((y.shape() == Shape{3, 2, 5}));
  for (int64_t i = 0; i < 3; ++i)
    EXPECT_TRUE(test::tensors_near(y.select(0, i), naive_matmul_2d(x.select(0, i), w), 1e-5f));
  // Transposed batch operands (views).
  const Tensor bt = randn({5, 2, 4}, gen).transpose(-1, -2);
  const Tensor d = matmul(a, bt);
  for (int64_t j = 0; j < 5; ++j)
    EXPECT_TRUE(test::tensors_near(d.select(0, 1).select(0, j),
                                   naive_matmul_2d(a.select(0, 1).select(0, 0), bt.select(0, j)), 1e-5f));
}

TEST(MatmulForward, LargeProductsMatchTheReference) {
  // Big enough for the fast path (OpenBLAS or the blocked kernel) to take over.
  Generator gen(63);
  const Tensor a = randn({70, 50}, gen);
  const Tensor b = randn({50, 90}, gen);
  EXPECT_TRUE(test::tensors_near(matmul(a, b), naive_matmul_2d(a, b), 1e-4f));
  // The same against the library's own readable kernel.
  std::vector<float> ref(70 * 90);
  detail::gemm_reference(70, 90, 50, {a.data(), 50, false}, {b.data(), 90, false}, 0.0f, ref.data(), 90);
  EXPECT_TRUE(all_close(matmul(a, b).to_vector(), ref, 1e-4f));
  const Tensor at = randn({50, 70}, gen).t();
  const Tensor bt = randn({90, 50}, gen).t();
  EXPECT_TRUE(test::tensors_near(matmul(at, bt), naive_matmul_2d(at, bt), 1e-4f));
}

TEST(MatmulForward, ArbitraryStridesOnSizeOneDims) {
  // A size-1 dim may carry any stride (0 after expand, anything after a transpose); such a
  // tensor counts as contiguous, so it reaches the kernel as it is. Large enough for the fast
  // path, whose leading-dimension rules (BLAS's lda >= max(1, rows)) must still hold.
  Generator gen(60);
  const Tensor x = randn({300}, gen);
  const Tensor col = x.expand({1, 300}).t();  // [300, 1] with strides [1, 0]
  ASSERT_TRUE((col.strides() == Shape{1, 0}));
  const Tensor row = randn({1, 200}, gen);
  EXPECT_TRUE(test::tensors_near(matmul(col, row), naive_matmul_2d(col, row), 1e-5f));
  const Tensor row0 = randn({200}, gen).expand({1, 200});  // [1, 200] with strides [0, 1]
  EXPECT_TRUE(test::tensors_near(matmul(col, row0), naive_matmul_2d(col, row0), 1e-5f));
  const Tensor tall = randn({200, 300}, gen);
  EXPECT_TRUE(test::tensors_near(matmul(tall, col), naive_matmul_2d(tall, col), 1e-4f));
  EXPECT_TRUE(test::tensors_near(matmul(row0, tall), naive_matmul_2d(row0, tall), 1e-4f));
}

TEST(MatmulForward, EmptyInnerDimGivesZeros) {
  const Tensor c = matmul(zeros({2, 0}), zeros({0, 3}));
  EXPECT_TRUE(values_near(c, {2, 3}, {0, 0, 0, 0, 0, 0}));
}

// ---- kernels ------------------------------------------------------------------------------

struct GemmCase {
  int64_t m, n, k;
  bool ta, tb;
  float beta;
};

class GemmKernels : public ::testing::TestWithParam<GemmCase> {};

TEST_P(GemmKernels, EveryInHousePathGivesTheReferenceBits) {
  const GemmCase p = GetParam();
  Generator gen(static_cast<uint64_t>(p.m * 1000 + p.n * 10 + p.k));
  // Leading dims a bit larger than needed, so row strides are exercised too.
  const int64_t lda = (p.ta ? p.m : p.k) + 3, ldb = (p.tb ? p.k : p.n) + 2, ldc = p.n + 1;
  const std::vector<float> a = random_values((p.ta ? p.k : p.m) * lda, gen);
  const std::vector<float> b = random_values((p.tb ? p.n : p.k) * ldb, gen);
  const std::vector<float> c0 = random_values(p.m * ldc, gen);
  const detail::MatrixRef ra{a.data(), lda, p.ta}, rb{b.data(), ldb, p.tb};
  std::vector<float> ref = c0, blocked = c0, small = c0, few_rows = c0, narrow = c0, fast = c0;
  detail::gemm_reference(p.m, p.n, p.k, ra, rb, p.beta, ref.data(), ldc);
  detail::gemm_blocked(p.m, p.n, p.k, ra, rb, p.beta, blocked.data(), ldc);
  detail::gemm_small(p.m, p.n, p.k, ra, rb, p.beta, small.data(), ldc);
  detail::gemm_few_rows(p.m, p.n, p.k, ra, rb, p.beta, few_rows.data(), ldc);
  detail::gemm_narrow(p.m, p.n, p.k, ra, rb, p.beta, narrow.data(), ldc);
  ASSERT_EQ(detail::gemm_backend(), detail::GemmBackend::glimpse) << "the default backend";
  detail::gemm(p.m, p.n, p.k, ra, rb, p.beta, fast.data(), ldc);
  // Bit for bit (the padding column j = n included: it is never written).
  EXPECT_EQ(blocked, ref) << "blocked";
  EXPECT_EQ(small, ref) << "small";
  EXPECT_EQ(few_rows, ref) << "few rows";
  EXPECT_EQ(narrow, ref) << "narrow";
  EXPECT_EQ(fast, ref) << "gemm";
  // And the reference is a matrix product: within float rounding of a double-precision sum.
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t j = 0; j < p.n; ++j) {
      double exact = p.beta == 0.0f ? 0.0 : static_cast<double>(p.beta) * c0[i * ldc + j];
      double magnitude = std::fabs(exact);
      for (int64_t q = 0; q < p.k; ++q) {
        const double x = p.ta ? a[q * lda + i] : a[i * lda + q], y = p.tb ? b[j * ldb + q] : b[q * ldb + j];
        exact += x * y;
        magnitude += std::fabs(x * y);
      }
      EXPECT_NEAR(ref[i * ldc + j], exact, 1e-6 * magnitude + 1e-30) << "element " << i << "," << j;
    }
}

TEST(GemmKernels, BackendsByName) {
  EXPECT_EQ(detail::parse_gemm_backend("glimpse"), detail::GemmBackend::glimpse);
  EXPECT_EQ(detail::parse_gemm_backend("reference"), detail::GemmBackend::reference);
  EXPECT_EQ(detail::parse_gemm_backend("openblas"), detail::GemmBackend::openblas);
  EXPECT_FALSE(detail::parse_gemm_backend("blocked").has_value());
  EXPECT_EQ(matmul_backend(), "glimpse");
  EXPECT_THROW(set_matmul_backend("fast"), Error);
  // The reference backend gives the same bits as the default, here on a product that takes the
  // blocked kernel (k > one 512-deep panel) and one that takes the small loops.
  Generator gen(65);
  for (const Shape& sizes : {Shape{70, 1030, 40}, Shape{3, 20, 7}}) {
    const Tensor x = randn({sizes[0], sizes[1]}, gen), w = randn({sizes[2], sizes[1]}, gen).t();
    const std::vector<float> by_default = matmul(x, w).to_vector();
    set_matmul_backend("reference");
    const std::vector<float> by_reference = matmul(x, w).to_vector();
    set_matmul_backend("glimpse");
    EXPECT_EQ(by_default, by_reference) << to_string(sizes);
  }
  if (!detail::openblas_available()) {
    EXPECT_THROW(set_matmul_backend("openblas"), Error);
  }
}

TEST(GemmKernels, ReferenceByHand) {
  const std::vector<float> a = {1, 2, 3, 4, 5, 6};     // 2×3
  const std::vector<float> b = {7, 8, 9, 10, 11, 12};  // 3×2
  std::vector<float> c = {1, 1, 1, 1};
  detail::gemm_reference(2, 2, 3, {a.data(), 3, false}, {b.data(), 2, false}, 0.0f, c.data(), 2);
  EXPECT_EQ(c, (std::vector<float>{58, 64, 139, 154}));
  c = {1, 1, 1, 1};
  detail::gemm_reference(2, 2, 3, {a.data(), 3, false}, {b.data(), 2, false}, 2.0f, c.data(), 2);
  EXPECT_EQ(c, (std::vector<float>{60, 66, 141, 156}));
  // Aᵀ (3×2 stored as 2×3) times itself read as a 2×3: AᵀA is 3×3.
  std::vector<float> ata(9);
  detail::gemm_reference(3, 3, 2, {a.data(), 3, true}, {a.data(), 3, false}, 0.0f, ata.data(), 3);
  EXPECT_EQ(ata, (std::vector<float>{17, 22, 27, 22, 29, 36, 27, 36, 45}));
}

INSTANTIATE_TEST_SUITE_P(
    Sizes, GemmKernels,
    ::testing::Values(GemmCase{1, 1, 1, false, false, 0.0f}, GemmCase{3, 5, 7, false, false, 0.0f},
                      GemmCase{3, 5, 7, true, true, 1.0f}, GemmCase{4, 16, 8, false, true, 0.0f},
                      GemmCase{17, 33, 9, true, false, 0.5f}, GemmCase{70, 90, 50, false, false, 0.0f},
                      GemmCase{70, 90, 50, true, false, 0.0f}, GemmCase{70, 90, 50, false, true, 1.0f},
                      GemmCase{70, 90, 50, true, true, 0.0f}, GemmCase{65, 17, 300, false, false, 0.0f},
                      GemmCase{130, 31, 257, true, true, -1.0f},
                      // Deeper than one packed panel (512): the chain goes on across panels.
                      GemmCase{40, 70, 1100, false, true, 0.0f}, GemmCase{33, 45, 600, true, false, 0.5f},
                      // Degenerate shapes dispatched to the plain loops: one column, one row, rank 1.
                      GemmCase{200, 1, 300, false, false, 0.0f}, GemmCase{200, 1, 300, false, true, 1.0f},
                      GemmCase{150, 1, 64, true, false, 0.0f}, GemmCase{1, 200, 300, true, false, 0.0f},
                      GemmCase{1, 200, 300, false, true, 0.5f}, GemmCase{150, 120, 1, false, false, 0.5f},
                      // The small kernel's register tiles (4 rows or 1 with two vectors, 8 or 1 with one) and
                      // its scalar columns: attention's 32×32·32×32 per head, a decoder cell's
                      // 1×32·32×96, and rows/columns that leave every kind of remainder.
                      GemmCase{32, 32, 32, false, false, 0.0f}, GemmCase{32, 32, 32, false, true, 1.0f},
                      GemmCase{32, 32, 32, true, false, 0.0f}, GemmCase{1, 96, 32, false, false, 0.0f},
                      GemmCase{7, 57, 13, true, true, 0.5f}, GemmCase{6, 40, 20, false, false, -1.0f},
                      // Narrower than a vector: a ViT's 8-wide heads (P·V, dS·K) and a 10-way classifier.
                      GemmCase{50, 8, 50, false, false, 0.0f}, GemmCase{50, 8, 50, true, false, 0.0f},
                      GemmCase{50, 8, 50, false, true, 1.0f}, GemmCase{33, 10, 32, false, false, 0.5f},
                      // Few rows, many columns (gemm_few_rows): a decoder step's output layer
                      // forward (x·Wᵀ) and backward (dy·W), columns split across threads and ragged.
                      GemmCase{32, 1060, 128, false, true, 0.0f}, GemmCase{32, 128, 1060, false, false, 0.0f},
                      GemmCase{20, 300, 70, true, true, 1.0f}, GemmCase{7, 517, 40, true, false, 0.5f},
                      GemmCase{32, 200, 64, false, true, -1.0f},
                      // Few columns, many rows (gemm_narrow): an LSTM's dG·W_ih, attention's P·V,
                      // rows split across threads.
                      GemmCase{600, 64, 300, false, false, 0.0f}, GemmCase{600, 64, 300, false, true, 1.0f},
                      GemmCase{700, 30, 200, true, false, 0.5f}, GemmCase{2100, 40, 70, false, false, 0.0f}),
    [](const auto& info) {
      const GemmCase& p = info.param;
      return fmt::format("m{}n{}k{}{}{}{}", p.m, p.n, p.k, p.ta ? "_At" : "", p.tb ? "_Bt" : "",
                         p.beta != 0.0f ? "_beta" : "");
    });

// ---- gradients ----------------------------------------------------------------------------

TEST(MatmulGrad, TwoDims) {
  Generator gen(64);
  const Tensor a = randn_leaf({3, 4}, gen);
  const Tensor b = randn_leaf({4, 2}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return matmul(x[0], x[1]); }, {a, b}));
}

TEST(MatmulGrad, VectorCases) {
  Generator gen(65);
  const Tensor u = randn_leaf({4}, gen);
  const Tensor v = randn_leaf({4}, gen);
  const Tensor m = randn_leaf({3, 4}, gen);
  const Tensor bm = randn_leaf({2, 4, 3}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return matmul(x[0], x[1]); }, {u, v}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return matmul(x[0], x[1]); }, {m, u}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return matmul(x[0], x[1].t()); }, {u, m}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return matmul(x[0], x[1]); }, {u, bm}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return matmul(x[1].transpose(-1, -2), x[0]); }, {u, bm}));
}

TEST(MatmulGrad, BatchedWithBroadcastBatchDims) {
  Generator gen(66);
  const Tensor a = randn_leaf({2, 1, 3, 4}, gen);
  const Tensor b = randn_leaf({5, 4, 2}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return matmul(x[0], x[1]); }, {a, b}));
  const Tensor x3 = randn_leaf({3, 2, 4}, gen);
  const Tensor w = randn_leaf({4, 5}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return matmul(x[0], x[1]); }, {x3, w}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return matmul(x[1].t(), x[0].transpose(1, 2)); }, {x3, w}));
}

TEST(MatmulGrad, TransposedOperandsGetGradientsInTheirOwnLayout) {
  // matmul(x, Wᵀ) as in a Linear layer: Wᵀ's gradient is computed as (dCᵀ·x)ᵀ, so W's arrives
  // contiguous; the values must be those of the plain formula Aᵀ·dC.
  Generator gen(70);
  const Tensor x = randn_leaf({5, 4}, gen), w = randn_leaf({3, 4}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& v) { return matmul(v[0], v[1].t()); }, {x, w}));
  EXPECT_TRUE(gradcheck([](const Inputs& v) { return matmul(v[1], v[0].t()); }, {x, w}));
  const Tensor g = randn({5, 3}, gen);
  const Tensor x2 = test::leaf(x), w2 = test::leaf(w);  // fresh leaves: gradcheck left grads on x, w
  mul(matmul(x2, w2.t()), g).sum().backward();
  EXPECT_TRUE(w2.grad().is_contiguous());
  EXPECT_TRUE(test::tensors_near(w2.grad(), matmul(g.t(), x)));
  EXPECT_TRUE(test::tensors_near(x2.grad(), matmul(g, w)));
}

TEST(MatmulForward, ABatchTimesAMatrixIsOneProduct) {
  // [..., m, k]·[k, n] with a contiguous left side runs as one [(...·m), k]·[k, n] product.
  Generator gen(71);
  const Tensor a = randn_leaf({2, 3, 4}, gen), b = randn_leaf({4, 5}, gen);
  const Tensor c = matmul(a, b);
  EXPECT_EQ(c.shape(), (Shape{2, 3, 5}));
  for (int64_t i = 0; i < 2; ++i) EXPECT_TRUE(test::tensors_near(c.select(0, i), matmul(a.select(0, i), b)));
  EXPECT_TRUE(gradcheck([](const Inputs& v) { return matmul(v[0], v[1]); }, {a, b}));
  EXPECT_TRUE(gradcheck([](const Inputs& v) { return matmul(v[0], v[1].t()); }, {a, randn_leaf({5, 4}, gen)}));
}

TEST(MatmulGrad, StridedLeaves) {
  Generator gen(67);
  const Tensor a = strided_randn_leaf({3, 4}, gen);  // column-major view with an offset
  const Tensor b = strided_randn_leaf({4, 5}, gen);
  ASSERT_FALSE(a.is_contiguous());
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return matmul(x[0], x[1]); }, {a, b}));
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return matmul(x[1].t(), x[0].t()); }, {a, b}));
  const Tensor c = strided_randn_leaf({2, 3, 4}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return matmul(x[0], x[1]); }, {c, b}));
}

TEST(MatmulGrad, OnlyOneSideRequiresGrad) {
  Generator gen(68);
  const Tensor a = randn_leaf({3, 4}, gen);
  const Tensor b = randn({4, 2}, gen);
  EXPECT_TRUE(gradcheck([](const Inputs& x) { return matmul(x[0], x[1]); }, {a, b}));
  EXPECT_FALSE(b.grad().defined());
}

TEST(MatmulGrad, ByHand) {
  Tensor a = from_vector({1, 2, 3, 4}, {2, 2});
  Tensor b = from_vector({5, 6, 7, 8}, {2, 2});
  a.requires_grad_();
  b.requires_grad_();
  Tensor c = matmul(a, b);
  EXPECT_EQ(c.grad_fn_name(), "MatmulBackward");
  c.sum().backward();
  // dA = 1·Bᵀ: row sums of B; dB = Aᵀ·1: column sums of A.
  EXPECT_TRUE(values_near(a.grad(), {2, 2}, {11, 15, 11, 15}));
  EXPECT_TRUE(values_near(b.grad(), {2, 2}, {4, 4, 6, 6}));
}

TEST(MatmulGrad, LargeProductGradientMatchesReference) {
  // dA = G·Bᵀ through the fast path, checked against the naive product.
  Generator gen(69);
  Tensor a = randn({70, 50}, gen);
  Tensor b = randn({50, 90}, gen);
  a.requires_grad_();
  b.requires_grad_();
  const Tensor g = randn({70, 90}, gen);
  matmul(a, b).backward(g);
  EXPECT_TRUE(test::tensors_near(a.grad(), naive_matmul_2d(g, b.t()), 1e-4f));
  EXPECT_TRUE(test::tensors_near(b.grad(), naive_matmul_2d(a.t(), g), 1e-4f));
}
