// Lesson 05: a curve says "accuracy falls with length" faster than a table of numbers does.
#include "trace/plot.hpp"

#include <fmt/format.h>
#include <plplot.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "autograd/atomic_file.hpp"

namespace glimpse::trace {

namespace {

// PLplot keeps global state (the current stream, the driver table): one plot at a time.
std::mutex& plplot_mutex() {
  static std::mutex m;
  return m;
}

// PLplot reports a call it refuses through plabort, which by default only prints: we keep the
// message and throw it once the stream is closed.
std::string& plplot_abort() {
  static std::string message;
  return message;
}
void remember_abort(const char* message) {
  if (plplot_abort().empty()) plplot_abort() = message ? message : "unknown error";
}

// In PLplot's text '#' starts an escape sequence ("#u" is superscript); "##" is a literal '#'.
std::string plplot_text(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == '#') out += '#';
  }
  return out;
}

void check(const LinePlot& plot, Loc loc) {
  const char* op = "render_line_plot";
  if (plot.series.empty()) throw Error(op, fmt::format("plot '{}' has no series", plot.title), loc);
  for (const Series& s : plot.series) {
    if (s.x.empty()) throw Error(op, fmt::format("series '{}' of plot '{}' is empty", s.name, plot.title), loc);
    if (s.x.size() != s.y.size())
      throw Error(op, fmt::format("series '{}' of plot '{}' has {} x values but {} y values", s.name, plot.title,
                                  s.x.size(), s.y.size()),
                  loc);
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]))
        throw Error(op, fmt::format("series '{}' of plot '{}': point {} is ({}, {}), not finite", s.name, plot.title,
                                    i, s.x[i], s.y[i]),
                    loc);
      if (plot.log_x && s.x[i] <= 0)
        throw Error(op,
                    fmt::format("series '{}' of plot '{}': x[{}] = {} cannot be drawn on a log axis", s.name,
                                plot.title, i, s.x[i]),
                    loc);
      if (plot.log_y && s.y[i] <= 0)
        throw Error(op, fmt::format("series '{}' of plot '{}': y[{}] = {} cannot be drawn on a log axis", s.name,
                                    plot.title, i, s.y[i]),
                    loc);
    }
  }
  const double lo = plot.y_min.value_or(-HUGE_VAL), hi = plot.y_max.value_or(HUGE_VAL);
  if (!(lo < hi) || (plot.log_y && plot.y_min && lo <= 0))
    throw Error(
        op, fmt::format("plot '{}': the y range [{}, {}] is empty or not drawable", plot.title, lo, hi), loc);
  for (const Series& s : plot.series)
    for (size_t i = 0; i < s.y.size(); ++i)
      if (s.y[i] < lo || s.y[i] > hi)
        throw Error(op,
                    fmt::format("series '{}' of plot '{}': y[{}] = {} is outside the fixed y range [{}, {}]",
                                s.name, plot.title, i, s.y[i], lo, hi),
                    loc);
  for (const VerticalLine& l : plot.lines)
    if (!std::isfinite(l.x) || (plot.log_x && l.x <= 0))
      throw Error(
          op,
          fmt::format("line '{}' of plot '{}' is at x = {}, which cannot be drawn", l.name, plot.title, l.x),
          loc);
}

// A range with some room, never empty (PLplot refuses min == max).
void padded(double& lo, double& hi, double fraction) {
  if (hi - lo <= 0) {
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
    return;
  }
  const double pad = (hi - lo) * fraction;
  lo -= pad;
  hi += pad;
}

bool has_svg_device() {
  const char* menus[128];
  const char** menus_ptr = menus;
  const char* names[128];
  const char** names_ptr = names;
  int n = 128;
  plgDevs(&menus_ptr, &names_ptr, &n);
  for (int i = 0; i < n; ++i)
    if (std::string(names[i]) == "svg") return true;
  return false;
}

}  // namespace

