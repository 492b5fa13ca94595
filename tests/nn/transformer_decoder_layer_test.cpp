// Issue 11: the Transformer decoder block against torch.nn.TransformerDecoderLayer
// (tests/fixtures/generate_transformer.py).
#include "nn/transformer_decoder_layer.hpp"

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

void check_against_fixture(bool norm_first, const std::string& activation = "relu") {
  SCOPED_TRACE(activation + (norm_first ? " pre-norm" : " post-norm"));
  auto f =
      test::load_fixture("transformer_decoder_layer_" + (activation == "gelu" ? std::string("gelu_") : "") +
                         (norm_first ? "pre_norm" : "post_norm"));
  Generator gen(1);
  nn::TransformerDecoderLayer layer(8, 2, 16, 0.0f, activation, 1e-5f, norm_first, gen);
  nn::load_state(layer, test::fixture_params(f));
  layer.eval();
  Tensor tgt = test::leaf(f.at("tgt")), memory = test::leaf(f.at("memory"));
  const auto out = layer(tgt, memory, f.at("tgt_mask"), Tensor(), Tensor(), f.at("memory_key_padding_mask"));
  EXPECT_TRUE(test::all_close(out.output, f.at("output")));
  EXPECT_TRUE(test::all_close(out.self_weights, f.at("self_weights")));
  EXPECT_TRUE(test::all_close(out.self_head_weights, f.at("self_head_weights")));
  EXPECT_TRUE(test::all_close(out.cross_weights, f.at("cross_weights")));
  EXPECT_TRUE(test::all_close(out.cross_head_weights, f.at("cross_head_weights")));
  test::fixture_loss(f, {{"output", out.output}}).backward();
  EXPECT_TRUE(test::close_or_as_close_as_pytorch(tgt.grad(), f.at("grad.tgt"), f.at("grad32.tgt")));
  EXPECT_TRUE(test::close_or_as_close_as_pytorch(memory.grad(), f.at("grad.memory"), f.at("grad32.memory")));
  for (auto& [name, p] : layer.named_parameters())
    EXPECT_TRUE(test::close_or_as_close_as_pytorch(p.grad(), f.at("grad.param." + name),
                                                   f.at("grad32.param." + name)))
        << name;
}

}  // namespace

TEST(TransformerDecoderLayer, ParameterNamesMatchPyTorchsStateDict) {
  Generator gen(1);
  nn::TransformerDecoderLayer layer(8, 2, 16, 0.1f, "relu", 1e-5f, false, gen);
  std::vector<std::string> names;
  for (auto& [name, p] : layer.named_parameters()) names.push_back(name + to_string(p.shape()));
  EXPECT_EQ(names, (std::vector<std::string>{
                       "self_attn.in_proj_weight[24, 8]", "self_attn.in_proj_bias[24]",
                       "self_attn.out_proj.weight[8, 8]", "self_attn.out_proj.bias[8]",
                       "multihead_attn.in_proj_weight[24, 8]", "multihead_attn.in_proj_bias[24]",
                       "multihead_attn.out_proj.weight[8, 8]", "multihead_attn.out_proj.bias[8]",
                       "linear1.weight[16, 8]", "linear1.bias[16]", "linear2.weight[8, 16]",
                       "linear2.bias[8]", "norm1.weight[8]", "norm1.bias[8]", "norm2.weight[8]",
                       "norm2.bias[8]", "norm3.weight[8]", "norm3.bias[8]"}));
}

TEST(TransformerDecoderLayer, PostNormMatchesPyTorch) { check_against_fixture(false); }
TEST(TransformerDecoderLayer, PreNormMatchesPyTorch) { check_against_fixture(true); }
TEST(TransformerDecoderLayer, GeluPostNormMatchesPyTorch) { check_against_fixture(false, "gelu"); }
TEST(TransformerDecoderLayer, GeluPreNormMatchesPyTorch) { check_against_fixture(true, "gelu"); }

