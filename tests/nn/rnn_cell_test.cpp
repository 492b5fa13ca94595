// Lesson 04: RNNCell against PyTorch, gradient-checked, with its step record.
#include "nn/rnn_cell.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "nn_test_util.hpp"
#include "support/gradcheck.hpp"

using namespace glimpse;

TEST(RNNCell, MatchesPyTorchForwardAndBackward) {
  const auto fx = test::load_fixture("rnn_cell");
  nn::RNNCell cell(3, 4);
  nn::load_state(cell, fx, /*strict=*/false);
  Tensor x = test::leaf(fx.at("x")), h = test::leaf(fx.at("h"));
  Tensor h_next = cell(x, h);
  EXPECT_TRUE(test::all_close(h_next, fx.at("h_next")));
  (h_next * fx.at("R")).sum().backward();
  EXPECT_TRUE(test::grads_match(cell, fx));
  EXPECT_TRUE(test::all_close(x.grad(), fx.at("grad.x")));
  EXPECT_TRUE(test::all_close(h.grad(), fx.at("grad.h")));
}

TEST(RNNCell, ParametersFollowPyTorchNamesShapesAndInit) {
  Generator gen(1);
  nn::RNNCell cell(3, 16, gen);
  EXPECT_EQ(test::parameter_names(cell),
            (std::vector<std::string>{"weight_ih", "weight_hh", "bias_ih", "bias_hh"}));
  EXPECT_EQ(cell.weight_ih().shape(), (Shape{16, 3}));
  EXPECT_EQ(cell.weight_hh().shape(), (Shape{16, 16}));
  EXPECT_EQ(cell.bias_ih().shape(), (Shape{16}));
  for (const Tensor& p : cell.parameters())
    for (float v : p.to_vector()) EXPECT_LE(std::fabs(v), 0.25f);  // U(-1/√H, 1/√H)
}

TEST(RNNCell, Gradcheck) {
  Generator gen(2);
  nn::RNNCell cell(2, 3, gen);
  Tensor x = test::leaf(randn({2, 2}, gen)), h = test::leaf(randn({2, 3}, gen));
  std::vector<Tensor> inputs{x, h};
  for (const Tensor& p : cell.parameters()) inputs.push_back(p);
  EXPECT_TRUE(test::gradcheck([&](const std::vector<Tensor>& in) { return cell(in[0], in[1]); }, inputs));
}

TEST(RNNCell, ZeroInitialStateAndStepRecord) {
  Generator gen(3);
  nn::RNNCell cell(2, 3, gen);
  const Tensor x = randn({4, 2}, gen);
  test::StepRecorder recorder;
  const Tensor h = cell.forward(x);
  EXPECT_TRUE(test::all_close(h, cell(x, zeros({4, 3}))));
  ASSERT_EQ(recorder.records.size(), 2u);
  EXPECT_EQ(recorder.records[0].kind, "RNNCell");
  EXPECT_EQ(recorder.records[0].module, &cell);
  EXPECT_EQ(recorder.names(0), (std::vector<std::string>{"h"}));
}

TEST(RNNCell, WrongShapesNameTheCell) {
  nn::RNNCell cell(3, 4);
  try {
    cell(ones({2, 3}), ones({2, 5}));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "RNNCell");
    EXPECT_NE(std::string(e.what()).find("[2, 5]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(cell(ones({2, 2}), ones({2, 4})), Error);
  EXPECT_THROW(cell(ones({3}), ones({1, 4})), Error);
  EXPECT_THROW(nn::RNNCell(0, 4), Error);
}
