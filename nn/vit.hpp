// A Vision Transformer (Dosovitskiy et al. 2020) for one-channel pictures, introduced in lesson 11
// (attention in vision). The picture [B, H, W] is cut into (H/P)·(W/P) patches of P×P pixels, row
// by row; each patch becomes a vector through one Linear layer; a learned [CLS] vector goes in
// front and a learned position is added to every token:
//   x₀ = [cls; patch_embedding(patches)] + pos_embedding          [B, 1 + N, dim]
//   x_l = layers.l(x_{l-1})    (pre-norm Transformer encoder blocks)
//   features = norm(x_L[:, 0])  ([CLS]'s final vector)    logits = head(features)
// [CLS] owns no pixels: it learns about the picture only by attending to the patches, so its
// attention weights (returned per block, per head) show where the model looks.
// Names follow torchvision's VisionTransformer where it has them (class_token, pos_embedding, heads
// → head here: one Linear).
#pragma once

#include <memory>
#include <vector>

#include "nn/layer_norm.hpp"
#include "nn/linear.hpp"
#include "nn/module.hpp"
#include "nn/transformer_encoder_layer.hpp"

namespace glimpse::nn {

struct VisionTransformerOptions {
  int64_t image_size = 28, patch_size = 4;
  int64_t dim = 32, heads = 4, layers = 1, mlp_dim = 64;
  int64_t out_dim = 10;  // classes (supervised) or DINO's output dimension
};

struct VisionTransformerOutput {
  Tensor features;                                    // [B, dim]: norm of [CLS]'s last vector
  Tensor logits;                                      // [B, out_dim]: head(features)
  std::vector<TransformerEncoderLayerOutput> layers;  // head_weights [B, heads, 1 + N, 1 + N]; 0 is [CLS]
};

class VisionTransformer : public Module {
 public:
  // image_size a multiple of patch_size, heads dividing dim, every size ≥ 1 (else glimpse::Error).
  explicit VisionTransformer(const VisionTransformerOptions& options, Loc caller = Loc::current());

  // images [B, image_size, image_size].
  VisionTransformerOutput forward(const Tensor& images, Loc caller = Loc::current()) const;
  VisionTransformerOutput operator()(const Tensor& images, Loc caller = Loc::current()) const {
    return forward(images, caller);
  }

  const VisionTransformerOptions& options() const { return options_; }
  int64_t grid() const { return options_.image_size / options_.patch_size; }  // patches per side
  std::string kind() const override { return "VisionTransformer"; }

 private:
  VisionTransformerOptions options_;
  std::shared_ptr<Linear> patch_embedding_;
  Tensor class_token_, pos_embedding_;
  std::vector<std::shared_ptr<TransformerEncoderLayer>> layers_;
  std::shared_ptr<LayerNorm> norm_;
  std::shared_ptr<Linear> head_;
};

// The patches of `images` [B, G·P, G·P] as rows [B, G·G, P·P], row by row (what the model embeds).
Tensor image_patches(const Tensor& images, int64_t patch_size, Loc caller = Loc::current());

}  // namespace glimpse::nn
