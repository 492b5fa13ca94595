// Issue 9: an undefined (default-constructed) Tensor handed to a module is a glimpse::Error that
// names the module and the caller's line (this file's), never a crash or a line inside Glimpse.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <functional>
#include <string>
#include <vector>

#include "glimpse.hpp"

using namespace glimpse;

namespace {

struct Case {
  std::string module;
  std::function<void()> call;
  int line;
};

}  // namespace

TEST(UndefinedInput, EveryModuleNamesItselfAndTheCallersLine) {
  const Tensor u;
  const Tensor x = ones({2, 3, 8});
  const Tensor s = ones({2, 8});
  nn::LayerNorm norm(8);
  nn::BahdanauAttention bahdanau(8, 8, 4);
  nn::LuongAttention luong(nn::LuongScore::Dot, 8, 8);
  nn::MultiheadAttention mha(8, 2);
  nn::RNN rnn(8, 4);
  nn::GRU gru(8, 4);
  nn::LSTM lstm(8, 4);
  nn::TransformerEncoderLayer block(8, 2, 16, 0.0f);
  nn::PositionalEncoding positions(8);
  nn::Linear linear(8, 4);
  nn::GRUCell cell(3, 4);
  const std::vector<Case> cases = {
      {"LayerNorm", [&] { norm(u); }, __LINE__},
      {"BahdanauAttention", [&] { bahdanau(u, x, x); }, __LINE__},
      {"BahdanauAttention", [&] { bahdanau.forward(s, u); }, __LINE__},
      {"LuongAttention", [&] { luong(s, u); }, __LINE__},
      {"MultiheadAttention", [&] { mha(x, u, x); }, __LINE__},
      {"RNN", [&] { rnn(u); }, __LINE__},
      {"GRU", [&] { gru(u); }, __LINE__},
      {"LSTM", [&] { lstm(u); }, __LINE__},
      {"TransformerEncoderLayer", [&] { block(u); }, __LINE__},
      {"PositionalEncoding", [&] { positions.forward(u); }, __LINE__},
      {"Linear", [&] { linear(u); }, __LINE__},
      {"GRUCell", [&] { cell(ones({1, 3}), u); }, __LINE__},  // the issue's own example
  };
  for (const Case& c : cases) {
    try {
      c.call();
      ADD_FAILURE() << c.module << ": no error";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(e.op(), c.module) << what;
      EXPECT_NE(what.find("undefined Tensor"), std::string::npos) << what;
      EXPECT_NE(what.find(fmt::format("undefined_input_test.cpp:{}", c.line)), std::string::npos) << what;
    }
  }
}
