// Lesson 04: LSTMCell against PyTorch (i, f, g, o gate order).
#include "nn/lstm_cell.hpp"

#include <gtest/gtest.h>

#include "nn_test_util.hpp"
#include "support/gradcheck.hpp"

using namespace glimpse;

TEST(LSTMCell, MatchesPyTorchForwardAndBackward) {
  const auto fx = test::load_fixture("lstm_cell");
  nn::LSTMCell cell(3, 4);
  nn::load_state(cell, fx, /*strict=*/false);
  Tensor x = test::leaf(fx.at("x")), h = test::leaf(fx.at("h")), c = test::leaf(fx.at("c"));
  const nn::LSTMState next = cell(x, {h, c});
  EXPECT_TRUE(test::all_close(next.h, fx.at("h_next")));
  EXPECT_TRUE(test::all_close(next.c, fx.at("c_next")));
  ((next.h * fx.at("R_h")).sum() + (next.c * fx.at("R_c")).sum()).backward();
  EXPECT_TRUE(test::grads_match(cell, fx));
  EXPECT_TRUE(test::all_close(x.grad(), fx.at("grad.x")));
  EXPECT_TRUE(test::all_close(h.grad(), fx.at("grad.h")));
  EXPECT_TRUE(test::all_close(c.grad(), fx.at("grad.c")));
}

TEST(LSTMCell, ParametersFollowPyTorchLayout) {
  nn::LSTMCell cell(3, 4);
  EXPECT_EQ(test::parameter_names(cell),
            (std::vector<std::string>{"weight_ih", "weight_hh", "bias_ih", "bias_hh"}));
  EXPECT_EQ(cell.weight_ih().shape(), (Shape{16, 3}));  // [4H, I]: rows i, f, g, o
  EXPECT_EQ(cell.weight_hh().shape(), (Shape{16, 4}));
  EXPECT_EQ(cell.bias_hh().shape(), (Shape{16}));
}

TEST(LSTMCell, Gradcheck) {
  Generator gen(2);
  nn::LSTMCell cell(2, 3, gen);
  Tensor x = test::leaf(randn({2, 2}, gen)), h = test::leaf(randn({2, 3}, gen)),
         c = test::leaf(randn({2, 3}, gen));
  std::vector<Tensor> inputs{x, h, c};
  for (const Tensor& p : cell.parameters()) inputs.push_back(p);
  // Both outputs matter: check h' and c' side by side.
  EXPECT_TRUE(test::gradcheck(
      [&](const std::vector<Tensor>& in) {
        const nn::LSTMState s = cell(in[0], {in[1], in[2]});
        return cat({s.h, s.c}, 1);
      },
      inputs));
}

TEST(LSTMCell, EmitsStateCellAndGates) {
  Generator gen(3);
  nn::LSTMCell cell(2, 3, gen);
  test::StepRecorder recorder;
  const nn::LSTMState s = cell.forward(randn({2, 2}, gen));
  ASSERT_EQ(recorder.records.size(), 1u);
  EXPECT_EQ(recorder.records[0].kind, "LSTMCell");
  EXPECT_EQ(recorder.names(0), (std::vector<std::string>{"h", "c", "i", "f", "g", "o"}));
  // From h = c = 0: c' = i·g and h' = o·tanh(c').
  const auto& v = recorder.records[0].values;
  EXPECT_TRUE(test::all_close(s.c, v[2].second * v[4].second));
  EXPECT_TRUE(test::all_close(s.h, v[5].second * tanh(s.c)));
}

TEST(LSTMCell, WrongCellStateShapeThrows) {
  nn::LSTMCell cell(3, 4);
  EXPECT_THROW(cell(ones({2, 3}), {ones({2, 4}), ones({2, 3})}), Error);
}