std::string render_line_plot(const LinePlot& plot, Loc loc) {
  check(plot, loc);
  // On a log axis PLplot draws log10 of the value and labels it as the value.
  const auto x_of = [&](double x) { return plot.log_x ? std::log10(x) : x; };
  const auto y_of = [&](double y) { return plot.log_y ? std::log10(y) : y; };
  double x_lo = x_of(plot.series[0].x[0]), x_hi = x_lo, y_lo = y_of(plot.series[0].y[0]), y_hi = y_lo;
  for (const Series& s : plot.series)
    for (size_t i = 0; i < s.x.size(); ++i) {
      x_lo = std::min(x_lo, x_of(s.x[i]));
      x_hi = std::max(x_hi, x_of(s.x[i]));
      y_lo = std::min(y_lo, y_of(s.y[i]));
      y_hi = std::max(y_hi, y_of(s.y[i]));
    }
  for (const VerticalLine& l : plot.lines) {
    x_lo = std::min(x_lo, x_of(l.x));
    x_hi = std::max(x_hi, x_of(l.x));
  }
  padded(x_lo, x_hi, 0.02);
  padded(y_lo, y_hi, 0.05);
  if (plot.y_min) y_lo = y_of(*plot.y_min);
  if (plot.y_max) y_hi = y_of(*plot.y_max);
  // PLplot labels a log axis at powers of 10: show at least the two around the data.
  if (plot.log_x) x_lo = std::floor(x_lo), x_hi = std::max(std::ceil(x_hi), x_lo + 1);
  if (plot.log_y) y_lo = std::floor(y_lo), y_hi = std::max(std::ceil(y_hi), y_lo + 1);

  const std::lock_guard lock(plplot_mutex());
  if (!has_svg_device())
    throw Error("render_line_plot",
                "PLplot has no SVG driver (apt-get install libplplot-dev installs it with libplplot17)", loc);
  // PLplot writes to a FILE*; an in-memory one keeps the SVG off the disk until it is complete.
  // The SVG driver closes the FILE it was given when the stream ends (plend).
  char* buffer = nullptr;
  size_t length = 0;
  plplot_abort().clear();
  std::FILE* memory = open_memstream(&buffer, &length);
  if (!memory) throw Error("render_line_plot", "cannot open an in-memory file for PLplot", loc);
  {
    plsdev("svg");
    plsfile(memory);
    // The legend sits under the x axis, one row per entry, so a long name never covers a curve:
    // the page grows by a row for each entry and the frame keeps its size.
    const size_t n = plot.series.size() + plot.lines.size();
    const double frame = 400, top = 45, below_axis = 70, row = 26,
                 height = top + frame + below_axis + row * n + 15;
    plspage(0, 0, 800, static_cast<PLINT>(height), 0, 0);
    // Colour map 0: white background, black axes and text, then the series (Okabe–Ito colours,
    // told apart by colour-blind readers too) and grey for vertical lines.
    const PLINT r[] = {255, 0, 0, 213, 0, 204, 230, 86, 120, 225};
    const PLINT g[] = {255, 0, 114, 94, 158, 121, 159, 180, 120, 225};
    const PLINT b[] = {255, 0, 178, 0, 115, 167, 0, 233, 120, 225};
    plscmap0(r, g, b, 10);
    plsabort(remember_abort);
    plinit();
    pladv(0);
    plschr(0, 0.85);
    plvpor(0.10, 0.96, 1 - (top + frame) / height, 1 - top / height);
    plwind(x_lo, x_hi, y_lo, y_hi);
    plcol0(9);  // a light grid under the curves
    const std::string x_log = plot.log_x ? "l" : "", y_log = plot.log_y ? "l" : "";
    plbox(("g" + x_log).c_str(), 0, 0, ("g" + y_log).c_str(), 0, 0);
    plcol0(1);
    // b, c: the frame; n, s, t: numbers and ticks; v: upright y numbers; l: log y
    plbox(("bcnst" + x_log).c_str(), 0, 0, ("bcnstv" + y_log).c_str(), 0, 0);
    pllab(plplot_text(plot.x_label).c_str(), plplot_text(plot.y_label).c_str(),
          plplot_text(plot.title).c_str());

    std::vector<PLINT> opt(n), text_colors(n, 1), box_colors(n, 0), box_patterns(n, 0), line_colors(n),
        line_styles(n, 1), symbol_colors(n), symbol_numbers(n, 1);
    std::vector<PLFLT> box_scales(n, 0), box_widths(n, 0), line_widths(n, 1.5), symbol_scales(n, 0.8);
    std::vector<std::string> names(n);
    std::vector<const char*> texts(n), symbols(n, "#(728)");
    for (size_t k = 0; k < plot.series.size(); ++k) {
      const Series& s = plot.series[k];
      const PLINT color = static_cast<PLINT>(2 + k % 6);
      std::vector<PLFLT> x(s.x.size()), y(s.y.size());
      for (size_t i = 0; i < y.size(); ++i) x[i] = x_of(s.x[i]), y[i] = y_of(s.y[i]);
      plcol0(color);
      plwidth(1.5);
      plline(static_cast<PLINT>(y.size()), x.data(), y.data());
      if (s.points) plstring(static_cast<PLINT>(y.size()), x.data(), y.data(), "#(728)");
      opt[k] = PL_LEGEND_LINE | (s.points ? PL_LEGEND_SYMBOL : 0);
      line_colors[k] = symbol_colors[k] = color;
      names[k] = plplot_text(s.name);
    }
    for (size_t k = 0; k < plot.lines.size(); ++k) {
      const size_t at = plot.series.size() + k;
      const PLFLT xs[] = {x_of(plot.lines[k].x), x_of(plot.lines[k].x)}, ys[] = {y_lo, y_hi};
      plcol0(8);
      pllsty(2);
      plline(2, xs, ys);
      pllsty(1);
      opt[at] = PL_LEGEND_LINE;
      line_colors[at] = 8;
      line_styles[at] = 2;
      names[at] = plplot_text(plot.lines[k].name);
    }
    for (size_t k = 0; k < n; ++k) texts[k] = names[k].c_str();
    plcol0(1);
    plwidth(1);
    PLFLT legend_width = 0, legend_height = 0;
    pllegend(&legend_width, &legend_height, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
             PL_POSITION_OUTSIDE | PL_POSITION_BOTTOM, 0, below_axis / frame, 0.08, 0, 1, 1, 0, 0,
             static_cast<PLINT>(n), opt.data(), 1.0, 0.9, 2.0, 0.0, text_colors.data(), texts.data(),
             box_colors.data(), box_patterns.data(), box_scales.data(), box_widths.data(), line_colors.data(),
             line_styles.data(), line_widths.data(), symbol_colors.data(), symbol_scales.data(),
             symbol_numbers.data(), symbols.data());
    plend();  // writes the SVG's tail and closes `memory`
  }
  std::string svg(buffer ? buffer : "", length);
  std::free(buffer);
  if (!plplot_abort().empty())
    throw Error("render_line_plot", fmt::format("PLplot refused plot '{}': {}", plot.title, plplot_abort()),
                loc);
  if (svg.find("</svg>") == std::string::npos)
    throw Error("render_line_plot", fmt::format("PLplot wrote an incomplete SVG ({} bytes)", svg.size()), loc);
  return svg;
}

void write_line_plot(const std::filesystem::path& file, const LinePlot& plot, Loc loc) {
  if (file.empty()) throw Error("write_line_plot", fmt::format("no file given for plot '{}'", plot.title), loc);
  write_file_atomically(file, render_line_plot(plot, loc), "write_line_plot", loc);
}

}  // namespace glimpse::trace
