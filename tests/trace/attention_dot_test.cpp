// Lessons 06-07: the alignment and heatmap pictures (and lesson 12's self-attention of one word) stay valid
// DOT when training diverged (NaN or infinite weights), and their titles say so.
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

TEST(AttentionDot, SelfAttentionOfOneWordIsALineToEveryWord) {
  trace::AttentionMap m;
  m.module = "encoder.layers.1.self_attn";
  m.kind = "MultiheadAttention";
  m.head = 2;
  m.rows = {"it"};
  m.columns = {"the", "dog", "because", "it"};
  m.weights = {{0.1f, 0.7f, 0.05f, 0.15f}};
  const std::string dot = trace::self_attention_to_dot(m, 3);
  EXPECT_NE(dot.find("where \\\"it\\\" looks"), std::string::npos) << dot;
  EXPECT_NE(dot.find("head 2"), std::string::npos);
  EXPECT_NE(dot.find("q3 -> k1 [penwidth=5.80"), std::string::npos) << dot;  // 0.2 + 8 · 0.7
  EXPECT_NE(dot.find("q3 -> k2 [penwidth=0.60"), std::string::npos) << dot;
  EXPECT_EQ(dot.find("q0 -> k1 [penwidth"), std::string::npos);  // only the looking word draws lines
  if (!trace::graphviz_available()) GTEST_SKIP() << "built without Graphviz";
  EXPECT_EQ(trace::dot_parse_error(dot), "") << dot;
  m.weights = {{std::numeric_limits<float>::quiet_NaN(), 1.0f, 0.0f, 0.0f}};
  const std::string diverged = trace::self_attention_to_dot(m, 3);
  EXPECT_NE(diverged.find("training diverged: 1 value is NaN or infinite"), std::string::npos) << diverged;
  EXPECT_EQ(trace::dot_parse_error(diverged), "") << diverged;
}
