// Lesson 10: LayerNorm against PyTorch, composed only of autograd ops.
#include "nn/layer_norm.hpp"

#include <gtest/gtest.h>

#include "nn_test_util.hpp"
#include "support/gradcheck.hpp"

using namespace glimpse;

TEST(LayerNorm, MatchesPyTorchForwardAndBackward) {
  const auto fx = test::load_fixture("layer_norm");
  nn::LayerNorm norm(6);
  nn::load_state(norm, fx, /*strict=*/false);
  Tensor x = test::leaf(fx.at("x"));
  Tensor out = norm(x);
  EXPECT_TRUE(test::all_close(out, fx.at("out")));
  (out * fx.at("R")).sum().backward();
  EXPECT_TRUE(test::grads_match(norm, fx, "grad.", 1e-5f, 1e-5f));
  EXPECT_TRUE(test::all_close(x.grad(), fx.at("grad.x"), 1e-5f, 1e-5f));
}

TEST(LayerNorm, StartsAsPureNormalisation) {
  nn::LayerNorm norm(Shape{2, 3});
  EXPECT_EQ(test::parameter_names(norm), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(norm.weight().to_vector(), std::vector<float>(6, 1.0f));
  EXPECT_EQ(norm.bias().to_vector(), std::vector<float>(6, 0.0f));
  Generator gen(1);
  const Tensor x = add(mul(randn({4, 2, 3}, gen), 3.0f), 5.0f);
  const Tensor y = norm(x);
  const Tensor m = y.mean({1, 2});
  const Tensor var = (y * y).mean({1, 2});
  for (int64_t b = 0; b < 4; ++b) {
    EXPECT_NEAR(m.at({b}), 0.0f, 1e-5f);
    EXPECT_NEAR(var.at({b}), 1.0f, 1e-3f);  // eps = 1e-5 keeps it just below 1
  }
}

TEST(LayerNorm, WithoutAffineHasNoParameters) {
  nn::LayerNorm norm(4, 1e-5f, /*elementwise_affine=*/false);
  EXPECT_TRUE(norm.named_parameters().empty());
  EXPECT_EQ(norm(ones({2, 4})).shape(), (Shape{2, 4}));
}

TEST(LayerNorm, Gradcheck) {
  Generator gen(2);
  nn::LayerNorm norm(4);
  {
    NoGradGuard no_grad;  // non-trivial affine parameters
    auto params = norm.parameters();
    glimpse::detail::copy_into(params[0], randn({4}, gen));
    glimpse::detail::copy_into(params[1], randn({4}, gen));
  }
  Tensor x = test::leaf(randn({3, 4}, gen));
  auto params = norm.parameters();
  EXPECT_TRUE(
      test::gradcheck([&](const std::vector<Tensor>& in) { return norm(in[0]); }, {x, params[0], params[1]}));
}

TEST(LayerNorm, WrongTrailingShapeThrows) {
  nn::LayerNorm norm(4);
  EXPECT_THROW(norm(ones({2, 5})), Error);
  EXPECT_THROW(nn::LayerNorm(Shape{}), Error);
}

TEST(LayerNorm, StatisticsOfLargeOffsetsAreAccurate) {
  // 1024 values 100 + k/1024 (each exact in float). Float-by-float sums were off by 1.4e-3 here;
  // PyTorch is within 7e-6 of the double-precision answer.
  std::vector<float> values;
  for (int k = 0; k < 1024; ++k) values.push_back(100.0f + static_cast<float>(k) / 1024.0f);
  nn::LayerNorm norm(1024, 1e-5f);
  const std::vector<float> y = norm(from_vector(values, {1, 1024})).to_vector();
  double mu = 0, var = 0;
  for (float v : values) mu += v;
  mu /= 1024;
  for (float v : values) var += (v - mu) * (v - mu);
  var /= 1024;
  for (int k = 0; k < 1024; ++k)
    EXPECT_NEAR(y[k], (values[k] - mu) / std::sqrt(var + 1e-5), 7e-6) << "element " << k;
}

TEST(LayerNorm, WrongShapeMessageShowsTheExpectedShape) {
  nn::LayerNorm norm(Shape{2, 3});
  try {
    norm(ones({2, 5}));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("expects input [..., 2, 3], got [2, 5]\n"), std::string::npos) << e.what();
  }
}
