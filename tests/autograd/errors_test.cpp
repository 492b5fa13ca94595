// Tests for autograd/error.cpp and every error path of the ops: each message names the op, the
// shapes involved, and the caller's file and line ("op: message\n  at FILE:LINE").
#include <gtest/gtest.h>

#include <functional>

#include <memory>
#include <string>

#include "autograd_test_util.hpp"

using namespace glimpse;

namespace {

// Runs `f` and expects a glimpse::Error from op `op` whose message contains every string in
// `parts` and points at errors_test.cpp:`line`.
template <class F>
::testing::AssertionResult fails(F&& f, const std::string& op, int line, std::initializer_list<std::string> parts = {}) {
  try {
    f();
  } catch (const Error& e) {
    const std::string msg = e.what();
    if (e.op() != op) return ::testing::AssertionFailure() << "op is '" << e.op() << "', expected '" << op << "':\n" << msg;
    if (msg.rfind(op + ": ", 0) != 0)
      return ::testing::AssertionFailure() << "message does not start with '" << op << ": ':\n" << msg;
    for (const std::string& p : parts)
      if (msg.find(p) == std::string::npos)
        return ::testing::AssertionFailure() << "message lacks '" << p << "':\n" << msg;
    const std::string at = fmt::format("{}:{}", "errors_test.cpp", line);
    if (msg.find("\n  at ") == std::string::npos || msg.find(at) == std::string::npos)
      return ::testing::AssertionFailure() << "message does not point at " << at << ":\n" << msg;
    if (static_cast<int>(e.where().line()) != line)
      return ::testing::AssertionFailure() << "where() is line " << e.where().line() << ", expected " << line;
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw something other than glimpse::Error: " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}

Tensor grad_leaf(const Shape& shape) {
  Tensor t = ones(shape);
  t.requires_grad_();
  return t;
}

}  // namespace

TEST(Error, CarriesOpLocationAndFormat) {
  const Loc here = Loc::current();
  const Error e("my_op", "went wrong", here);
  EXPECT_EQ(e.op(), "my_op");
  EXPECT_EQ(e.where().line(), here.line());
  EXPECT_EQ(std::string(e.what()), fmt::format("my_op: went wrong\n  at {}:{}", here.file_name(), here.line()));
  const std::runtime_error& base = e;  // catchable as a standard exception
  EXPECT_NE(std::string(base.what()).find("went wrong"), std::string::npos);
}

// ---- broadcasting ---------------------------------------------------------------------------

TEST(Errors, BroadcastMismatchInEveryBinaryOp) {
  const Tensor a = ones({2, 3}), b = ones({4, 3});
  int line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { add(a, b); }, "add", line, {"[2, 3]", "[4, 3]", "cannot be broadcast"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { sub(a, b); }, "sub", line, {"[2, 3]", "[4, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { mul(a, b); }, "mul", line, {"[2, 3]", "[4, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { div(a, b); }, "div", line, {"[2, 3]", "[4, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { pow(a, b); }, "pow", line, {"[2, 3]", "[4, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { add(ones({3}), ones({4})); }, "add", line, {"[3]", "[4]"}));
}

TEST(Errors, OperatorsReportTheCallersLine) {
  const Tensor a = ones({2, 3}), b = ones({4, 3});
  int line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { return a + b; }, "add", line, {"[2, 3]", "[4, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { return a - b; }, "sub", line, {"[2, 3]", "[4, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { return a * b; }, "mul", line, {"[2, 3]", "[4, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { return a / b; }, "div", line, {"[2, 3]", "[4, 3]"}));
  // Inside a longer expression that spans two lines: g++ names the line where the expression
  // starts, clang the line of the operator's right operand.
#if defined(__clang__)
  constexpr int kRightOperand = 1;
#else
  constexpr int kRightOperand = 0;
#endif
  const Tensor c = ones({2, 3});
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { return tanh(c * 2.0f +
                                      b); }, "add", line + kRightOperand, {"[2, 3]", "[4, 3]"}));
}

// ---- matmul ---------------------------------------------------------------------------------

TEST(Errors, Matmul) {
  int line = __LINE__ + 1;
  EXPECT_TRUE(fails([] { matmul(ones({2, 3}), ones({4, 5})); }, "matmul", line, {"[2, 3]", "[4, 5]", "inner sizes 3 and 4"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([] { matmul(ones({3}), ones({4})); }, "matmul", line, {"[3]", "[4]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([] { matmul(ones({2, 3}), ones({4})); }, "matmul", line, {"[2, 3]", "[4]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([] { matmul(ones({2, 3, 4}), ones({3, 4, 5})); }, "matmul", line, {"[2, 3, 4]", "[3, 4, 5]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([] { matmul(scalar_tensor(1), ones({2})); }, "matmul", line, {"[]", "[2]"}));
  const Tensor a = ones({2, 3});
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a.matmul(a); }, "matmul", line, {"[2, 3]"}));
}

// ---- dims -----------------------------------------------------------------------------------

TEST(Errors, BadDims) {
  const Tensor a = ones({2, 3});
  int line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { softmax(a, 2); }, "softmax", line, {"dim 2", "2 dims"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { log_softmax(a, -3); }, "log_softmax", line, {"dim -3"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { sum(a, {5}); }, "sum", line, {"dim 5"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { mean(a, {2}, true); }, "sum", line, {"dim 2"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { max(a, 3); }, "max", line, {"dim 3"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { argmax(a, 2); }, "argmax", line, {"dim 2"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a.transpose(0, 2); }, "transpose", line, {"dim 2"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a.unsqueeze(4); }, "unsqueeze", line, {"dim 4"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a.squeeze(2); }, "squeeze", line, {"dim 2"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a.size(2); }, "size", line, {"dim 2"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a.permute({0}); }, "permute", line, {"[2, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a.permute({1, 1}); }, "permute", line, {"repeats"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { ones({2, 3, 4}).t(); }, "t", line, {"[2, 3, 4]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { scalar_tensor(1).softmax(0); }, "softmax", line, {"0-d"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { cat({a, a}, 2); }, "cat", line, {"dim 2"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { stack({a, a}, 4); }, "stack", line, {"dim 4"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { split(a, 1, 2); }, "split", line, {"dim 2"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { index_select(a, 2, {0}); }, "index_select", line, {"dim 2"}));
}

// ---- views ----------------------------------------------------------------------------------

TEST(Errors, Views) {
  const Tensor a = ones({2, 3});
  int line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a.t().view({6}); }, "view", line, {"[3, 2]", "contiguous", "reshape()"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a.reshape({4}); }, "reshape", line, {"[2, 3]", "[4]", "6 elements"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a.view({4, -1}); }, "view", line, {"[2, 3]", "[4, -1]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a.reshape({-1, -1}); }, "reshape", line, {"-1"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a.t().reshape({5}); }, "reshape", line, {"[3, 2]", "[5]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a.select(0, 2); }, "select", line, {"index 2", "[2, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a.select(1, -4); }, "select", line, {"index -4", "[2, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a.narrow(1, 2, 2); }, "narrow", line, {"[2, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a.slice(1, 0, 3, 0); }, "slice", line, {"step"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a.expand({4, 3}); }, "expand", line, {"[2, 3]", "[4, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a.expand({3}); }, "expand", line, {"[2, 3]", "[3]"}));
}

// ---- joining --------------------------------------------------------------------------------

TEST(Errors, Joining) {
  const Tensor a = ones({2, 3}), b = ones({2, 4});
  int line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { cat({a, b}, 0); }, "cat", line, {"[2, 4]", "[2, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { cat({a, ones({3})}, 0); }, "cat", line, {"[3]", "[2, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { cat({}, 0); }, "cat", line, {"at least one"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { stack({a, b}, 0); }, "stack", line, {"[2, 4]", "[2, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { split(a, std::vector<int64_t>{1, 1}, 1); }, "split", line, {"[2, 3]", "add up to 2"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { split(a, 0, 1); }, "split", line, {"positive"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { chunk(a, 2, 1); }, "chunk", line, {"[2, 3]", "2 equal chunks"}));
}

// ---- indexing -------------------------------------------------------------------------------

TEST(Errors, Indexing) {
  const Tensor w = ones({5, 3});
  int line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { embedding(w, {1, 7}); }, "embedding", line, {"index 7", "[5, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { embedding(w, {-1}); }, "embedding", line, {"index -1", "[5, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { embedding(ones({5}), {1}); }, "embedding", line, {"[5]", "2-D"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { index_select(w, 1, {0, 3}); }, "index_select", line, {"index 3", "[5, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { index_select(w, 0, IndexTensor({0, 1}, {1, 2})); }, "index_select", line, {"[1, 2]", "1-D"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { masked_fill(w, ones({5, 2}), 0); }, "masked_fill", line, {"[5, 3]", "[5, 2]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { masked_fill(ones({3}), ones({2, 3}), 0); }, "masked_fill", line, {"[2, 3]", "[3]"}));
  const Tensor needs_grad = grad_leaf({5, 3});
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { masked_fill(w, needs_grad, 0); }, "masked_fill", line, {"mask"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { where(ones({4}), w, w); }, "where", line, {"[4]", "[5, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { where(needs_grad, w, w); }, "where", line, {"condition"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { IndexTensor({1, 2, 3}, {2, 2}); }, "IndexTensor", line, {"[2, 2]"}));
}

// ---- losses ---------------------------------------------------------------------------------

TEST(Errors, Losses) {
  const Tensor logits = ones({2, 3});
  int line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { cross_entropy(logits, {0, 3}); }, "cross_entropy", line, {"target 3", "0..2", "[2, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { cross_entropy(logits, {-1, 0}); }, "cross_entropy", line, {"target -1"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { cross_entropy(logits, {0, 1, 2}); }, "cross_entropy", line, {"[3]", "[2, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { cross_entropy(ones({2, 3, 4}), {0, 1}); }, "cross_entropy", line, {"[2, 3, 4]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { nll_loss(logits, {5, 0}); }, "nll_loss", line, {"target 5", "[2, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { nll_loss(ones({3}), {0}); }, "nll_loss", line, {"[3]"}));
}

// ---- reductions, factories, misc ------------------------------------------------------------

TEST(Errors, ReductionsAndFactories) {
  int line = __LINE__ + 1;
  EXPECT_TRUE(fails([] { mean(zeros({0})); }, "mean", line, {"empty"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([] { max(zeros({2, 0})); }, "max", line, {"empty"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([] { max(zeros({2, 0}), 1); }, "max", line, {"[2, 0]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([] { sum_to_shape(ones({3}), {2, 3}); }, "sum_to_shape", line, {"[3]", "[2, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([] { sum_to_shape(ones({2, 3}), {4}); }, "sum_to_shape", line, {"[2, 3]", "[4]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([] { from_vector({1, 2, 3}, {2, 2}); }, "from_vector", line, {"[2, 2]", "3 values"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([] { zeros({2, -1}); }, "full", line, {"[2, -1]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([] { arange(0.0f, 1.0f, 0.0f); }, "arange", line, {"steps of 0"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([] { arange(0.0f, 1.0f, -1.0f); }, "arange", line, {"steps of -1"}));
  Generator gen(1);
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { randn({-2}, gen); }, "randn", line, {"[-2]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { dropout(ones({2}), 1.5f, true, gen); }, "dropout", line, {"1.5"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { return Shape{1, 2, 3, 4, 5, 6, 7, 8, 9}; }, "shape", line, {"at most 8 dims"}));
}

TEST(Errors, ElementAccess) {
  const Tensor a = ones({2, 3});
  int line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a.item(); }, "item", line, {"[2, 3]", "one element"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a.at({1}); }, "at", line, {"[2, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a.at({1, 3}); }, "at", line, {"index 3", "[2, 3]"}));
}

// ---- autograd -------------------------------------------------------------------------------

TEST(Errors, Autograd) {
  const Tensor plain = ones({2});
  int line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { plain.sum().backward(); }, "backward", line, {"does not require grad"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { plain.backward(ones({2})); }, "backward", line, {"does not require grad"}));
  Tensor x = grad_leaf({2, 3});
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { mul(x, x).backward(); }, "backward", line, {"[2, 3]", "scalar"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { mul(x, x).backward(ones({3, 2})); }, "backward", line, {"[3, 2]", "[2, 3]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { mul(x, 2.0f).requires_grad_(false); }, "requires_grad_", line, {"leaf"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { Tensor(plain).retain_grad(); }, "retain_grad", line, {"does not require grad"}));
  {
    NoGradGuard no_grad;
    const Tensor y = mul(x, x).sum();
    line = __LINE__ + 1;
    EXPECT_TRUE(fails([&] { y.backward(); }, "backward", line, {"NoGradGuard"}));
  }
  const Tensor loss = mul(x, x).sum();
  loss.backward();
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { loss.backward(); }, "backward", line, {"already freed", "retain_graph"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { loss.backward(scalar_tensor(1), false); }, "backward", line, {"already freed"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { mul(x, x).backward(Tensor()); }, "backward", line, {"undefined"}));
}

// ---- undefined tensors, huge shapes, running out of memory ---------------------------------

TEST(Errors, UndefinedTensorsAreNamedNotDereferenced) {
  const Tensor undefined;
  Tensor mutable_undefined;
  const Tensor a = ones({2});
  const std::string what = "undefined Tensor";
  int line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { (void)undefined.shape(); }, "shape", line, {what}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { (void)undefined.dim(); }, "shape", line, {what}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { (void)mutable_undefined.data(); }, "data", line, {what}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { (void)undefined.grad(); }, "grad", line, {what}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { add(a, undefined); }, "add", line, {what}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { a + undefined; }, "add", line, {what}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { -undefined; }, "neg", line, {what}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { tanh(undefined); }, "tanh", line, {what}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { mul(undefined, 2.0f); }, "mul", line, {what}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { undefined.backward(); }, "backward", line, {what}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { undefined.backward(ones({2})); }, "backward", line, {what}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { undefined.item(); }, "item", line, {what}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { undefined.contiguous(); }, "contiguous", line, {what}));
}

TEST(Errors, EveryOpNamesItselfForAnUndefinedTensor) {
  // Each op, handed an undefined tensor, names itself and this file's line (the op's first
  // check), never an accessor deep inside it.
  const Tensor u;
  const Tensor a = ones({2, 3});
  const IndexTensor ids(std::vector<int64_t>{0, 1}, Shape{2});
  const std::string what = "undefined Tensor";
  struct Case {
    const char* op;
    std::function<void()> call;
    int line;
  };
  const std::vector<Case> cases = {
      {"view", [&] { u.view({-1}); }, __LINE__},
      {"reshape", [&] { u.reshape({-1}); }, __LINE__},
      {"reshape", [&] { u.flatten(); }, __LINE__},
      {"permute", [&] { u.permute({1, 0}); }, __LINE__},
      {"transpose", [&] { u.transpose(0, 1); }, __LINE__},
      {"t", [&] { u.t(); }, __LINE__},
      {"select", [&] { u.select(0, 0); }, __LINE__},
      {"slice", [&] { u.slice(0, 0, 1); }, __LINE__},
      {"narrow", [&] { u.narrow(0, 0, 1); }, __LINE__},
      {"unsqueeze", [&] { u.unsqueeze(0); }, __LINE__},
      {"squeeze", [&] { u.squeeze(0); }, __LINE__},
      {"squeeze", [&] { u.squeeze(); }, __LINE__},
      {"expand", [&] { u.expand({2, 3}); }, __LINE__},
      {"sum", [&] { sum(u); }, __LINE__},
      {"sum", [&] { sum(u, {0}); }, __LINE__},
      {"mean", [&] { mean(u); }, __LINE__},
      {"mean", [&] { mean(u, {0}); }, __LINE__},
      {"max", [&] { max(u); }, __LINE__},
      {"max", [&] { max(u, 0); }, __LINE__},
      {"argmax", [&] { argmax(u, 0); }, __LINE__},
      {"sum_to_shape", [&] { sum_to_shape(u, {3}); }, __LINE__},
      {"matmul", [&] { matmul(a, u); }, __LINE__},
      {"matmul", [&] { matmul(u, a); }, __LINE__},
      {"softmax", [&] { softmax(u, -1); }, __LINE__},
      {"log_softmax", [&] { log_softmax(u, -1); }, __LINE__},
      {"cat", [&] { cat({a, u}, 0); }, __LINE__},
      {"stack", [&] { stack({u, a}, 0); }, __LINE__},
      {"split", [&] { split(u, 1, 0); }, __LINE__},
      {"chunk", [&] { chunk(u, 2, 0); }, __LINE__},
      {"index_select", [&] { index_select(u, 0, ids); }, __LINE__},
      {"embedding", [&] { embedding(u, ids); }, __LINE__},
      {"masked_fill", [&] { masked_fill(a, u, 0.0f); }, __LINE__},
      {"where", [&] { where(u, a, a); }, __LINE__},
      {"cross_entropy", [&] { cross_entropy(u, ids); }, __LINE__},
      {"nll_loss", [&] { nll_loss(u, ids); }, __LINE__},
      {"dropout", [&] { dropout(u, 0.5f); }, __LINE__},
  };
  for (const Case& c : cases) EXPECT_TRUE(fails(c.call, c.op, c.line, {what})) << c.op;
}

TEST(Errors, ShapesWhoseSizesOverflowAreRefused) {
  constexpr int64_t k2to32 = int64_t{1} << 32, k2to62 = int64_t{1} << 62;
  int line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { zeros({k2to32, k2to32}); }, "full", line, {"[4294967296, 4294967296]", "int64_t"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { zeros({k2to62, 8}); }, "full", line, {"[4611686018427387904, 8]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { zeros({k2to62, 4, 0}); }, "full", line, {"[4611686018427387904, 4, 0]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { numel(Shape{0, k2to62, 4}); }, "numel", line, {"[0, 4611686018427387904, 4]"}));
  EXPECT_EQ(numel(Shape{k2to62, 0}), 0);  // empty, and every stride and offset still fits
  const Tensor one = ones({1, 1});
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { one.expand({k2to32, k2to32}); }, "expand", line, {"[4294967296, 4294967296]"}));
  // 2^62 · 32 wraps around to 8 in 64 bits: without the check the reshape would be accepted.
  const Tensor eight = ones({8});
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { eight.reshape({k2to62, 32}); }, "reshape", line, {"[4611686018427387904, 32]"}));
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { eight.reshape({k2to62, 32, -1}); }, "reshape", line, {"[4611686018427387904, 32, 1]"}));
}

TEST(Errors, ATensorTooLargeForMemoryIsAnErrorNamingTheOpAndSize) {
  // 2^62 floats: more bytes than a pointer can address, refused before asking the system.
  constexpr int64_t k2to31 = int64_t{1} << 31;
  int line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { zeros({k2to31, k2to31}); }, "full", line, {"out of memory", "4611686018427387904 floats"}));
  const Tensor column = zeros({1, 1}).expand({k2to31, 1}), row = zeros({1, 1}).expand({1, k2to31});
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { add(column, row); }, "add", line, {"out of memory", "[2147483648, 2147483648]"}));
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "the sanitizers' allocators abort on a huge request instead of throwing bad_alloc";
#else
  // 2^60 floats (4 EiB): addressable, so the system is asked and says no (bad_alloc).
  constexpr int64_t k2to30 = int64_t{1} << 30;
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { ones({k2to30, k2to30}); }, "full", line, {"out of memory", "1152921504606846976 floats"}));
  // An op's result: the error names the op (views make the inputs huge without memory).
  const Tensor x = grad_leaf({2});
  const Tensor wide = mul(x, x).reshape({2, 1}).expand({2, k2to30});
  const Tensor tall = zeros({1, 1, 1}).expand({k2to30 / 2, 2, k2to30});
  line = __LINE__ + 1;
  EXPECT_TRUE(fails([&] { mul(tall, wide); }, "mul", line, {"out of memory", "[536870912, 2, 1073741824]"}));
#endif
}

TEST(Errors, ALineInsideTheStandardLibraryIsNeverReported) {
  // std::make_shared constructs the object inside <memory>, so the constructor's default
  // Loc::current() names a libstdc++ header. The error looks up the stack for this line instead
  // (or, built without libbacktrace, says the line is unknown); it never names the header.
  int line = 0;
  try {
    line = __LINE__ + 1;
    std::make_shared<IndexTensor>(std::vector<int64_t>{1, 2}, Shape{3});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find("include/c++"), std::string::npos) << msg;
    EXPECT_EQ(msg.find(".h:"), std::string::npos) << msg;
#if GLIMPSE_HAVE_BACKTRACE
    EXPECT_NE(msg.find(fmt::format("at {}:{}", __FILE__, line)), std::string::npos) << msg;
#else
    EXPECT_NE(msg.find("at an unknown line of your code"), std::string::npos) << msg;
    EXPECT_NE(msg.find("std::make_shared"), std::string::npos) << msg;
#endif
  }
  // Passing the location explicitly names this line too. (The call stands outside the
  // two-line EXPECT_TRUE: inside a macro, clang gives Loc::current() the macro's last line.)
  line = __LINE__ + 1;
  auto make = [&] { std::make_shared<IndexTensor>(std::vector<int64_t>{1, 2}, Shape{3}, Loc::current()); };
  EXPECT_TRUE(fails(make, "IndexTensor", line, {"2 values"}));
}
