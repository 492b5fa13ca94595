// LayerNorm: normalise each example over its last dims to mean 0 and variance 1, then scale and
// shift with learned weight and bias (torch.nn.LayerNorm).
// Introduced in lesson 10 (the Transformer encoder block), where it keeps deep stacks trainable.
#pragma once

#include "nn/module.hpp"

namespace glimpse::nn {

class LayerNorm : public Module {
 public:
  //   y = (x - mean) / √(var + eps) · weight + bias
  // over the trailing dims `normalized_shape`; var is the biased variance (divide by n), as in
  // PyTorch. weight starts at ones and bias at zeros.
  explicit LayerNorm(Shape normalized_shape, float eps = 1e-5f, bool elementwise_affine = true,
                     Loc caller = Loc::current());
  explicit LayerNorm(int64_t normalized_size, float eps = 1e-5f, bool elementwise_affine = true,
                     Loc caller = Loc::current())
      : LayerNorm(Shape{normalized_size}, eps, elementwise_affine, caller) {}

  // x [..., *normalized_shape] → same shape.
  Tensor forward(const Tensor& x, Loc caller = Loc::current()) const;
  Tensor operator()(const Tensor& x, Loc caller = Loc::current()) const { return forward(x, caller); }

  std::string kind() const override { return "LayerNorm"; }

  const Shape& normalized_shape() const { return normalized_shape_; }
  float eps() const { return eps_; }
  const Tensor& weight() const { return weight_; }  // undefined without elementwise_affine
  const Tensor& bias() const { return bias_; }

 private:
  Shape normalized_shape_;
  float eps_;
  Tensor weight_;
  Tensor bias_;
};

}  // namespace glimpse::nn
