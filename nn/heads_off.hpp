// Switching attention heads off, to see what each one does: an experiment on a trained model,
// not a layer (Michel et al. 2019 switch heads off this way to ask whether sixteen heads are
// better than one). Introduced in lesson 13's live mode.
//
//   context = concat_h(head_h) · W_oᵀ + b_o = Σ_h head_h · W_o[:, hD … hD+D−1]ᵀ + b_o
//
// A head reaches the rest of the model only through its own D columns of the output projection
// (MultiheadAttention's out_proj, CausalSelfAttention's c_proj). Zeroing those columns switches
// the head off exactly: the output is what the other heads alone give. Its weights are still
// computed (and traced): the head looks, but nothing it sees gets through.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "autograd/error.hpp"
#include "autograd/tensor.hpp"
#include "nn/module.hpp"

namespace glimpse::nn {

// An attention module of a model whose heads can be switched off.
struct AttentionHeads {
  std::string path;  // dotted path inside the model ("h.1.attn", "decoder.layers.0.multihead_attn")
  const Module* module = nullptr;
  int64_t num_heads = 0;
};

// Every MultiheadAttention and CausalSelfAttention inside `model`, in registration order.
std::vector<AttentionHeads> attention_heads(const Module& model);

// Switches `heads` (0 … H−1) of one attention module off for as long as it lives, and puts the
// weights back, bit for bit, when it goes. Throws glimpse::Error naming the module and the head
// for a module that is not attention or a head out of range. Not for training: the zeroed
// columns would get gradients and an optimiser step would move them.
class HeadsOff {
 public:
  HeadsOff(const AttentionHeads& attention, const std::vector<int64_t>& heads, Loc caller = Loc::current());
  ~HeadsOff();
  HeadsOff(const HeadsOff&) = delete;
  HeadsOff& operator=(const HeadsOff&) = delete;

 private:
  Tensor weight_;             // the output projection's weight [E, E], shared with the module
  std::vector<float> saved_;  // its values before
};

}  // namespace glimpse::nn
