// plot: PLplot draws line plots to SVG in memory; bad input is a glimpse::Error, never PLplot's exit.
#include "trace/plot.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

using namespace glimpse;

namespace {

trace::LinePlot accuracy_plot() {
  trace::LinePlot plot;
  plot.title = "Exact match against source length";
  plot.x_label = "source length (words)";
  plot.y_label = "exact match (%)";
  plot.series = {{"fixed vector", {2, 3, 4, 5, 6}, {90, 70, 40, 20, 5}, true},
                 {"attention", {2, 3, 4, 5, 6}, {95, 94, 92, 90, 88}, false}};
  plot.lines = {{"longest trained", 5}};
  return plot;
}

// PLplot's SVG driver writes each character of a text as "&#x..;": the same text, spelt that way.
std::string as_svg_text(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += fmt::format("&#x{:x};", c);
  return out;
}

std::string read(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST(LinePlot, DrawsTitleAxesAndLegendAsSvg) {
  const std::string svg = trace::render_line_plot(accuracy_plot());
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u) << svg.substr(0, 80);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  for (const char* text : {"Exact match against source length", "source length (words)", "exact match (%)",
                           "fixed vector", "attention", "longest trained"})
    EXPECT_NE(svg.find(as_svg_text(text)), std::string::npos) << "no text '" << text << "' in the plot";
  EXPECT_NE(svg.find("<polyline"), std::string::npos) << "no line drawn";
}

TEST(LinePlot, TheSamePlotGivesTheSameBytes) {
  const std::string first = trace::render_line_plot(accuracy_plot());
  EXPECT_EQ(trace::render_line_plot(accuracy_plot()), first);
  trace::LinePlot other = accuracy_plot();
  other.series[0].y[2] = 50;
  EXPECT_NE(trace::render_line_plot(other), first);
}

TEST(LinePlot, AHashInATextIsDrawnAsItself) {
  // In PLplot a '#' starts an escape ("#u" is superscript); plot texts are taken literally.
  trace::LinePlot plot = accuracy_plot();
  plot.series[0].name = "model #1";
  EXPECT_NE(trace::render_line_plot(plot).find(as_svg_text("model #1")), std::string::npos);
}

TEST(LinePlot, AFixedYRangeIsKept) {
  trace::LinePlot plot = accuracy_plot();
  plot.y_min = 0;
  plot.y_max = 100;
  const std::string fixed = trace::render_line_plot(plot);
  EXPECT_NE(fixed, trace::render_line_plot(accuracy_plot()));
  EXPECT_NE(fixed.find(as_svg_text("100")), std::string::npos) << "no tick at 100";
}

TEST(LinePlot, ALogAxisDrawsPositiveValues) {
  trace::LinePlot plot;
  plot.title = "Loss";
  plot.x_label = "step";
  plot.y_label = "cross-entropy (nats)";
  plot.log_y = true;
  plot.series = {{"training loss", {0, 1, 2, 3}, {2.3, 1.0, 0.1, 0.01}}};
  EXPECT_NE(trace::render_line_plot(plot).find("</svg>"), std::string::npos);
}

TEST(LinePlot, ALogLogPlotLabelsItsDecades) {
  trace::LinePlot plot;
  plot.title = "Gradient against dimension";
  plot.x_label = "d";
  plot.y_label = "gradient norm";
  plot.log_x = plot.log_y = true;
  plot.series = {{"unscaled", {16, 64, 256, 1024}, {0.1, 0.01, 0.001, 0.0001}, true}};
  const std::string svg = trace::render_line_plot(plot);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg, trace::render_line_plot([&] {
              trace::LinePlot linear = plot;
              linear.log_x = false;
              return linear;
            }()));
}

TEST(LinePlot, OnePointAndFlatSeriesAreDrawn) {
  trace::LinePlot plot = accuracy_plot();
  plot.lines.clear();
  plot.series = {{"one point", {3}, {50}, true}};
  EXPECT_NE(trace::render_line_plot(plot).find("</svg>"), std::string::npos);
  plot.series = {{"flat", {1, 2, 3}, {0, 0, 0}}};
  EXPECT_NE(trace::render_line_plot(plot).find("</svg>"), std::string::npos);
}

TEST(LinePlot, BadInputIsAnErrorNamingTheSeriesAndValue) {
  const auto message = [](const trace::LinePlot& plot) {
    try {
      trace::render_line_plot(plot);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  trace::LinePlot plot = accuracy_plot();
  plot.series.clear();
  EXPECT_NE(message(plot).find("has no series"), std::string::npos) << message(plot);

  plot = accuracy_plot();
  plot.series[1].x.clear();
  plot.series[1].y.clear();
  EXPECT_NE(message(plot).find("series 'attention'"), std::string::npos) << message(plot);

  plot = accuracy_plot();
  plot.series[0].y.pop_back();
  EXPECT_NE(message(plot).find("5 x values but 4 y values"), std::string::npos) << message(plot);

  plot = accuracy_plot();
  plot.series[0].y[3] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(message(plot).find("point 3 is (5, nan)"), std::string::npos) << message(plot);

  plot = accuracy_plot();
  plot.series[1].x[0] = std::numeric_limits<double>::infinity();
  EXPECT_NE(message(plot).find("not finite"), std::string::npos) << message(plot);

  plot = accuracy_plot();
  plot.log_y = true;
  plot.series[0].y[4] = 0;
  EXPECT_NE(message(plot).find("y[4] = 0 cannot be drawn on a log axis"), std::string::npos) << message(plot);

  plot = accuracy_plot();
  plot.y_min = 0;
  plot.y_max = 50;
  EXPECT_NE(message(plot).find("y[0] = 90 is outside the fixed y range [0, 50]"), std::string::npos)
      << message(plot);
  plot.y_max = 0;
  EXPECT_NE(message(plot).find("the y range [0, 0] is empty"), std::string::npos) << message(plot);

  plot = accuracy_plot();
  plot.lines[0].x = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(message(plot).find("line 'longest trained'"), std::string::npos) << message(plot);

  plot = accuracy_plot();
  plot.log_x = true;
  plot.series[1].x[0] = -2;
  EXPECT_NE(message(plot).find("x[0] = -2 cannot be drawn on a log axis"), std::string::npos)
      << message(plot);
}

TEST(LinePlot, WritesTheFileWholeOrNotAtAll) {
  const std::filesystem::path folder = std::filesystem::temp_directory_path() / "glimpse_plot_test";
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  trace::write_line_plot(folder / "accuracy.svg", accuracy_plot());
  EXPECT_EQ(read(folder / "accuracy.svg"), trace::render_line_plot(accuracy_plot()));

  trace::LinePlot bad = accuracy_plot();
  bad.series[0].y[0] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(trace::write_line_plot(folder / "bad.svg", bad), Error);
  EXPECT_FALSE(std::filesystem::exists(folder / "bad.svg"));
  EXPECT_THROW(trace::write_line_plot(folder / "no_such_folder" / "a.svg", accuracy_plot()), Error);
  EXPECT_THROW(trace::write_line_plot("", accuracy_plot()), Error);
  std::filesystem::remove_all(folder);
}

TEST(LinePlot, ThreadsDrawingAtOnceEachGetTheirWholePlot) {
  // PLplot keeps global state; render_line_plot draws one plot at a time.
  const std::string expected = trace::render_line_plot(accuracy_plot());
  std::vector<std::string> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&got, t] { got[t] = trace::render_line_plot(accuracy_plot()); });
  for (std::thread& t : threads) t.join();
  for (const std::string& svg : got) EXPECT_EQ(svg, expected);
}
