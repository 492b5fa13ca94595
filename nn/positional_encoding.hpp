// Sinusoidal positional encoding (Vaswani et al., 2017): self-attention sees a set, not a
// sequence, so each position gets its own pattern of sines and cosines added to its embedding.
// Introduced in lesson 10 (the Transformer).
//
//   PE[pos, 2i]   = sin(pos / 10000^(2i/d))
//   PE[pos, 2i+1] = cos(pos / 10000^(2i/d))
//   forward(x) = dropout(x + PE[0:T])        x [..., T, d] (batch first: [B, T, d])
//
// Each pair of dims is a clock with its own period (2π up to 2π·10000), so nearby positions
// look alike and PE[pos + k] is a fixed rotation of PE[pos]. The table is a constant, not a
// parameter: it gets no gradient and is not saved in checkpoints.
#pragma once

#include <cstdint>
#include <string>

#include "autograd/random.hpp"
#include "nn/dropout.hpp"
#include "nn/module.hpp"

namespace glimpse::nn {

// The [max_len, d_model] table PE above (also what lesson 10 draws as a heatmap).
Tensor sinusoidal_encoding(int64_t max_len, int64_t d_model, Loc caller = Loc::current());

class PositionalEncoding : public Module {
 public:
  // dropout: probability of zeroing an element of the sum in training mode (0 = no dropout);
  // its masks come from `gen`, which must outlive the module.
  PositionalEncoding(int64_t d_model, float dropout = 0.0f, int64_t max_len = 5000,
                     Generator& gen = default_generator(), Loc caller = Loc::current());

  Tensor forward(const Tensor& x, Loc caller = Loc::current()) const;

  const Tensor& table() const { return table_; }
  int64_t d_model() const { return d_model_; }
  std::string kind() const override { return "PositionalEncoding"; }

 private:
  int64_t d_model_;
  Tensor table_;  // [max_len, d_model]
  std::shared_ptr<Dropout> dropout_;
};

}  // namespace glimpse::nn
