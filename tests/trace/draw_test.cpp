// The drawing helpers: literal expectations, since every table and picture is built from them.
#include "trace/draw.hpp"

#include <gtest/gtest.h>

using namespace glimpse::trace::detail;

TEST(Draw, SignedValuesLineUpAndNeverShowMinusZero) {
  EXPECT_EQ(signed_value(0.1234f), "+0.123");
  EXPECT_EQ(signed_value(-2.5f), "-2.500");
  EXPECT_EQ(signed_value(-0.0001f), "+0.000");
}

TEST(Draw, FirstValuesSaysWhenSomeAreLeftOut) {
  EXPECT_EQ(first_values({1.0f, -1.0f, 0.5f}, 2, 3), "+1.000 -1.000 …");
  EXPECT_EQ(first_values({1.0f, -1.0f}, 4, 2), "+1.000 -1.000");
  EXPECT_EQ(first_values({1.0f, -1.0f}, 2, 10), "+1.000 -1.000 …");  // recorded only in part
}

TEST(Draw, Norm) { EXPECT_FLOAT_EQ(norm({3.0f, 4.0f}), 5.0f); }

TEST(Draw, UnicodeBarsInEighths) {
  EXPECT_EQ(unicode_bar(0.0f, 10), "");
  EXPECT_EQ(unicode_bar(1.0f, 2), "██");
  EXPECT_EQ(unicode_bar(0.5f, 3), "█▌");
  EXPECT_EQ(unicode_bar(1.0f / 16.0f, 2), "▏");
  EXPECT_EQ(unicode_bar(2.0f, 1), "█");  // clamped
}

TEST(Draw, Colours) {
  EXPECT_EQ(weight_colour(0.0f), "#f7fbff");
  EXPECT_EQ(weight_colour(1.0f), "#08306b");
  EXPECT_EQ(signed_colour(0.0f, 1.0f), "#ffffff");
  EXPECT_EQ(signed_colour(-1.0f, 1.0f), "#2166ac");
  EXPECT_EQ(signed_colour(2.0f, 1.0f), "#b2182b");
  EXPECT_EQ(ink_for(0.9f), "white");
  EXPECT_EQ(ink_for(0.1f), "black");
}

TEST(Draw, Escaping) {
  EXPECT_EQ(dot_quote("say \"hi\"\\\nbye"), "\"say \\\"hi\\\"\\\\\\nbye\"");
  EXPECT_EQ(html_escape("<eos> & \"x\""), "&lt;eos&gt; &amp; &quot;x&quot;");
  EXPECT_EQ(html_escape(""), "&#160;");  // Graphviz rejects an empty <B></B>
}
