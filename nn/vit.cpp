// Lesson 11: the Vision Transformer, composed of Linear, LayerNorm and encoder blocks.
#include "nn/vit.hpp"

#include <fmt/format.h>

#include "nn/init.hpp"

namespace glimpse::nn {

namespace {

// N(0, 0.02²): how ViT starts its [CLS] token and its position table.
Tensor small_random(const Shape& shape) {
  Tensor t = zeros(shape);
  return init::normal_(t, 0.0f, 0.02f);
}

}  // namespace

Tensor image_patches(const Tensor& images, int64_t patch_size, Loc caller) {
  glimpse::detail::check(images.dim(caller) == 3 && patch_size >= 1 && images.size(1) == images.size(2) &&
                             images.size(1) % patch_size == 0,
                         "image_patches", caller, [&] {
                           return fmt::format(
                               "images {} with patch_size {}: expected [B, S, S], S a multiple "
                               "of the patch size",
                               to_string(images.shape()), patch_size);
                         });
  const int64_t B = images.size(0), P = patch_size, G = images.size(1) / P;
  // [B, G·P, G·P] → [B, G, P, G, P] → [B, G, G, P, P]: patch (row, column), then its pixels.
  return images.reshape({B, G, P, G, P}).permute({0, 1, 3, 2, 4}).contiguous().reshape({B, G * G, P * P});
}

VisionTransformer::VisionTransformer(const VisionTransformerOptions& o, Loc caller) : options_(o) {
  glimpse::detail::check(
      o.image_size >= 1 && o.patch_size >= 1 && o.image_size % o.patch_size == 0 && o.dim >= 1 &&
          o.heads >= 1 && o.dim % o.heads == 0 && o.layers >= 1 && o.mlp_dim >= 1 && o.out_dim >= 1,
      "VisionTransformer", caller, [&] {
        return fmt::format(
            "image_size {}, patch_size {}, dim {}, heads {}, layers {}, mlp_dim {}, out_dim "
            "{}: every size must be at least 1, patch_size must divide image_size and "
            "heads must divide dim",
            o.image_size, o.patch_size, o.dim, o.heads, o.layers, o.mlp_dim, o.out_dim);
      });
  const int64_t patches = grid() * grid();
  patch_embedding_ =
      register_module("patch_embedding", std::make_shared<Linear>(o.patch_size * o.patch_size, o.dim));
  class_token_ = register_parameter("class_token", small_random({1, 1, o.dim}));
  pos_embedding_ = register_parameter("pos_embedding", small_random({1, 1 + patches, o.dim}));
  for (int64_t l = 0; l < o.layers; ++l)
    layers_.push_back(register_module(
        fmt::format("layers.{}", l),
        std::make_shared<TransformerEncoderLayer>(o.dim, o.heads, o.mlp_dim, /*dropout=*/0.0f, "gelu",
                                                  /*layer_norm_eps=*/1e-6f, /*norm_first=*/true)));
  norm_ = register_module("norm", std::make_shared<LayerNorm>(o.dim, 1e-6f));
  head_ = register_module("head", std::make_shared<Linear>(o.dim, o.out_dim));
}

VisionTransformerOutput VisionTransformer::forward(const Tensor& images, Loc caller) const {
  glimpse::detail::check(images.dim(caller) == 3 && images.size(1) == options_.image_size &&
                             images.size(2) == options_.image_size,
                         "VisionTransformer", caller, [&] {
                           return fmt::format("images {}: expected [B, {}, {}]", to_string(images.shape()),
                                              options_.image_size, options_.image_size);
                         });
  const int64_t B = images.size(0);
  Tensor x = cat({class_token_.expand({B, 1, options_.dim}),
                  (*patch_embedding_)(image_patches(images, options_.patch_size, caller))},
                 1) +
             pos_embedding_;  // [B, 1 + N, dim]
  VisionTransformerOutput out;
  for (const auto& layer : layers_) {
    out.layers.push_back(layer->forward(x));
    x = out.layers.back().output;
  }
  out.features = (*norm_)(x.select(1, 0));
  out.logits = (*head_)(out.features);
  emit_step({{"features", out.features}, {"logits", out.logits}});
  return out;
}

}  // namespace glimpse::nn