TEST(TransformerDecoderLayer, Gradcheck) {
  Generator gen(4);
  for (bool norm_first : {false, true})
    for (const char* activation : {"relu", "gelu"}) {
      SCOPED_TRACE(std::string(activation) + (norm_first ? " pre-norm" : " post-norm"));
      nn::TransformerDecoderLayer layer(4, 2, 6, 0.0f, activation, 1e-5f, norm_first, gen);
      const Tensor memory_padding = nn::padding_mask({3, 2}, 3);
      EXPECT_TRUE(test::gradcheck(
          [&](const std::vector<Tensor>& in) {
            return layer(in[0], in[1], nn::causal_mask(2), Tensor(), Tensor(), memory_padding).output;
          },
          {test::leaf(randn({2, 2, 4}, gen)), test::leaf(randn({2, 3, 4}, gen))}));
    }
}

TEST(TransformerDecoderLayer, GradcheckOfEveryParameter) {
  // The parameters themselves are gradcheck's inputs: it perturbs them in place, the layer reads them.
  Generator gen(10);
  for (bool norm_first : {false, true}) {
    SCOPED_TRACE(norm_first ? "pre-norm" : "post-norm");
    nn::TransformerDecoderLayer layer(4, 2, 6, 0.0f, "gelu", 1e-5f, norm_first, gen);
    const Tensor tgt = randn({2, 2, 4}, gen), memory = randn({2, 3, 4}, gen);
    const Tensor memory_padding = nn::padding_mask({3, 2}, 3);
    EXPECT_TRUE(test::gradcheck(
        [&](const std::vector<Tensor>&) {
          return layer(tgt, memory, nn::causal_mask(2), Tensor(), Tensor(), memory_padding).output;
        },
        layer.parameters()));
  }
}

TEST(TransformerDecoderLayer, GradcheckThroughTheAttentionWeights) {
  Generator gen(6);
  nn::TransformerDecoderLayer layer(4, 2, 6, 0.0f, "relu", 1e-5f, false, gen);
  EXPECT_TRUE(test::gradcheck(
      [&](const std::vector<Tensor>& in) {
        const auto out = layer(in[0], in[1], nn::causal_mask(3));
        return out.cross_head_weights.sum() * 0.5f + (out.self_weights * out.self_weights).sum() +
               out.output.sum();
      },
      {test::leaf(randn({1, 3, 4}, gen)), test::leaf(randn({1, 2, 4}, gen))}));
}

TEST(TransformerDecoderLayer, CausalMaskKeepsEarlyPositionsBlindToLaterOnes) {
  Generator gen(3);
  for (bool norm_first : {false, true}) {
    SCOPED_TRACE(norm_first ? "pre-norm" : "post-norm");
    nn::TransformerDecoderLayer layer(8, 2, 16, 0.0f, "relu", 1e-5f, norm_first, gen);
    const Tensor tgt = randn({1, 4, 8}, gen), memory = randn({1, 3, 8}, gen);
    const auto a = layer(tgt, memory, nn::causal_mask(4));
    ASSERT_EQ(to_string(a.self_head_weights.shape()), "[1, 2, 4, 4]") << "self-attention is over the target";
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t i = 0; i < 4; ++i)
        for (int64_t j = i + 1; j < 4; ++j)
          ASSERT_EQ(a.self_head_weights.at({0, h, i, j}), 0.0f)
              << "head " << h << ": target position " << i << " attends to the later position " << j
              << ": the self-attention must use tgt_mask";
    Tensor changed = tgt.clone();
    for (int64_t j = 0; j < 8; ++j) changed.data()[3 * 8 + j] -= 2.0f;  // the last position
    const auto b = layer(changed, memory, nn::causal_mask(4));
    for (int64_t t = 0; t < 3; ++t)
      for (int64_t j = 0; j < 8; ++j)
        ASSERT_EQ(a.output.at({0, t, j}), b.output.at({0, t, j}))
            << "output position " << t << " changed when only the last target position did";
  }
}

