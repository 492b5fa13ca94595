// Lesson 04: LSTMCell against PyTorch (i, f, g, o gate order).
#include "nn/lstm_cell.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

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

namespace {

// One LSTM step from the equations in nn/lstm_cell.hpp, in double, element by element: the
// gates i, f, g, o and c', h' as [B·H] row-major values.
std::map<std::string, std::vector<double>> lstm_step_by_hand(const nn::LSTMCell& cell, const Tensor& x,
                                                             const Tensor& h, const Tensor& c) {
  const int64_t batch = x.shape()[0], in = cell.input_size(), hidden = cell.hidden_size();
  const std::vector<float> xv = x.to_vector(), hv = h.to_vector(), cv = c.to_vector();
  const std::vector<float> w_ih = cell.weight_ih().to_vector(), w_hh = cell.weight_hh().to_vector();
  const std::vector<float> b_ih = cell.bias_ih().to_vector(), b_hh = cell.bias_hh().to_vector();
  const auto sigmoid = [](double u) { return 1.0 / (1.0 + std::exp(-u)); };
  std::map<std::string, std::vector<double>> out;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t j = 0; j < hidden; ++j) {
      double pre[4];  // rows j, H + j, 2H + j, 3H + j of the stacked weights: i, f, g, o
      for (int64_t gate = 0; gate < 4; ++gate) {
        const int64_t row = gate * hidden + j;
        double u = static_cast<double>(b_ih[row]) + b_hh[row];
        for (int64_t k = 0; k < in; ++k) u += static_cast<double>(w_ih[row * in + k]) * xv[b * in + k];
        for (int64_t k = 0; k < hidden; ++k) u += static_cast<double>(w_hh[row * hidden + k]) * hv[b * hidden + k];
        pre[gate] = u;
      }
      const double i = sigmoid(pre[0]), f = sigmoid(pre[1]), g = std::tanh(pre[2]), o = sigmoid(pre[3]);
      const double c_next = f * cv[b * hidden + j] + i * g;
      out["i"].push_back(i), out["f"].push_back(f), out["g"].push_back(g), out["o"].push_back(o);
      out["c"].push_back(c_next), out["h"].push_back(o * std::tanh(c_next));
    }
  return out;
}

const std::map<std::string, std::string> kWhat = {{"i", "input gate i"},     {"f", "forget gate f"},
                                                  {"g", "candidate cell g"}, {"o", "output gate o"},
                                                  {"c", "new cell c'"},      {"h", "new hidden state h'"}};

// Empty if `actual` holds `expected` to 1e-5, else what is wrong and where.
std::string compare(const std::string& name, const Tensor& actual, const std::vector<double>& expected) {
  const std::vector<float> v = actual.to_vector();
  if (v.size() != expected.size())
    return fmt::format("{} is wrong: {} values, expected {}", kWhat.at(name), v.size(), expected.size());
  for (size_t k = 0; k < v.size(); ++k)
    if (!(std::fabs(v[k] - expected[k]) <= 1e-5 + 1e-5 * std::fabs(expected[k])))
      return fmt::format("{} is wrong: element {} is {:.6f}, the equations give {:.6f}", kWhat.at(name), k, v[k],
                         expected[k]);
  return "";
}

}  // namespace

// Each gate on its own, from a nonzero cell state: with c = 0 the forget gate never acts, so a
// sign error in f would only show as "h' and c' are off", or not at all. Here it fails as
// "forget gate f is wrong". The gates are read from what the cell emits each step.
TEST(LSTMCell, EachGateMatchesTheEquationsFromANonzeroCell) {
  Generator gen(11);
  nn::LSTMCell cell(3, 4, gen);
  const Tensor x = randn({2, 3}, gen), h = randn({2, 4}, gen), c = mul(randn({2, 4}, gen), 2.0f);
  ASSERT_GT(abs(c).sum().item(), 1.0f);
  const auto expected = lstm_step_by_hand(cell, x, h, c);
  test::StepRecorder recorder;
  const nn::LSTMState s = cell.forward(x, {h, c});
  ASSERT_EQ(recorder.records.size(), 1u) << "LSTMCell::forward must emit its step: emit_step({{\"h\", h'}, "
                                             "{\"c\", c'}, {\"i\", i}, {\"f\", f}, {\"g\", g}, {\"o\", o}})";
  std::map<std::string, Tensor> emitted;
  for (const auto& [name, value] : recorder.records[0].values) emitted[name] = value;
  for (const char* gate : {"i", "f", "g", "o"}) {
    ASSERT_TRUE(emitted.count(gate)) << "LSTMCell emits no gate \"" << gate << "\"";
    EXPECT_EQ(compare(gate, emitted[gate], expected.at(gate)), "");
  }
  EXPECT_EQ(compare("c", s.c, expected.at("c")), "");
  EXPECT_EQ(compare("h", s.h, expected.at("h")), "");
  // The same from the other side: the forget gate acts (c' is not i ⊙ g).
  EXPECT_GT(abs(s.c - emitted["i"] * emitted["g"]).max().item(), 1e-2f);
}

TEST(LSTMCell, TheGateComparisonNamesTheGate) {
  // The check above can fail, and says which gate: a forget gate with its sign flipped.
  const std::vector<double> f = {0.25, 0.75};
  EXPECT_EQ(compare("f", from_vector({0.25f, 0.75f}), f), "");
  EXPECT_EQ(compare("f", from_vector({0.75f, 0.25f}), f).rfind("forget gate f is wrong: element 0", 0), 0u);
}

TEST(LSTMCell, WrongCellStateShapeThrows) {
  nn::LSTMCell cell(3, 4);
  EXPECT_THROW(cell(ones({2, 3}), {ones({2, 4}), ones({2, 3})}), Error);
}
