// Lesson 06: the viewer. The page is the data (JSON, made here) plus trace/viewer/viewer.js and
// viewer.css, which the build copies into the library (trace/viewer_assets.cpp.in) so the page
// never loads anything.
#include "trace/viewer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "trace/attention_map.hpp"

namespace glimpse::trace {

// trace/viewer/viewer.js and viewer.css, as the build found them.
const char* viewer_script();
const char* viewer_style();

namespace {

using nlohmann::json;

// At most `limit` of the values, with the shape they came from and whether any were left out.
json values_json(const Values& v, int64_t limit) {
  const auto kept = std::min<int64_t>(static_cast<int64_t>(v.data.size()), limit);
  std::vector<double> data(v.data.begin(), v.data.begin() + kept);
  for (double& x : data)
    if (!std::isfinite(x)) x = 0;  // JSON has no NaN; a diverged value is flagged below
  bool finite = true;
  for (int64_t i = 0; i < kept; ++i) finite = finite && std::isfinite(v.data[i]);
  return {
      {"shape", v.shape}, {"data", data}, {"truncated", v.truncated || kept < v.numel()}, {"finite", finite}};
}

json sequence_json(const Sequence& s, const ViewerLimits& limits, std::vector<std::string>& notes) {
  json steps = json::array();
  const auto kept = std::min<int64_t>(static_cast<int64_t>(s.steps.size()), limits.max_steps);
  if (kept < static_cast<int64_t>(s.steps.size()))
    notes.push_back(
        fmt::format("sequence {}: the first {} of its {} recorded steps are shown (ViewerLimits::max_steps)",
                    s.index, kept, s.steps.size()));
  for (int64_t i = 0; i < kept; ++i) {
    const StepEntry& e = s.steps[i];
    json values = json::array();
    for (const auto& [name, v] : e.values)
      values.push_back({{"name", name}, {"values", values_json(v, limits.max_values)}});
    json predictions = json::array();
    for (const Prediction& p : e.predictions)
      predictions.push_back({{"token", p.token}, {"probability", p.probability}});
    steps.push_back({{"module", e.module},
                     {"kind", e.kind},
                     {"step", e.step},
                     {"token", e.token},
                     {"target_side", e.target_side},
                     {"values", values},
                     {"predictions", predictions}});
  }
  json maps = json::array();
  for (const AttentionMap& m : attention_maps(s))
    maps.push_back({{"module", m.module},
                    {"kind", m.kind},
                    {"head", m.head},
                    {"rows", m.rows},
                    {"columns", m.columns},
                    {"weights", m.weights}});
  return {{"index", s.index}, {"source", s.source}, {"target", s.target}, {"steps", steps}, {"maps", maps}};
}

json graph_json(const Graph& g, const ViewerLimits& limits, std::vector<std::string>& notes) {
  json nodes = json::array();
  const auto kept = std::min<int64_t>(static_cast<int64_t>(g.nodes.size()), limits.max_graph_nodes);
  if (kept < static_cast<int64_t>(g.nodes.size()))
    notes.push_back(
        fmt::format("the computation graph: the first {} of its {} tensors are listed "
                    "(ViewerLimits::max_graph_nodes)",
                    kept, g.nodes.size()));
  if (g.truncated)
    notes.push_back("the computation graph was cut while recording (TraceOptions::max_graph_nodes)");
  for (int64_t i = 0; i < kept; ++i) {
    const GraphNode& n = g.nodes[i];
    nodes.push_back({{"id", n.id},
                     {"op", n.op},
                     {"name", n.name},
                     {"shape", n.shape},
                     {"inputs", n.inputs},
                     {"step", n.step},
                     {"value", values_json(n.value, limits.max_values)},
                     {"grad", values_json(n.grad, limits.max_values)}});
  }
  json backward = json::array();
  for (const BackwardStep& b : g.backward) {
    if (b.node >= kept) continue;
    json inputs = json::array();
    for (const auto& [input, grad] : b.grad_inputs)
      inputs.push_back({{"node", input}, {"grad", values_json(grad, limits.max_values)}});
    backward.push_back({{"node", b.node},
                        {"op", b.op},
                        {"grad_output", values_json(b.grad_output, limits.max_values)},
                        {"inputs", inputs}});
  }
  return {{"nodes", nodes}, {"backward", backward}};
}

// Text placed inside <script>: "</" would end the element early, so it is written "<\/" (the
// same string to JSON and to JavaScript).
std::string inside_script(const std::string& text) {
  std::string out;
  out.reserve(text.size() + text.size() / 64);
  for (size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/') out += '\\';
  }
  return out;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

// An SVG file's text without the XML declaration and doctype, ready to sit inside HTML.
std::string svg_element(const std::string& svg) {
  const size_t start = svg.find("<svg");
  return start == std::string::npos ? std::string() : svg.substr(start);
}

}  // namespace

std::string viewer_html(const std::string& title, const std::vector<ViewerFile>& files,
                        const Recording* recording, const std::string& graph_svg, const ViewerLimits& limits,
                        const std::string& live) {
  std::vector<std::string> notes;
  json file_list = json::array();
  int64_t inlined = 0;
  for (const ViewerFile& f : files) {
    std::string svg = svg_element(f.svg);
    bool too_big = f.too_big;
    if (!svg.empty() && (static_cast<int64_t>(svg.size()) > limits.max_svg_bytes ||
                         inlined + static_cast<int64_t>(svg.size()) > limits.max_total_svg_bytes)) {
      too_big = true;
      svg.clear();
    }
    inlined += static_cast<int64_t>(svg.size());
    file_list.push_back(
        {{"name", f.name}, {"description", f.description}, {"svg", svg}, {"too_big", too_big}});
  }
  json data = {{"title", title}, {"files", file_list}};
  if (recording) {
    json sequences = json::array();
    for (const Sequence& s : recording->sequences) sequences.push_back(sequence_json(s, limits, notes));
    data["sequences"] = sequences;
    data["sequences_seen"] = recording->sequences_seen;
    data["graph"] = graph_json(recording->graph, limits, notes);
    data["graph_svg"] = svg_element(graph_svg);
  }
  data["notes"] = notes;
  if (!live.empty()) data["live"] = json::parse(live);
  data["limits"] = {{"max_svg_bytes", limits.max_svg_bytes},
                    {"max_steps", limits.max_steps},
                    {"max_values", limits.max_values},
                    {"max_graph_nodes", limits.max_graph_nodes}};

  std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  page += fmt::format("<title>{}</title>\n", html_escape(title));
  page += fmt::format("<style>\n{}</style>\n</head>\n<body>\n", viewer_style());
  page += fmt::format("<h1>{}</h1>\n", html_escape(title));
  page +=
      "<noscript>This page draws everything with JavaScript: turn it on to see the pictures and the "
      "recording.</noscript>\n";
  page += "<main id=\"viewer\"></main>\n<div id=\"self-check\" data-result=\"not run\"></div>\n";
  page += "<script type=\"application/json\" id=\"glimpse-data\">" +
          inside_script(data.dump(-1, ' ', false, json::error_handler_t::replace)) + "</script>\n";
  page += std::string("<script>\n") + viewer_script() + "</script>\n</body>\n</html>\n";
  return page;
}

}  // namespace glimpse::trace
