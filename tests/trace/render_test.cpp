// render: Graphviz reads DOT back (agmemread) and lays it out to SVG in-process.
#include "trace/render.hpp"

#include <gtest/gtest.h>

using namespace glimpse;

TEST(Render, WithoutGraphvizRenderingSaysSo) {
  if (trace::graphviz_available()) GTEST_SKIP() << "built with Graphviz";
  EXPECT_THROW(trace::render_svg("digraph { a -> b }"), Error);
  EXPECT_NE(trace::dot_parse_error("digraph { a -> b }"), "");
}

TEST(Render, RendersSvg) {
  if (!trace::graphviz_available()) GTEST_SKIP() << "built without Graphviz";
  const std::string svg = trace::render_svg("digraph { a -> b [penwidth=2.5] }");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

TEST(Render, ABrokenDotTextIsReported) {
  if (!trace::graphviz_available()) GTEST_SKIP() << "built without Graphviz";
  EXPECT_NE(trace::dot_parse_error("digraph { a -> }"), "");
  EXPECT_EQ(trace::dot_parse_error("digraph { a -> b }"), "");
  EXPECT_THROW(trace::render_svg("digraph { a -> "), Error);
  EXPECT_THROW(trace::render_svg("digraph { a [label=<<TABLE><TR></TABLE>>] }"), Error);
}