TEST(TransformerDecoderLayer, CrossAttentionTakesItsKeysAndValuesFromTheMemory) {
  // Queries from the target (T = 3), keys and values from the memory (S = 5): each target
  // position gets a weight for every memory position, and the output depends on the memory.
  Generator gen(8);
  for (bool norm_first : {false, true}) {
    SCOPED_TRACE(norm_first ? "pre-norm" : "post-norm");
    nn::TransformerDecoderLayer layer(8, 2, 16, 0.0f, "relu", 1e-5f, norm_first, gen);
    const Tensor tgt = randn({2, 3, 8}, gen);
    const Tensor memory = test::leaf(randn({2, 5, 8}, gen));
    const auto a = layer(tgt, memory, nn::causal_mask(3));
    ASSERT_EQ(to_string(a.cross_head_weights.shape()), "[2, 2, 3, 5]")
        << "cross-attention: queries from the target [2, 3, 8], keys and values from the memory [2, 5, 8]";
    ASSERT_EQ(to_string(a.cross_weights.shape()), "[2, 3, 5]");
    ASSERT_EQ(to_string(a.output.shape()), "[2, 3, 8]");
    // A weighted sum: a plain sum of a post-norm output is constant (each row's norm sums to its bias).
    (a.output * randn(a.output.shape(), gen)).sum().backward();
    ASSERT_TRUE(memory.grad().defined()) << "no gradient reaches the memory: cross-attention must read it";
    float largest = 0.0f;
    for (float g : memory.grad().to_vector()) largest = std::max(largest, std::fabs(g));
    EXPECT_GT(largest, 1e-4f) << "the output does not depend on the memory";
  }
}

TEST(TransformerDecoderLayer, EachSublayersOutputGoesThroughItsDropout) {
  // With p = 1 in training, dropout zeroes everything it is given, so a sublayer whose output goes
  // through its dropout adds nothing to the residual: pre-norm gives tgt back, post-norm
  // norm3(norm2(norm1(tgt))). The biases are set nonzero, so a sublayer that skips its dropout adds them.
  Generator gen(11);
  for (bool norm_first : {false, true}) {
    SCOPED_TRACE(norm_first ? "pre-norm" : "post-norm");
    nn::TransformerDecoderLayer layer(8, 2, 16, 1.0f, "relu", 1e-5f, norm_first, gen);
    for (auto& [name, p] : layer.named_parameters())
      if (name.find("norm") == std::string::npos && name.find("bias") != std::string::npos)
        for (int64_t k = 0; k < p.numel(); ++k) p.data()[k] = 0.5f;
    const Tensor tgt = randn({2, 3, 8}, gen), memory = randn({2, 4, 8}, gen);
    const Tensor expected =
        norm_first ? tgt : layer.norm3().forward(layer.norm2().forward(layer.norm1().forward(tgt)));
    EXPECT_TRUE(test::all_close(layer(tgt, memory, nn::causal_mask(3)).output, expected))
        << "a sublayer's output must go through its dropout (dropout1, dropout2, dropout3) before the "
           "residual sum";
  }
}

TEST(TransformerDecoderLayer, MemoryPaddingGetsNoCrossAttention) {
  Generator gen(2);
  nn::TransformerDecoderLayer layer(8, 2, 16, 0.0f, "relu", 1e-5f, false, gen);
  const Tensor tgt = randn({1, 3, 8}, gen), memory = randn({1, 4, 8}, gen);
  const Tensor kpm = nn::padding_mask({2}, 4);
  const auto a = layer(tgt, memory, Tensor(), Tensor(), Tensor(), kpm);
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t t = 0; t < 3; ++t)
      for (int64_t s = 2; s < 4; ++s) EXPECT_EQ(a.cross_head_weights.at({0, h, t, s}), 0.0f);
  Tensor changed = memory.clone();
  for (int64_t j = 0; j < 8; ++j) changed.data()[3 * 8 + j] += 5.0f;  // a padding position
  const auto b = layer(tgt, changed, Tensor(), Tensor(), Tensor(), kpm);
  EXPECT_EQ(a.output.to_vector(), b.output.to_vector());
}

