// viewer: one self-contained page; data that looks like HTML cannot break out of its script, and
// what the limits leave out is said in the page.
#include "trace/viewer.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "trace/output_folder.hpp"

using namespace glimpse;

namespace {

trace::Recording small_recording() {
  trace::Recording r;
  trace::Sequence s;
  s.source = {"the", "cat"};
  s.target = {"le", "chat"};
  for (int64_t t = 0; t < 2; ++t) {
    trace::StepEntry e;
    e.module = "decoder.attention";
    e.kind = "BahdanauAttention";
    e.step = t;
    e.target_side = true;
    trace::Values w;
    w.shape = {2};
    w.data = t == 0 ? std::vector<float>{0.9f, 0.1f} : std::vector<float>{0.2f, 0.8f};
    e.values.emplace_back("weights", w);
    s.steps.push_back(e);
  }
  r.sequences.push_back(s);
  r.sequences_seen = 1;
  return r;
}

}  // namespace

TEST(Viewer, OnePageWithItsScriptStyleAndDataInside) {
  const trace::Recording r = small_recording();
  const std::string page =
      trace::viewer_html("Lesson 06 <test>", {{"loss.svg", "the loss", "<svg></svg>", false}}, &r, "");
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(page.find("<title>Lesson 06 &lt;test&gt;</title>"), std::string::npos);
  EXPECT_NE(page.find("id=\"glimpse-data\""), std::string::npos);
  EXPECT_NE(page.find("\"decoder.attention\""), std::string::npos);
  EXPECT_NE(page.find("function drawHeadView"), std::string::npos) << "the script is inline";
  EXPECT_NE(page.find(".head-lines"), std::string::npos) << "the style is inline";
  // Nothing is fetched: no script or style by URL, no link to another site.
  EXPECT_FALSE(std::regex_search(page, std::regex(R"(<script[^>]*\bsrc=)"))) << "a script loaded by URL";
  EXPECT_FALSE(std::regex_search(page, std::regex(R"(<link\b)"))) << "a stylesheet loaded by URL";
  EXPECT_FALSE(std::regex_search(page, std::regex(R"((src|href)="https?:)"))) << "a link to the network";
}

TEST(Viewer, TokensThatLookLikeHtmlStayInsideTheData) {
  trace::Recording r = small_recording();
  r.sequences[0].source = {"</script><script>alert(1)</script>", "cat"};
  const std::string page = trace::viewer_html("t", {}, &r, "");
  EXPECT_EQ(page.find("</script><script>alert(1)"), std::string::npos);
  EXPECT_NE(page.find("<\\/script><script>alert(1)<\\/script>"), std::string::npos);
  // The page's own elements: one data block and one script, each closed once.
  size_t closes = 0;
  for (size_t at = page.find("</script>"); at != std::string::npos; at = page.find("</script>", at + 1))
    ++closes;
  EXPECT_EQ(closes, 2u);
}

TEST(Viewer, WhatTheLimitsLeaveOutIsSaid) {
  trace::Recording r = small_recording();
  trace::ViewerLimits limits;
  limits.max_steps = 1;
  limits.max_svg_bytes = 10;
  const std::string page = trace::viewer_html(
      "t", {{"big.svg", "a big picture", "<svg>" + std::string(100, ' ') + "</svg>", false}}, &r, "", limits);
  EXPECT_NE(page.find("the first 1 of its 2 recorded steps are shown"), std::string::npos);
  EXPECT_NE(page.find("\"too_big\":true"), std::string::npos);
}

TEST(Viewer, TheOutputFolderWritesItWithTheIndex) {
  const std::filesystem::path folder = std::filesystem::temp_directory_path() / "glimpse_viewer_test";
  std::filesystem::remove_all(folder);
  {
    trace::OutputFolder out(folder);
    out.write("picture.svg", "<?xml version=\"1.0\"?>\n<svg><rect/></svg>\n", "a picture");
    out.attach_recording(small_recording());
    out.write_index("A test");
  }
  std::ifstream in(folder / "index.html");
  const std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(page.find("<svg><rect/><\\/svg>"), std::string::npos)
      << "the picture inline, without its XML prolog";
  EXPECT_EQ(page.find("<?xml"), std::string::npos);
  EXPECT_NE(page.find("\"le\""), std::string::npos) << "the recording";
  std::ifstream index(folder / "index.txt");
  const std::string text((std::istreambuf_iterator<char>(index)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("index.html"), std::string::npos);
  std::filesystem::remove_all(folder);
}
