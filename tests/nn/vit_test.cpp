// Lesson 11: the Vision Transformer's patches, shapes, names and argument checks.
#include "nn/vit.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "attention_fixture.hpp"
#include "nn/state.hpp"
#include "nn_test_util.hpp"
#include "support/fixtures.hpp"

using namespace glimpse;

TEST(ImagePatches, CutsRowByRow) {
  std::vector<float> pixels(16);
  for (int i = 0; i < 16; ++i) pixels[i] = static_cast<float>(i);
  const Tensor patches = nn::image_patches(from_vector(pixels, {1, 4, 4}), 2);
  EXPECT_EQ(patches.shape(), (Shape{1, 4, 4}));
  // Patch 0 is the top-left 2×2 block, patch 1 the top-right, then the bottom row.
  EXPECT_EQ(patches.to_vector(), (std::vector<float>{0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15}));
}

TEST(VisionTransformer, ShapesAndNames) {
  manual_seed(3);
  nn::VisionTransformer vit(
      {.image_size = 8, .patch_size = 4, .dim = 8, .heads = 2, .layers = 2, .mlp_dim = 16, .out_dim = 5});
  const auto out = vit(randn({3, 8, 8}));
  EXPECT_EQ(out.features.shape(), (Shape{3, 8}));
  EXPECT_EQ(out.logits.shape(), (Shape{3, 5}));
  ASSERT_EQ(out.layers.size(), 2u);
  EXPECT_EQ(out.layers[1].head_weights.shape(), (Shape{3, 2, 5, 5}));  // 1 + 4 tokens
  const auto names = test::parameter_names(vit);
  EXPECT_EQ(names.front(), "class_token");  // a module lists its own parameters before its children's
  EXPECT_NE(std::find(names.begin(), names.end(), "patch_embedding.weight"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "pos_embedding"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "layers.1.self_attn.in_proj_weight"), names.end());
  EXPECT_EQ(names.back(), "head.bias");
}

TEST(VisionTransformer, ClassTokenSeesOnlyThroughAttention) {
  // Changing one patch's pixels changes [CLS]'s features: its only way in is attention.
  manual_seed(4);
  nn::VisionTransformer vit(
      {.image_size = 4, .patch_size = 2, .dim = 4, .heads = 1, .layers = 1, .mlp_dim = 4, .out_dim = 2});
  std::vector<float> a(16, 0.0f), b(16, 0.0f);
  b[15] = 1.0f;
  const auto fa = vit(from_vector(a, {1, 4, 4})).features.to_vector();
  const auto fb = vit(from_vector(b, {1, 4, 4})).features.to_vector();
  EXPECT_NE(fa, fb);
}

TEST(VisionTransformer, RefusesBadArguments) {
  EXPECT_THROW(nn::VisionTransformer({.image_size = 10, .patch_size = 4}), Error);
  EXPECT_THROW(nn::VisionTransformer({.dim = 6, .heads = 4}), Error);
  nn::VisionTransformer vit({.image_size = 8, .patch_size = 4, .dim = 4, .heads = 1});
  EXPECT_THROW(vit(zeros({2, 4, 4})), Error);
  EXPECT_THROW(nn::image_patches(zeros({1, 6, 6}), 4), Error);
}

// tests/fixtures/generate_vit.py: the same ViT in PyTorch (torch.nn.TransformerEncoderLayer,
// norm_first, GELU), its features, logits, last block's per-head attention and every gradient.
TEST(VisionTransformer, FeaturesAttentionAndEveryGradientMatchPyTorch) {
  auto f = test::load_fixture("vit");
  nn::VisionTransformer vit(
      {.image_size = 8, .patch_size = 4, .dim = 8, .heads = 2, .layers = 2, .mlp_dim = 16, .out_dim = 5});
  nn::load_state(vit, test::fixture_params(f));
  const auto out = vit(f.at("images"));
  EXPECT_TRUE(test::all_close(out.features, f.at("features")));
  EXPECT_TRUE(test::all_close(out.logits, f.at("logits")));
  EXPECT_TRUE(test::all_close(out.layers.back().head_weights, f.at("head_weights")));
  (out.logits * f.at("check")).sum().backward();
  int checked = 0;
  for (auto& [name, p] : vit.named_parameters()) {
    EXPECT_TRUE(test::all_close(p.grad(), f.at("grad.param." + name), 1e-5f, 1e-5f)) << name;
    ++checked;
  }
  EXPECT_EQ(
      checked,
      4 + 2 * 12 + 4);  // class token, positions, patch embedding (2); 12 per block; norm, head (2 each)
}
