// Lesson 02: reproducible random numbers.
#include "autograd/random.hpp"

#include <fmt/format.h>

#include <cmath>
#include <numbers>

namespace glimpse {

void Generator::manual_seed(uint64_t seed) {
  engine_.seed(seed);
  has_spare_ = false;
}

float Generator::uniform() {
  // Top 24 bits → a float in [0, 1) with every value equally likely.
  return static_cast<float>(engine_() >> 40) * (1.0f / 16777216.0f);
}

float Generator::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  // Box-Muller: two uniforms → two independent normals. u1 is kept away from 0 (log(0)).
  const double u1 = (static_cast<double>(engine_() >> 11) + 1.0) * (1.0 / 9007199254740993.0);
  const double u2 = static_cast<double>(engine_() >> 11) * (1.0 / 9007199254740992.0);
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = 2.0 * std::numbers::pi * u2;
  spare_ = static_cast<float>(r * std::sin(theta));
  has_spare_ = true;
  return static_cast<float>(r * std::cos(theta));
}

int64_t Generator::integer(int64_t n, Loc loc) {
  detail::check(n > 0, "Generator::integer", loc, [&] {
    return fmt::format("needs n > 0 to draw from [0, n), got n = {}", n);
  });
  return static_cast<int64_t>(engine_() % static_cast<uint64_t>(n));
}

Generator& default_generator() {
  thread_local Generator gen(0);
  return gen;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace glimpse
