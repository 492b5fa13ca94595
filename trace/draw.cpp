// Lesson 06: the helpers that turn numbers into bars and colours.
#include "trace/draw.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace glimpse::trace::detail {

std::string signed_value(float v) {
  if (std::abs(v) < 0.0005f) v = 0.0f;  // no "-0.000"
  return fmt::format("{:+.3f}", v);
}

std::string first_values(const std::vector<float>& values, int64_t count, int64_t total) {
  std::string out;
  const int64_t n = std::min<int64_t>(count, static_cast<int64_t>(values.size()));
  for (int64_t i = 0; i < n; ++i) {
    if (i > 0) out += ' ';
    out += signed_value(values[i]);
  }
  if (n < total) out += n > 0 ? " …" : "…";
  return out;
}

float norm(const std::vector<float>& values) {
  double sum = 0.0;
  for (float v : values) sum += static_cast<double>(v) * v;
  return static_cast<float>(std::sqrt(sum));
}

std::string unicode_bar(float fraction, int64_t width) {
  static constexpr std::string_view kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  if (!(fraction > 0.0f)) return "";  // also NaN
  const int64_t eighths = std::lround(std::min(fraction, 1.0f) * static_cast<float>(width * 8));
  std::string out;
  for (int64_t i = 0; i < eighths / 8; ++i) out += "█";
  out += kEighths[eighths % 8];
  return out;
}

namespace {
std::string mix(float t, int r0, int g0, int b0, int r1, int g1, int b1) {
  t = std::clamp(std::isnan(t) ? 0.0f : t, 0.0f, 1.0f);
  auto channel = [t](int a, int b) { return static_cast<int>(std::lround(a + (b - a) * t)); };
  return fmt::format("#{:02x}{:02x}{:02x}", channel(r0, r1), channel(g0, g1), channel(b0, b1));
}
}  // namespace

std::string weight_colour(float weight) { return mix(weight, 0xf7, 0xfb, 0xff, 0x08, 0x30, 0x6b); }

std::string signed_colour(float value, float scale) {
  const float t = scale > 0.0f ? value / scale : 0.0f;
  if (t < 0.0f) return mix(-t, 0xff, 0xff, 0xff, 0x21, 0x66, 0xac);
  return mix(t, 0xff, 0xff, 0xff, 0xb2, 0x18, 0x2b);
}

std::string_view ink_for(float strength) { return std::abs(strength) > 0.55f ? "white" : "black"; }

int64_t count_non_finite(const std::vector<std::vector<float>>& rows) {
  int64_t n = 0;
  for (const auto& row : rows)
    for (float v : row) n += !std::isfinite(v);
  return n;
}

std::string diverged_note(int64_t non_finite) {
  if (non_finite == 0) return "";
  return fmt::format(", training diverged: {} value{} NaN or infinite", non_finite,
                     non_finite == 1 ? " is" : "s are");
}

std::string dot_quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  out += '"';
  return out;
}

std::string html_escape(std::string_view text) {
  // Graphviz rejects an empty <B></B> or <FONT></FONT> in HTML labels; a no-break space keeps
  // the cell (a step with no token, say) valid and empty-looking.
  if (text.empty()) return "&#160;";
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace glimpse::trace::detail
