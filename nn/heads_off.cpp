// Lesson 13: switching heads off by zeroing their columns of the output projection.
#include "nn/heads_off.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "autograd/tape.hpp"
#include "nn/causal_self_attention.hpp"
#include "nn/multi_head_attention.hpp"

namespace glimpse::nn {

std::vector<AttentionHeads> attention_heads(const Module& model) {
  std::vector<AttentionHeads> out;
  for (const auto& [path, m] : model.named_modules()) {
    if (const auto* mha = dynamic_cast<const MultiheadAttention*>(m))
      out.push_back({path, m, mha->num_heads()});
    if (const auto* csa = dynamic_cast<const CausalSelfAttention*>(m))
      out.push_back({path, m, csa->num_heads()});
  }
  return out;
}

HeadsOff::HeadsOff(const AttentionHeads& attention, const std::vector<int64_t>& heads, Loc caller) {
  const std::string name = attention.path.empty() ? "the model itself" : attention.path;
  int64_t H = 0;
  if (const auto* mha = dynamic_cast<const MultiheadAttention*>(attention.module)) {
    weight_ = mha->out_proj().weight();
    H = mha->num_heads();
  } else if (const auto* csa = dynamic_cast<const CausalSelfAttention*>(attention.module)) {
    weight_ = csa->c_proj().weight();
    H = csa->num_heads();
  } else {
    throw Error("HeadsOff",
                fmt::format("{} is a {}, not an attention module (MultiheadAttention or CausalSelfAttention)",
                            name, attention.module ? attention.module->kind() : "null module"),
                caller);
  }
  for (int64_t h : heads)
    if (h < 0 || h >= H)
      throw Error("HeadsOff", fmt::format("{} has heads 0 … {}, not {}", name, H - 1, h), caller);
  const int64_t E = weight_.size(0), D = weight_.size(1) / H;
  saved_ = weight_.to_vector();
  NoGradGuard no_grad;
  float* w = weight_.data(caller);  // row-major [E, E]: row i, column j at i·E + j
  for (int64_t h : heads)
    for (int64_t i = 0; i < E; ++i) std::fill_n(w + i * weight_.size(1) + h * D, D, 0.0f);
}

HeadsOff::~HeadsOff() { std::copy(saved_.begin(), saved_.end(), weight_.data()); }

}  // namespace glimpse::nn
