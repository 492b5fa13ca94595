// Issue 11: the Transformer stacks and the encoder-decoder Transformer against torch.nn.Transformer
// (tests/fixtures/generate_transformer.py).
#include "nn/transformer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "attention_fixture.hpp"
#include "nn/attention_mask.hpp"
#include "nn/state.hpp"
#include "nn_test_util.hpp"
#include "support/error_message.hpp"

using namespace glimpse;

namespace {

// close_or_as_close_as_pytorch (1e-5 of each element, else within twice PyTorch's float32 miss),
// and for the elements that meet neither, within 1e-5 of the tensor's largest value. Four layers
// deep, 3 of the 3 184 gradient elements (parameters and inputs) come out of cancellations (up to 8e-5 of
// their own small value, where PyTorch's float32 misses by up to 6e-5 too); measured against
// the tensor's scale they are within 1.5e-6.
::testing::AssertionResult close_at_the_tensors_scale(const Tensor& actual, const Tensor& exact,
                                                      const Tensor& pytorch_float32) {
  if (test::close_or_as_close_as_pytorch(actual, exact, pytorch_float32))
    return ::testing::AssertionSuccess();
  const std::vector<float> a = actual.to_vector(), e = exact.to_vector();
  float scale = 0.0f;
  for (float v : e) scale = std::max(scale, std::fabs(v));
  for (size_t i = 0; i < a.size(); ++i)
    if (!(std::fabs(a[i] - e[i]) <= 1e-5f * scale))
      return ::testing::AssertionFailure() << fmt::format(
                 "element {} (flat): {:.8g} vs exact {:.8g}, beyond 1e-5 of "
                 "the tensor's largest value {:.4g}",
                 i, a[i], e[i], scale);
  return ::testing::AssertionSuccess() << "within 1e-5 of the tensor's largest value";
}

}  // namespace

TEST(GenerateSquareSubsequentMask, IsAdditiveMinusInfinityAboveTheDiagonal) {
  const Tensor mask = nn::Transformer::generate_square_subsequent_mask(3);
  EXPECT_EQ(mask.shape(), (Shape{3, 3}));
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(mask.to_vector(), (std::vector<float>{0, -inf, -inf, 0, 0, -inf, 0, 0, 0}));
  EXPECT_EQ(nn::generate_square_subsequent_mask(4).to_vector(),
            test::load_fixture("transformer").at("tgt_mask").to_vector());
  EXPECT_EQ(nn::mask_kind(mask), nn::MaskKind::additive);
}

TEST(Transformer, ParameterNamesMatchPyTorchsStateDict) {
  Generator gen(1);
  nn::Transformer model(8, 2, 2, 2, 16, 0.0f, "relu", 1e-5f, false, gen);
  const auto names = test::parameter_names(model);
  ASSERT_EQ(names.size(), 2u * 12 + 2 + 2u * 18 + 2);
  EXPECT_EQ(names[0], "encoder.layers.0.self_attn.in_proj_weight");
  EXPECT_EQ(names[12], "encoder.layers.1.self_attn.in_proj_weight");
  EXPECT_EQ(names[24], "encoder.norm.weight");
  EXPECT_EQ(names[25], "encoder.norm.bias");
  EXPECT_EQ(names[26], "decoder.layers.0.self_attn.in_proj_weight");
  EXPECT_EQ(names[30], "decoder.layers.0.multihead_attn.in_proj_weight");
  EXPECT_EQ(names[44], "decoder.layers.1.self_attn.in_proj_weight");
  EXPECT_EQ(names[61], "decoder.layers.1.norm3.bias");
  EXPECT_EQ(names[62], "decoder.norm.weight");
  EXPECT_EQ(names[63], "decoder.norm.bias");
  // The same set as PyTorch's state_dict (load_state is strict: nothing missing, nothing extra).
  nn::load_state(model, test::fixture_params(test::load_fixture("transformer")));
}

