// Tests for autograd/format.cpp: fmt::formatter<Tensor> prints values, shape, grad_fn or
// requires_grad, and elides the middle of large tensors, in PyTorch's spirit.
#include <gtest/gtest.h>

#include "autograd_test_util.hpp"

using namespace glimpse;

namespace {
size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}
}  // namespace

TEST(Format, ValuesAndShape) {
  const Tensor a = from_vector({1, 2.5f, -3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(fmt::format("{}", a),
            "tensor([[ 1.0000,  2.5000, -3.0000],\n"
            "        [ 4.0000,  5.0000,  6.0000]], shape=[2, 3])");
  EXPECT_EQ(to_string(a), fmt::format("{}", a));
  EXPECT_EQ(fmt::format("{}", from_vector({1, 2})), "tensor([1.0000, 2.0000], shape=[2])");
  EXPECT_EQ(fmt::format("{}", scalar_tensor(3)), "tensor(3.0000, shape=[])");
  EXPECT_EQ(fmt::format("{}", zeros({0, 3})), "tensor([], shape=[0, 3])");
  EXPECT_EQ(fmt::format("{}", Tensor()), "tensor(undefined)");
}

TEST(Format, ThreeDimsSeparateBlocksByABlankLine) {
  EXPECT_EQ(fmt::format("{}", arange(8).reshape({2, 2, 2})),
            "tensor([[[0.0000, 1.0000],\n"
            "         [2.0000, 3.0000]],\n"
            "\n"
            "        [[4.0000, 5.0000],\n"
            "         [6.0000, 7.0000]]], shape=[2, 2, 2])");
}

TEST(Format, StridedTensorsPrintInLogicalOrder) {
  const Tensor a = from_vector({1, 2, 3, 4}, {2, 2});
  EXPECT_EQ(fmt::format("{}", a.t()),
            "tensor([[1.0000, 3.0000],\n"
            "        [2.0000, 4.0000]], shape=[2, 2])");
  EXPECT_EQ(fmt::format("{}", arange(6).slice(0, 1, 6, 2)), "tensor([1.0000, 3.0000, 5.0000], shape=[3])");
}

TEST(Format, GradFnAndRequiresGrad) {
  Tensor a = from_vector({1, 2});
  a.requires_grad_();
  EXPECT_EQ(fmt::format("{}", a), "tensor([1.0000, 2.0000], shape=[2], requires_grad=true)");
  EXPECT_EQ(fmt::format("{}", mul(a, a)), "tensor([1.0000, 4.0000], shape=[2], grad_fn=<MulBackward>)");
  EXPECT_EQ(fmt::format("{}", sum(a)), "tensor(3.0000, shape=[], grad_fn=<SumBackward>)");
  Tensor w = from_vector({1, 0, 0, 1}, {2, 2});
  w.requires_grad_();
  EXPECT_NE(fmt::format("{}", matmul(w, w)).find("grad_fn=<MatmulBackward>"), std::string::npos);
  EXPECT_NE(fmt::format("{}", log_softmax(w, 1)).find("grad_fn=<LogSoftmaxBackward>"), std::string::npos);
  // No grad: neither annotation.
  EXPECT_EQ(fmt::format("{}", a.detach()), "tensor([1.0000, 2.0000], shape=[2])");
  {
    NoGradGuard no_grad;
    EXPECT_EQ(fmt::format("{}", mul(a, a)), "tensor([1.0000, 4.0000], shape=[2])");
  }
  // A leaf made from a view of a constant is still a leaf.
  Tensor v = ones({2, 1}).t();
  v.requires_grad_();
  EXPECT_EQ(fmt::format("{}", v), "tensor([[1.0000, 1.0000]], shape=[1, 2], requires_grad=true)");
}

TEST(Format, LargeTensorsElideTheMiddle) {
  EXPECT_EQ(fmt::format("{}", arange(2000)),
            "tensor([   0.0000,    1.0000,    2.0000, ..., 1997.0000, 1998.0000, 1999.0000], shape=[2000])");
  const std::string m = fmt::format("{}", arange(2000).reshape({40, 50}));
  EXPECT_EQ(count(m, "\n"), 6u) << m;  // three rows, "...", three rows
  EXPECT_EQ(count(m, "..."), 7u) << m;  // one per printed row and one for the rows
  EXPECT_NE(m.find("[   0.0000,    1.0000,    2.0000, ...,   47.0000,   48.0000,   49.0000]"), std::string::npos) << m;
  EXPECT_NE(m.find("[1950.0000, 1951.0000, 1952.0000, ..., 1997.0000, 1998.0000, 1999.0000]], shape=[40, 50])"),
            std::string::npos)
      << m;
  EXPECT_EQ(m.find("1000.0000"), std::string::npos) << m;  // the middle is not printed
}

TEST(Format, AThousandElementsArePrintedInFull) {
  const std::string s = fmt::format("{}", arange(1000));
  EXPECT_EQ(s.find("..."), std::string::npos);
  EXPECT_NE(s.find("500.0000"), std::string::npos);
}

TEST(Format, ScientificForTinyOrHugeValues) {
  EXPECT_EQ(fmt::format("{}", from_vector({1e-5f, 2e-4f})), "tensor([1.0000e-05, 2.0000e-04], shape=[2])");
  EXPECT_EQ(fmt::format("{}", from_vector({1e6f, 2})), "tensor([1.0000e+06, 2.0000e+00], shape=[2])");
}

TEST(Format, FormatSpecsOfStringsApply) {
  // The formatter derives from fmt's string formatter: width and alignment work.
  EXPECT_EQ(fmt::format("{:>40}", scalar_tensor(1)), fmt::format("{:>40}", "tensor(1.0000, shape=[])"));
}
