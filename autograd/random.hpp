// Seedable random numbers, so every run of a lesson can be reproduced exactly.
// Introduced in lesson 02 (tensors: randn) and lesson 03 (initialising a network).
#pragma once

#include <cstdint>
#include <random>

#include "autograd/error.hpp"

namespace glimpse {

// mt19937_64 is specified bit for bit by the C++ standard; the normal and uniform transforms
// below are our own (std::normal_distribution differs between standard libraries), so the
// same seed gives the same numbers with any compiler.
class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : engine_(seed) {}

  void manual_seed(uint64_t seed);
  // Uniform in [0, 1).
  float uniform();
  // Uniform in [low, high).
  float uniform(float low, float high) { return low + (high - low) * uniform(); }
  // Standard normal, by the Box-Muller transform.
  float normal();
  // Uniform integer in [0, n); n must be positive.
  int64_t integer(int64_t n, Loc loc = Loc::current());

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  float spare_ = 0.0f;
};

// The generator used when an op is not given one explicitly (like torch's default generator).
// There is one per thread, each starting from seed 0, so a run in a thread draws the same
// numbers as the same run alone.
Generator& default_generator();
// Reseeds this thread's default generator (torch.manual_seed).
void manual_seed(uint64_t seed);

}  // namespace glimpse