TEST(Transformer, MatchesPyTorchValuesAndEveryGradient) {
  auto f = test::load_fixture("transformer");
  Generator gen(1);
  nn::Transformer model(8, 2, 2, 2, 16, 0.0f, "relu", 1e-5f, false, gen);
  nn::load_state(model, test::fixture_params(f));
  model.eval();
  Tensor src = test::leaf(f.at("src")), tgt = test::leaf(f.at("tgt"));
  const auto out = model(src, tgt, Tensor(), f.at("tgt_mask"), Tensor(), f.at("src_key_padding_mask"),
                         Tensor(), f.at("memory_key_padding_mask"));
  EXPECT_TRUE(test::all_close(out.encoder.output, f.at("memory")));
  EXPECT_TRUE(test::all_close(out.output, f.at("output")));
  test::fixture_loss(f, {{"output", out.output}}).backward();
  EXPECT_TRUE(test::close_or_as_close_as_pytorch(src.grad(), f.at("grad.src"), f.at("grad32.src")));
  EXPECT_TRUE(test::close_or_as_close_as_pytorch(tgt.grad(), f.at("grad.tgt"), f.at("grad32.tgt")));
  for (auto& [name, p] : model.named_parameters())
    EXPECT_TRUE(
        close_at_the_tensors_scale(p.grad(), f.at("grad.param." + name), f.at("grad32.param." + name)))
        << name;
}

TEST(Transformer, MatricesAreXavierUniformAndNormsStartAtOneAndZero) {
  Generator gen(2);
  nn::Transformer model(16, 4, 1, 1, 32, 0.0f, "relu", 1e-5f, false, gen);
  for (auto& [name, p] : model.named_parameters()) {
    const auto v = p.to_vector();
    if (p.dim() == 2) {
      const float bound = std::sqrt(6.0f / static_cast<float>(p.size(0) + p.size(1)));
      for (float x : v) EXPECT_LE(std::fabs(x), bound) << name;
    } else if (name.find("norm") != std::string::npos && name.ends_with("weight")) {
      for (float x : v) EXPECT_EQ(x, 1.0f) << name;
    }
  }
  // Each layer drew its own values (PyTorch re-initialises after its deep copies).
  EXPECT_NE(model.encoder().layer(0).linear1().weight().to_vector(),
            model.decoder().layer(0).linear1().weight().to_vector());
}

TEST(TransformerEncoder, CopiesOfThePrototypeStartEqualAndTrainApart) {
  Generator gen(3);
  nn::TransformerEncoderLayer prototype(8, 2, 16, 0.0f, "relu", 1e-5f, false, gen);
  nn::TransformerEncoder encoder(prototype, 3);
  ASSERT_EQ(encoder.num_layers(), 3);
  EXPECT_EQ(encoder.norm(), nullptr);
  const auto names = test::parameter_names(encoder);
  EXPECT_EQ(names.front(), "layers.0.self_attn.in_proj_weight");
  EXPECT_EQ(names.back(), "layers.2.norm2.bias");
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(encoder.layer(i).linear1().weight().to_vector(), prototype.linear1().weight().to_vector());
    EXPECT_NE(encoder.layer(i).linear1().weight().data(), prototype.linear1().weight().data());
  }
  EXPECT_NE(encoder.layer(0).linear1().weight().data(), encoder.layer(1).linear1().weight().data());
}

TEST(TransformerEncoder, AFactoryMakesEachLayerAndTheNormComesLast) {
  Generator gen(4);
  nn::TransformerEncoder encoder(
      [&] { return std::make_shared<nn::TransformerEncoderLayer>(8, 2, 16, 0.0f, "relu", 1e-5f, true, gen); },
      2, std::make_shared<nn::LayerNorm>(8));
  EXPECT_NE(encoder.layer(0).linear1().weight().to_vector(), encoder.layer(1).linear1().weight().to_vector());
  EXPECT_EQ(test::parameter_names(encoder).back(), "norm.bias");
  const Tensor src = randn({2, 3, 8}, gen);
  const auto out = encoder(src);
  ASSERT_EQ(out.layers.size(), 2u);
  const Tensor by_hand = encoder.layer(1)(encoder.layer(0)(src).output).output;
  EXPECT_TRUE(test::all_close(out.layers[1].output, by_hand));
  EXPECT_TRUE(test::all_close(out.output, encoder.norm()->forward(by_hand)));
}