TEST(TransformerDecoderLayer, TheTracerSeesEachHeadsSelfAndCrossAttention) {
  Generator gen(7);
  nn::TransformerDecoderLayer layer(8, 2, 16, 0.0f, "relu", 1e-5f, false, gen);
  test::StepRecorder recorder;
  const auto out = layer(randn({2, 3, 8}, gen), randn({2, 5, 8}, gen), nn::causal_mask(3));
  ASSERT_EQ(recorder.records.size(), 3u);  // self_attn, multihead_attn, the layer
  EXPECT_EQ(recorder.records[0].module, &layer.self_attn());
  EXPECT_EQ(recorder.records[1].module, &layer.multihead_attn());
  EXPECT_EQ(layer.path_of(recorder.records[1].module), "multihead_attn");
  EXPECT_EQ(recorder.records[2].kind, "TransformerDecoderLayer");
  EXPECT_EQ(recorder.names(2), (std::vector<std::string>{"output", "self_weights", "cross_weights"}));
  for (size_t i : {0u, 1u}) {
    const auto& values = recorder.records[i].values;
    const auto head =
        std::find_if(values.begin(), values.end(), [](auto& v) { return v.first == "head_weights"; });
    ASSERT_NE(head, values.end());
    EXPECT_EQ(head->second.to_vector(),
              (i == 0 ? out.self_head_weights : out.cross_head_weights).to_vector());
  }
  EXPECT_EQ(out.cross_head_weights.shape(), (Shape{2, 2, 3, 5}));
}

TEST(TransformerDecoderLayer, DropoutOnlyInTraining) {
  Generator gen(5);
  nn::TransformerDecoderLayer layer(8, 2, 16, 0.3f, "relu", 1e-5f, false, gen);
  const Tensor tgt = randn({2, 3, 8}, gen), memory = randn({2, 4, 8}, gen);
  const auto train = layer(tgt, memory);
  layer.eval();
  const auto e1 = layer(tgt, memory), e2 = layer(tgt, memory);
  EXPECT_EQ(e1.output.to_vector(), e2.output.to_vector());
  EXPECT_NE(train.output.to_vector(), e1.output.to_vector());
}

TEST(TransformerDecoderLayer, CloneCopiesTheValuesNotTheTensors) {
  Generator gen(9);
  nn::TransformerDecoderLayer layer(8, 2, 16, 0.0f, "gelu", 1e-5f, true, gen);
  const auto copy = layer.clone();
  EXPECT_EQ(copy->activation(), "gelu");
  EXPECT_TRUE(copy->norm_first());
  const auto a = nn::state_dict(layer), b = nn::state_dict(*copy);
  for (const auto& [name, value] : a) EXPECT_EQ(value.to_vector(), b.at(name).to_vector()) << name;
  EXPECT_NE(copy->linear1().weight().data(), layer.linear1().weight().data());
}

TEST(TransformerDecoderLayer, UnknownActivationIsAnError) {
  const std::string msg =
      test::error_message([] { nn::TransformerDecoderLayer layer(8, 2, 16, 0.0f, "tanh"); });
  EXPECT_EQ(msg.rfind("TransformerDecoderLayer: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("activation must be \"relu\" or \"gelu\", got \"tanh\""), std::string::npos) << msg;
}

TEST(TransformerDecoderLayer, ShapeErrorsNameTheModuleTheShapesAndTheCallersLine) {
  nn::TransformerDecoderLayer layer(8, 2, 16);
  int line = __LINE__ + 1;
  std::string msg = test::error_message([&] { layer(zeros({2, 3, 6}), zeros({2, 4, 8})); });
  EXPECT_EQ(msg.rfind("TransformerDecoderLayer: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("tgt [B, T, 8]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[2, 3, 6]"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("transformer_decoder_layer_test.cpp:{}", line)), std::string::npos) << msg;
  line = __LINE__ + 1;
  msg = test::error_message([&] { layer(zeros({2, 3, 8}), zeros({3, 4, 8})); });
  EXPECT_NE(msg.find("memory [2, S, 8]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[3, 4, 8]"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("transformer_decoder_layer_test.cpp:{}", line)), std::string::npos) << msg;
  // A mask of the wrong size is caught inside the attention; the line is still the caller's.
  line = __LINE__ + 1;
  msg = test::error_message([&] { layer(zeros({2, 3, 8}), zeros({2, 4, 8}), nn::causal_mask(5)); });
  EXPECT_NE(msg, "no error");
  EXPECT_NE(msg.find(fmt::format("transformer_decoder_layer_test.cpp:{}", line)), std::string::npos) << msg;
}
