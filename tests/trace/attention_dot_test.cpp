// Lessons 06-07: the alignment and heatmap pictures stay valid DOT when training diverged (NaN
// or infinite weights), and their titles say so.
#include "trace/attention_dot.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "trace/render.hpp"

using namespace glimpse;

TEST(AttentionDot, NonFiniteWeightsGiveValidDotThatSaysTrainingDiverged) {
  if (!trace::graphviz_available()) GTEST_SKIP() << "built without Graphviz";
  constexpr float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  trace::AttentionMap m;
  m.module = "decoder.attention";
  m.kind = "BahdanauAttention";
  m.rows = {"x", "y"};
  m.columns = {"a", "b", "c"};
  m.weights = {{-nan, nan, inf}, {0.5f, -inf, 0.5f}};  // fmt prints -nan: `penwidth=-nan` was a syntax error
  for (const std::string& dot : {trace::alignment_to_dot(m), trace::heatmap_to_dot(m)}) {
    EXPECT_NE(dot.find("training diverged: 4 values are NaN or infinite"), std::string::npos) << dot;
    EXPECT_EQ(trace::dot_parse_error(dot), "") << dot;
    EXPECT_NO_THROW(trace::render_svg(dot));
  }
  m.weights = {{0.2f, 0.3f, 0.5f}, {1.0f, 0.0f, 0.0f}};
  EXPECT_EQ(trace::alignment_to_dot(m).find("diverged"), std::string::npos);
}