TEST(TransformerDecoder, StacksLayersOverOneMemory) {
  Generator gen(5);
  nn::TransformerDecoderLayer prototype(8, 2, 16, 0.0f, "gelu", 1e-5f, false, gen);
  nn::TransformerDecoder decoder(prototype, 2, std::make_shared<nn::LayerNorm>(8));
  EXPECT_EQ(test::parameter_names(decoder)[4], "layers.0.multihead_attn.in_proj_weight");
  const Tensor tgt = randn({2, 3, 8}, gen), memory = randn({2, 4, 8}, gen);
  const auto out = decoder(tgt, memory, nn::causal_mask(3));
  const Tensor by_hand =
      decoder.layer(1)(decoder.layer(0)(tgt, memory, nn::causal_mask(3)).output, memory, nn::causal_mask(3))
          .output;
  EXPECT_TRUE(test::all_close(out.output, decoder.norm()->forward(by_hand)));
  EXPECT_EQ(out.layers[1].cross_head_weights.shape(), (Shape{2, 2, 3, 4}));
}

TEST(Transformer, TheTracerRecordsEveryLayersAndHeadsSelfAndCrossAttention) {
  Generator gen(6);
  nn::Transformer model(8, 2, 2, 2, 16, 0.0f, "relu", 1e-5f, true, gen);
  test::StepRecorder recorder;
  const auto out = model(randn({2, 5, 8}, gen), randn({2, 3, 8}, gen), Tensor(), nn::causal_mask(3));
  std::vector<std::string> paths;
  for (const auto& r : recorder.records) paths.push_back(model.path_of(r.module));
  EXPECT_EQ(paths, (std::vector<std::string>{"encoder.layers.0.self_attn", "encoder.layers.0",
                                             "encoder.layers.1.self_attn", "encoder.layers.1",
                                             "decoder.layers.0.self_attn", "decoder.layers.0.multihead_attn",
                                             "decoder.layers.0", "decoder.layers.1.self_attn",
                                             "decoder.layers.1.multihead_attn", "decoder.layers.1"}));
  // The attention modules' records carry each head's weights, the same the outputs return.
  const auto& cross = recorder.records[8];
  for (const auto& [name, value] : cross.values) {
    if (name == "head_weights") {
      EXPECT_EQ(value.to_vector(), out.decoder.layers[1].cross_head_weights.to_vector());
    }
  }
  EXPECT_EQ(out.decoder.layers[1].cross_head_weights.shape(), (Shape{2, 2, 3, 5}));
  EXPECT_EQ(out.encoder.layers[0].head_weights.shape(), (Shape{2, 2, 5, 5}));
}

TEST(Transformer, Gradcheck) {
  Generator gen(7);
  nn::Transformer model(4, 2, 1, 1, 6, 0.0f, "gelu", 1e-5f, false, gen);
  const Tensor padding = nn::padding_mask({3, 2}, 3);
  EXPECT_TRUE(test::gradcheck(
      [&](const std::vector<Tensor>& in) {
        return model(in[0], in[1], Tensor(), nn::generate_square_subsequent_mask(2), Tensor(), padding,
                     Tensor(), padding)
            .output;
      },
      {test::leaf(randn({2, 3, 4}, gen)), test::leaf(randn({2, 2, 4}, gen))}));
}

TEST(Transformer, ErrorsNameTheModuleTheShapesAndTheCallersLine) {
  Generator gen(8);
  nn::Transformer model(8, 2, 1, 1, 16, 0.0f, "relu", 1e-5f, false, gen);
  int line = __LINE__ + 1;
  std::string msg = test::error_message([&] { model(zeros({2, 5, 8}), zeros({3, 4, 8})); });
  EXPECT_EQ(msg.rfind("Transformer: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("src [2, 5, 8] and tgt [3, 4, 8]"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("transformer_test.cpp:{}", line)), std::string::npos) << msg;
  // A wrong-width memory handed to a decoder stack is caught by its first layer, at this line.
  nn::TransformerDecoder decoder(model.decoder().layer(0), 2);
  line = __LINE__ + 1;
  msg = test::error_message([&] { decoder(zeros({2, 4, 8}), zeros({2, 5, 6})); });
  EXPECT_EQ(msg.rfind("TransformerDecoderLayer: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("[2, 5, 6]"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("transformer_test.cpp:{}", line)), std::string::npos) << msg;
  msg = test::error_message([&] { nn::TransformerEncoder encoder(model.encoder().layer(0), 0); });
  EXPECT_EQ(msg.rfind("TransformerEncoder: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("num_layers must be at least 1, got 0"), std::string::npos) << msg;
}
