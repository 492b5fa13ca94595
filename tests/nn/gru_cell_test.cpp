// Lesson 04: GRUCell against PyTorch (r, z, n gate order and the reset-after-matmul variant).
#include "nn/gru_cell.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "nn_test_util.hpp"
#include "support/gradcheck.hpp"

using namespace glimpse;

TEST(GRUCell, MatchesPyTorchForwardAndBackward) {
  const auto fx = test::load_fixture("gru_cell");
  nn::GRUCell cell(3, 4);
  nn::load_state(cell, fx, /*strict=*/false);
  Tensor x = test::leaf(fx.at("x")), h = test::leaf(fx.at("h"));
  Tensor h_next = cell(x, h);
  EXPECT_TRUE(test::all_close(h_next, fx.at("h_next")));
  (h_next * fx.at("R")).sum().backward();
  EXPECT_TRUE(test::grads_match(cell, fx));
  EXPECT_TRUE(test::all_close(x.grad(), fx.at("grad.x")));
  EXPECT_TRUE(test::all_close(h.grad(), fx.at("grad.h")));
}

TEST(GRUCell, ParametersFollowPyTorchLayout) {
  nn::GRUCell cell(3, 4);
  EXPECT_EQ(test::parameter_names(cell),
            (std::vector<std::string>{"weight_ih", "weight_hh", "bias_ih", "bias_hh"}));
  EXPECT_EQ(cell.weight_ih().shape(), (Shape{12, 3}));  // [3H, I]: rows r, z, n
  EXPECT_EQ(cell.weight_hh().shape(), (Shape{12, 4}));
  EXPECT_EQ(cell.bias_ih().shape(), (Shape{12}));
  EXPECT_EQ(cell.bias_hh().shape(), (Shape{12}));
}

TEST(GRUCell, Gradcheck) {
  Generator gen(2);
  nn::GRUCell cell(2, 3, gen);
  Tensor x = test::leaf(randn({2, 2}, gen)), h = test::leaf(randn({2, 3}, gen));
  std::vector<Tensor> inputs{x, h};
  for (const Tensor& p : cell.parameters()) inputs.push_back(p);
  EXPECT_TRUE(test::gradcheck([&](const std::vector<Tensor>& in) { return cell(in[0], in[1]); }, inputs));
}

TEST(GRUCell, FusedKernelAndComposedOpsAgree) {
  // Untraced, the cell runs its gate arithmetic as one fused op; use_fused_kernel(false) (or an
  // attached tracer) gives the readable composition. Same values and gradients, to 1e-5.
  Generator gen(5);
  nn::GRUCell fused(7, 9, gen);
  nn::GRUCell composed(7, 9, gen);
  nn::load_state(composed, nn::state_dict(fused));
  composed.use_fused_kernel(false);
  ASSERT_TRUE(fused.uses_fused_kernel());
  const Tensor x = randn({5, 7}, gen), h = randn({5, 9}, gen), weights = randn({5, 9}, gen);
  Tensor x1 = test::leaf(x), h1 = test::leaf(h), x2 = test::leaf(x), h2 = test::leaf(h);
  const Tensor out1 = fused(x1, h1), out2 = composed(x2, h2);
  EXPECT_EQ(out1.node()->op, std::string("gru_cell_gates"));
  EXPECT_NE(out2.node()->op, std::string("gru_cell_gates"));
  EXPECT_TRUE(test::all_close(out1, out2, 1e-5f, 1e-6f));
  (out1 * weights).sum().backward();
  (out2 * weights).sum().backward();
  EXPECT_TRUE(test::all_close(x1.grad(), x2.grad(), 1e-5f, 1e-6f));
  EXPECT_TRUE(test::all_close(h1.grad(), h2.grad(), 1e-5f, 1e-6f));
  const auto p1 = fused.named_parameters(), p2 = composed.named_parameters();
  for (size_t i = 0; i < p1.size(); ++i)
    EXPECT_TRUE(test::all_close(p1[i].second.grad(), p2[i].second.grad(), 1e-5f, 1e-6f)) << p1[i].first;
}

TEST(GRUCell, ComposedPathGradcheck) {
  Generator gen(2);
  nn::GRUCell cell(2, 3, gen);
  cell.use_fused_kernel(false);
  Tensor x = test::leaf(randn({2, 2}, gen)), h = test::leaf(randn({2, 3}, gen));
  std::vector<Tensor> inputs{x, h};
  for (const Tensor& p : cell.parameters()) inputs.push_back(p);
  EXPECT_TRUE(test::gradcheck([&](const std::vector<Tensor>& in) { return cell(in[0], in[1]); }, inputs));
}

TEST(GRUCell, EmitsStateAndGatesThatExplainTheUpdate) {
  Generator gen(3);
  nn::GRUCell cell(2, 3, gen);
  const Tensor x = randn({2, 2}, gen), h = randn({2, 3}, gen);
  test::StepRecorder recorder;
  const Tensor h_next = cell(x, h);
  ASSERT_EQ(recorder.records.size(), 1u);
  EXPECT_EQ(recorder.records[0].kind, "GRUCell");
  EXPECT_EQ(recorder.names(0), (std::vector<std::string>{"h", "r", "z", "n"}));
  // h' = (1 − z)·n + z·h, from the recorded gates.
  const auto& v = recorder.records[0].values;
  const Tensor z = v[2].second, n = v[3].second;
  EXPECT_TRUE(test::all_close(h_next, (1.0f - z) * n + z * h));
  EXPECT_EQ(v[0].second.node(), h_next.node());
}

TEST(GRUCell, WrongShapesNameTheCell) {
  nn::GRUCell cell(3, 4);
  try {
    cell(ones({2, 5}), ones({2, 4}));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "GRUCell");
  }
}

TEST(GRUCell, AnUndefinedStateNamesTheCellAndTheCallersLine) {
  nn::GRUCell cell(3, 4);
  const Tensor h;  // default-constructed: no value yet
  const int line = __LINE__ + 2;
  try {
    cell(ones({1, 3}), h);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "GRUCell");
    EXPECT_NE(std::string(e.what()).find("undefined Tensor"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(fmt::format("gru_cell_test.cpp:{}", line)), std::string::npos) << e.what();
  }
}
