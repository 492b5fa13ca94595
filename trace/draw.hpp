// Small drawing helpers shared by the trace writers: numbers, Unicode bars, colours and
// escaping for DOT. Introduced with the attention pictures of lesson 06.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace glimpse::trace::detail {

// "+0.123" / "-0.456": fixed width, so columns of values line up in tables.
std::string signed_value(float v);
// The first `count` values, space-separated, with " …" when some were left out.
std::string first_values(const std::vector<float>& values, int64_t count, int64_t total);
// Euclidean norm ‖v‖.
float norm(const std::vector<float>& values);
// A horizontal bar of `fraction` (clamped to [0, 1]) of `width` cells, in eighths: "███▍".
std::string unicode_bar(float fraction, int64_t width);
// Colour for a weight in [0, 1]: from near white to dark blue, "#rrggbb".
std::string weight_colour(float weight);
// Colour for a signed value scaled by `scale` (> 0): blue below zero, white at zero, red above.
std::string signed_colour(float value, float scale);
// Text colour readable on weight_colour/signed_colour backgrounds of that strength.
std::string_view ink_for(float strength);
// How many values in `rows` are NaN or ±inf: what a diverged training run leaves behind.
int64_t count_non_finite(const std::vector<std::vector<float>>& rows);
// ", training diverged: N values are NaN or infinite" for a picture's title, or "" for 0.
std::string diverged_note(int64_t non_finite);
// A double-quoted DOT string: quotes and backslashes escaped, newlines as \n.
std::string dot_quote(std::string_view text);
// Text safe inside an HTML-like DOT label: & < > " escaped.
std::string html_escape(std::string_view text);

}  // namespace glimpse::trace::detail
