// Line plots as SVG (accuracy against length, loss curves) drawn with PLplot, which owns the
// axes, ticks, labels and legend, so no SVG is written by hand. Introduced in lesson 05, where
// accuracy falls with sentence length.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "autograd/error.hpp"

namespace glimpse::trace {

// One named curve: y[i] at x[i].
struct Series {
  std::string name;  // shown in the legend
  std::vector<double> x;
  std::vector<double> y;
  bool points = false;  // also mark each (x, y) with a symbol (useful for a few points)
};

// A vertical line at `x` with a legend entry, e.g. "longest trained sentence".
struct VerticalLine {
  std::string name;
  double x = 0;
};

struct LinePlot {
  std::string title;
  std::string x_label;  // with units: "source length (words)"
  std::string y_label;  // with units: "accuracy (%)"
  bool log_x = false;   // logarithmic x axis (every x must then be > 0)
  bool log_y = false;   // logarithmic y axis (every y must then be > 0)
  // A fixed y range (e.g. 0 and 100 for a percentage), so plots of one quantity compare at a
  // glance; unset, the range fits the data.
  std::optional<double> y_min, y_max;
  std::vector<Series> series;
  std::vector<VerticalLine> lines;
};

// The SVG text of `plot`. The same plot gives the same bytes, in any process, any number of
// times. Throws glimpse::Error naming the series and value on bad input: no series, an empty
// series, x and y of different sizes, a NaN or infinite value, x or y <= 0 on a log axis, a fixed y
// range that is empty or leaves out a value.
std::string render_line_plot(const LinePlot& plot, Loc loc = Loc::current());

// Renders `plot` and writes it to `file` whole or not at all (temporary file, then rename).
void write_line_plot(const std::filesystem::path& file, const LinePlot& plot, Loc loc = Loc::current());

}  // namespace glimpse::trace
