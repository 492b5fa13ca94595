// Lesson 03: a module's parameters read out and written back by name; nothing changes on error.
#include "nn/state.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "nn/linear.hpp"
#include "nn_test_util.hpp"

using namespace glimpse;

namespace {
struct TwoLayers : nn::Module {
  explicit TwoLayers(Generator& gen) {
    first = register_module("first", std::make_shared<nn::Linear>(3, 4, gen));
    second = register_module("second", std::make_shared<nn::Linear>(4, 2, gen));
  }
  std::string kind() const override { return "TwoLayers"; }
  std::shared_ptr<nn::Linear> first, second;
};

std::map<std::string, std::vector<float>> values(const nn::Module& m) {
  std::map<std::string, std::vector<float>> out;
  for (const auto& [name, p] : m.named_parameters()) out[name] = p.to_vector();
  return out;
}
}  // namespace

TEST(State, StateDictIsADetachedCopyByDottedName) {
  Generator gen(1);
  TwoLayers net(gen);
  auto state = nn::state_dict(net);
  EXPECT_EQ(state.size(), 4u);
  ASSERT_TRUE(state.contains("second.bias"));
  EXPECT_EQ(state.at("first.weight").to_vector(), net.first->weight().to_vector());
  EXPECT_FALSE(state.at("first.weight").requires_grad());
  state.at("first.weight").data()[0] += 1.0f;  // changing the copy leaves the model alone
  EXPECT_NE(state.at("first.weight").to_vector(), net.first->weight().to_vector());
}

TEST(State, LoadStateCopiesIntoTheSameParameterTensors) {
  Generator a(1), b(2);
  TwoLayers source(a), target(b);
  const Tensor w = target.first->weight();  // e.g. held by an optimiser
  nn::load_state(target, nn::state_dict(source));
  EXPECT_EQ(values(target), values(source));
  EXPECT_EQ(w.node(), target.first->weight().node());
  EXPECT_EQ(w.to_vector(), source.first->weight().to_vector());
  EXPECT_TRUE(target.first->weight().requires_grad());
}

TEST(State, MissingParameterThrowsAndLeavesTheModelUntouched) {
  Generator a(1), b(2);
  TwoLayers source(a), target(b);
  const auto before = values(target);
  auto state = nn::state_dict(source);
  state.erase("second.bias");
  try {
    nn::load_state(target, state);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "load_state");
    EXPECT_NE(std::string(e.what()).find("second.bias"), std::string::npos) << e.what();
  }
  EXPECT_EQ(values(target), before);
}

TEST(State, WrongShapeThrowsAndLeavesTheModelUntouched) {
  Generator a(1), b(2);
  TwoLayers source(a), target(b);
  const auto before = values(target);
  auto state = nn::state_dict(source);
  state["second.weight"] = zeros({4, 2});  // transposed
  try {
    nn::load_state(target, state);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 4]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[4, 2]"), std::string::npos) << e.what();
  }
  EXPECT_EQ(values(target), before);
}

TEST(State, StrictRejectsUnknownNamesAndLenientIgnoresThem) {
  Generator a(1), b(2);
  TwoLayers source(a), target(b);
  const auto before = values(target);
  auto state = nn::state_dict(source);
  state["third.weight"] = zeros({1});
  EXPECT_THROW(nn::load_state(target, state), Error);
  EXPECT_EQ(values(target), before);
  nn::load_state(target, state, /*strict=*/false);
  EXPECT_EQ(values(target), values(source));
}
