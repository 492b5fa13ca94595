// Lesson 03: Linear against PyTorch, its initialisation, and its errors.
#include "nn/linear.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <string>

#include "nn_test_util.hpp"
#include "support/gradcheck.hpp"

using namespace glimpse;

TEST(Linear, MatchesPyTorchForwardAndBackward) {
  const auto fx = test::load_fixture("linear");
  nn::Linear layer(5, 3);
  nn::load_state(layer, fx, /*strict=*/false);
  Tensor x = test::leaf(fx.at("x"));  // [2, 4, 5]: leading dims are batch dims
  Tensor out = layer(x);
  EXPECT_TRUE(test::all_close(out, fx.at("out")));
  (out * fx.at("R")).sum().backward();
  EXPECT_TRUE(test::grads_match(layer, fx));
  EXPECT_TRUE(test::all_close(x.grad(), fx.at("grad.x")));
}

TEST(Linear, NamedParametersAndShapes) {
  nn::Linear layer(5, 3);
  EXPECT_EQ(test::parameter_names(layer), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(layer.weight().shape(), (Shape{3, 5}));
  EXPECT_EQ(layer.bias().shape(), (Shape{3}));
  nn::Linear no_bias(5, 3, /*bias=*/false);
  EXPECT_EQ(test::parameter_names(no_bias), (std::vector<std::string>{"weight"}));
  EXPECT_FALSE(no_bias.bias().defined());
  const Tensor x = ones({2, 5});
  EXPECT_TRUE(test::all_close(no_bias(x), matmul(x, no_bias.weight().t())));
}

TEST(Linear, InitialisesLikePyTorchFromTheGivenGenerator) {
  Generator a(9), b(9);
  nn::Linear l1(16, 8, a), l2(16, 8, b);
  EXPECT_EQ(l1.weight().to_vector(), l2.weight().to_vector());
  EXPECT_EQ(l1.bias().to_vector(), l2.bias().to_vector());
  const float bound = 1.0f / std::sqrt(16.0f);  // U(-1/√in, 1/√in) for weight and bias
  for (const Tensor& p : l1.parameters())
    for (float v : p.to_vector()) EXPECT_LE(std::fabs(v), bound);
  nn::Linear other(16, 8);  // default generator: different values
  EXPECT_NE(other.weight().to_vector(), l1.weight().to_vector());
}

TEST(Linear, Gradcheck) {
  Generator gen(2);
  nn::Linear layer(3, 2, gen);
  Tensor x = test::leaf(randn({4, 3}, gen));
  auto params = layer.parameters();
  EXPECT_TRUE(test::gradcheck([&](const std::vector<Tensor>& in) { return layer(in[0]); },
                              {x, params[0], params[1]}));
}

TEST(Linear, WrongInputSizeNamesTheLayerAndShapes) {
  nn::Linear layer(5, 3);
  try {
    layer(ones({2, 4}));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "Linear");
    EXPECT_NE(std::string(e.what()).find("[2, 4]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("linear_test.cpp"), std::string::npos) << e.what();
  }
  EXPECT_THROW(nn::Linear(0, 3), Error);
}

TEST(Linear, BuiltByMakeSharedNamesTheCallersLine) {
  // std::make_shared runs the constructor inside <memory>, so its default Loc::current() is a
  // line of libstdc++. The error finds this line on the stack instead, skipping Glimpse's own
  // frames and the standard library's (without libbacktrace it says the line is unknown).
  int line = 0;
  try {
    line = __LINE__ + 1;
    std::make_shared<nn::Linear>(0, 2);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.op(), "Linear");
    EXPECT_EQ(msg.find("include/c++"), std::string::npos) << msg;
    EXPECT_EQ(msg.find(".h:"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("nn/linear.cpp"), std::string::npos) << msg;
#if GLIMPSE_HAVE_BACKTRACE
    EXPECT_NE(msg.find(fmt::format("at {}:{}", __FILE__, line)), std::string::npos) << msg;
#else
    EXPECT_NE(msg.find("unknown line"), std::string::npos) << msg;
#endif
  }
  line = __LINE__ + 2;  // passing the location explicitly names the line too
  try {
    std::make_shared<nn::Linear>(0, 2, true, default_generator(), Loc::current());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fmt::format("linear_test.cpp:{}", line)), std::string::npos) << e.what();
  }
}

TEST(Linear, AnUndefinedInputNamesTheLayer) {
  nn::Linear layer(5, 3);
  try {
    layer(Tensor());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "Linear");
    EXPECT_NE(std::string(e.what()).find("linear_test.cpp"), std::string::npos) << e.what();
  }
}
