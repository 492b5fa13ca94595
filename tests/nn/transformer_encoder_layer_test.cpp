// Lesson 10: the Transformer encoder block against torch.nn.TransformerEncoderLayer.
#include "nn/transformer_encoder_layer.hpp"

#include <gtest/gtest.h>

#include "attention_fixture.hpp"
#include "nn/attention_mask.hpp"
#include "nn/state.hpp"

using namespace glimpse;

namespace {

void check_against_fixture(bool norm_first, const std::string& activation = "relu") {
  SCOPED_TRACE(activation + (norm_first ? " pre-norm" : " post-norm"));
  auto f = test::load_fixture("transformer_encoder_layer_" + (activation == "gelu" ? std::string("gelu_") : "") +
                              (norm_first ? "pre_norm" : "post_norm"));
  Generator gen(1);
  nn::TransformerEncoderLayer layer(8, 2, 16, 0.0f, activation, 1e-5f, norm_first, gen);
  EXPECT_EQ(layer.activation(), activation);
  nn::load_state(layer, test::fixture_params(f));
  layer.eval();
  Tensor src = test::leaf(f.at("src"));
  const auto out = layer(src, Tensor(), f.at("key_padding_mask"));
  EXPECT_TRUE(test::all_close(out.output, f.at("output")));
  EXPECT_TRUE(test::all_close(out.weights, f.at("weights")));
  test::fixture_loss(f, {{"output", out.output}}).backward();
  EXPECT_TRUE(test::close_or_as_close_as_pytorch(src.grad(), f.at("grad.src"), f.at("grad32.src")));
  for (auto& [name, p] : layer.named_parameters())
    EXPECT_TRUE(test::close_or_as_close_as_pytorch(p.grad(), f.at("grad.param." + name), f.at("grad32.param." + name)))
        << name;
}

}  // namespace

TEST(TransformerEncoderLayer, ParameterNamesMatchPyTorchsStateDict) {
  Generator gen(1);
  nn::TransformerEncoderLayer layer(8, 2, 16, 0.1f, "relu", 1e-5f, false, gen);
  std::vector<std::string> names;
  for (auto& [name, p] : layer.named_parameters()) names.push_back(name + to_string(p.shape()));
  EXPECT_EQ(names, (std::vector<std::string>{
                       "self_attn.in_proj_weight[24, 8]", "self_attn.in_proj_bias[24]",
                       "self_attn.out_proj.weight[8, 8]", "self_attn.out_proj.bias[8]", "linear1.weight[16, 8]",
                       "linear1.bias[16]", "linear2.weight[8, 16]", "linear2.bias[8]", "norm1.weight[8]",
                       "norm1.bias[8]", "norm2.weight[8]", "norm2.bias[8]"}));
}

TEST(TransformerEncoderLayer, PostNormMatchesPyTorch) { check_against_fixture(false); }
TEST(TransformerEncoderLayer, PreNormMatchesPyTorch) { check_against_fixture(true); }
TEST(TransformerEncoderLayer, GeluPostNormMatchesPyTorch) { check_against_fixture(false, "gelu"); }
TEST(TransformerEncoderLayer, GeluPreNormMatchesPyTorch) { check_against_fixture(true, "gelu"); }

TEST(TransformerEncoderLayer, UnknownActivationIsAnError) {
  try {
    nn::TransformerEncoderLayer layer(8, 2, 16, 0.0f, "tanh");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "TransformerEncoderLayer");
    EXPECT_NE(std::string(e.what()).find("activation must be \"relu\" or \"gelu\", got \"tanh\""), std::string::npos)
        << e.what();
  }
}

TEST(TransformerEncoderLayer, GeluGradcheck) {
  Generator gen(8);
  nn::TransformerEncoderLayer layer(4, 2, 6, 0.0f, "gelu", 1e-5f, /*norm_first=*/true, gen);
  layer.eval();
  EXPECT_TRUE(test::gradcheck([&](const std::vector<Tensor>& in) { return layer(in[0]).output; },
                              {test::leaf(randn({1, 3, 4}, gen))}));
}

TEST(TransformerEncoderLayer, PaddingDoesNotLeakIntoRealPositions) {
  Generator gen(2);
  nn::TransformerEncoderLayer layer(8, 2, 16, 0.0f, "relu", 1e-5f, false, gen);
  const Tensor src = randn({1, 4, 8}, gen);
  const Tensor kpm = nn::padding_mask({2}, 4);
  const auto a = layer(src, Tensor(), kpm);
  Tensor changed = src.clone();
  for (int64_t j = 0; j < 8; ++j) changed.data()[3 * 8 + j] += 5.0f;  // a padding position
  const auto b = layer(changed, Tensor(), kpm);
  for (int64_t t = 0; t < 2; ++t)
    for (int64_t j = 0; j < 8; ++j) EXPECT_EQ(a.output.at({0, t, j}), b.output.at({0, t, j}));
}

TEST(TransformerEncoderLayer, CausalMaskKeepsEarlyPositionsBlindToLaterOnes) {
  Generator gen(3);
  nn::TransformerEncoderLayer layer(8, 2, 16, 0.0f, "relu", 1e-5f, true, gen);
  const Tensor src = randn({1, 4, 8}, gen);
  const auto a = layer(src, nn::causal_mask(4));
  Tensor changed = src.clone();
  for (int64_t j = 0; j < 8; ++j) changed.data()[3 * 8 + j] -= 2.0f;  // the last position
  const auto b = layer(changed, nn::causal_mask(4));
  for (int64_t t = 0; t < 3; ++t)
    for (int64_t j = 0; j < 8; ++j) EXPECT_EQ(a.output.at({0, t, j}), b.output.at({0, t, j}));
}

TEST(TransformerEncoderLayer, Gradcheck) {
  Generator gen(4);
  for (bool norm_first : {false, true}) {
    SCOPED_TRACE(norm_first ? "pre-norm" : "post-norm");
    nn::TransformerEncoderLayer layer(4, 2, 6, 0.0f, "relu", 1e-5f, norm_first, gen);
    const Tensor kpm = nn::padding_mask({3, 2}, 3);
    EXPECT_TRUE(test::gradcheck([&](const std::vector<Tensor>& in) { return layer(in[0], Tensor(), kpm).output; },
                                {test::leaf(randn({2, 3, 4}, gen))}));
  }
}

TEST(TransformerEncoderLayer, DropoutOnlyInTraining) {
  Generator gen(5);
  nn::TransformerEncoderLayer layer(8, 2, 16, 0.3f, "relu", 1e-5f, false, gen);
  const Tensor src = randn({2, 3, 8}, gen);
  const auto train = layer(src);
  layer.eval();
  const auto e1 = layer(src), e2 = layer(src);
  EXPECT_EQ(e1.output.to_vector(), e2.output.to_vector());
  EXPECT_NE(train.output.to_vector(), e1.output.to_vector());
}

TEST(TransformerEncoderLayer, ErrorsNameTheModuleAndShape) {
  nn::TransformerEncoderLayer layer(8, 2, 16);
  try {
    layer(zeros({2, 3, 6}));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "TransformerEncoderLayer");
    EXPECT_NE(std::string(e.what()).find("[2, 3, 6]"), std::string::npos) << e.what();
  }
}
