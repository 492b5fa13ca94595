// Lesson 04: a hidden-state grid with NaN or infinite values (training diverged) is still valid
// DOT, and its title says what happened.
#include "trace/hidden_dot.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "trace/render.hpp"

using namespace glimpse;

TEST(HiddenDot, NonFiniteStatesGiveValidDotThatSaysTrainingDiverged) {
  if (!trace::graphviz_available()) GTEST_SKIP() << "built without Graphviz";
  trace::StateHistory h;
  h.module = "encoder.gru";
  h.kind = "GRU";
  h.name = "h";
  h.steps = {0, 1};
  h.tokens = {"a", "b"};
  h.values = {{0.5f, -0.25f},
              {-std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}};
  const std::string dot = trace::state_to_dot(h, 32);
  EXPECT_NE(dot.find("training diverged: 2 values are NaN or infinite"), std::string::npos) << dot;
  EXPECT_EQ(trace::dot_parse_error(dot), "") << dot;
  EXPECT_NO_THROW(trace::render_svg(dot));
}
