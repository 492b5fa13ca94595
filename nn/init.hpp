// Parameter initialisation: the distributions PyTorch uses by default for each layer, drawn from
// a seeded glimpse::Generator so a run can be reproduced exactly.
// Introduced in lesson 03 (a first network: why weights start small and random).
//
// Each function fills an existing tensor in place (the trailing underscore is PyTorch's mark of
// an in-place op) under NoGradGuard, and returns it.
#pragma once

#include "autograd/random.hpp"
#include "autograd/tensor.hpp"

namespace glimpse::nn::init {

// Every element drawn from U(low, high).
Tensor& uniform_(Tensor& t, float low, float high, Generator& gen = default_generator());
// Every element drawn from N(mean, std²).
Tensor& normal_(Tensor& t, float mean = 0.0f, float std = 1.0f, Generator& gen = default_generator());
Tensor& constant_(Tensor& t, float value);
Tensor& zeros_(Tensor& t);
Tensor& ones_(Tensor& t);

// fan_in of a weight [out, in, ...]: in × (product of the trailing dims). A 1-D tensor has none.
int64_t fan_in(const Tensor& weight, Loc caller = Loc::current());

// He/Kaiming uniform for a leaky-ReLU slope `a`: U(-bound, bound) with
//   gain = √(2 / (1 + a²)),  bound = gain · √(3 / fan_in).
// nn.Linear uses a = √5, which makes bound = 1/√fan_in.
Tensor& kaiming_uniform_(Tensor& t, float a, Generator& gen = default_generator(),
                         Loc caller = Loc::current());

}  // namespace glimpse::nn::init
